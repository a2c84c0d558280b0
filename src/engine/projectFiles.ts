/**
 * Project and dataset zips, written and read in the worker so the page never
 * freezes, and streamed so no zip of thousands of images is ever held twice:
 * - writing pulls sample bytes from IndexedDB a page of records at a time, stores
 *   them (images are already compressed) with fflate's streaming Zip, and gathers
 *   the output into a Blob whose parts are folded together every few MB;
 * - reading takes the File itself, reads the zip's central directory from its end
 *   with Blob.slice, checks everything (projectZip's checks) before anything is
 *   imported, and hands out each image as a slice of the file only when imported.
 * No DOM and no tfjs here (Blob and IndexedDB exist in workers and in Node tests).
 */
import { Zip, ZipDeflate, ZipPassThrough, inflateSync, strToU8, strFromU8 } from 'fflate';
import { parseCustomSpecId } from '../ml/customSpecId';
import type { CustomBackboneChoice, DatasetExportRequest, ExportClass, IncomingFile, ProjectExportRequest, ProjectFileSummary } from './api';
export type { DatasetExportRequest, ProjectExportRequest } from './api';
import { saveCustomBackbone, storedCustomBackbone } from './customBackboneStore';
import { sniffImageKind } from './images';
import { datasetPaths } from '../storage/datasetZip';
import { openStudioDb } from '../storage/db';
import {
  NOT_A_ZIP,
  ProjectFileRejected,
  checkListing,
  damagedZip,
  directoryChecker,
  looksLikeZip,
  notAnImage,
  projectLayout,
  validateProjectJson,
  type ProjectJson,
  type ProjectOutline,
} from '../storage/projectZip';

/** Sample records read from IndexedDB per transaction when writing a zip. */
export const EXPORT_PAGE = 64;
/** Output chunks are folded into the Blob every this many bytes, so the worker's heap stays small. */
const FOLD_BYTES = 8 * 1024 ** 2;
/** Large files are read into the zip in slices of this size. */
const READ_SLICE = 4 * 1024 ** 2;
/** Files up to this size are read a page at a time, together (at most EXPORT_PAGE × this in memory). */
const SMALL_FILE = 1024 ** 2;
/** Bytes of each image looked at to tell its format. */
const SNIFF_BYTES = 4096;
/** The reading window when checking every image's first bytes, in file order. */
const WINDOW_BYTES = 8 * 1024 ** 2;

/** Files done of all, while a zip is written or checked. */
export type FileProgress = (done: number, total: number) => void;

/** Reads the original bytes of samples by id (undefined for a missing one); called a page of ids at a time. */
export type SampleBytesReader = (ids: string[]) => Promise<(Blob | undefined)[]>;

/** The samples' bytes from IndexedDB, one read-only transaction per page. */
export const storedSampleBytes: SampleBytesReader = async (ids) => {
  const tx = (await openStudioDb()).transaction('samples');
  const records = await Promise.all(ids.map((id) => tx.store.get(id)));
  return records.map((r) => r?.bytes);
};

/** A zip entry to write: bytes in memory, or a Blob read in slices. */
interface OutEntry {
  path: string;
  data: Blob | Uint8Array;
  /** Deflate it (text); images are stored as they are. */
  compress?: boolean;
}

/** Collects output chunks into one Blob, folding the chunks into it every FOLD_BYTES. */
class BlobSink {
  private blob = new Blob([]);
  private chunks: Uint8Array<ArrayBuffer>[] = [];
  private pending = 0;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk as Uint8Array<ArrayBuffer>);
    this.pending += chunk.length;
    if (this.pending >= FOLD_BYTES) this.fold();
  }

  private fold(): void {
    // The browser keeps Blob data outside the JS heap (on disk when large): the heap holds one fold at most.
    this.blob = new Blob([this.blob, ...this.chunks]);
    this.chunks = [];
    this.pending = 0;
  }

  finish(type: string): Blob {
    this.fold();
    return new Blob([this.blob], { type });
  }
}

/** Bytes gathered before each write to the zip's file. */
const WRITE_BYTES = 1024 ** 2;
/** Where zips are written in the origin private file system; the previous export's file is removed at the next. */
const EXPORTS_FOLDER = 'exports';

/**
 * Writes the zip straight to a file in the origin private file system (a
 * worker's synchronous access handle) and hands out that file: a 20,000-image
 * zip then goes to disk as it is written, where as a Blob the browser process
 * held it in memory (+830 MB at 20,000 images, measured by the scaling benchmark).
 */
class FileSink {
  private size = 0;

  private constructor(
    private readonly handle: FileSystemFileHandle,
    private readonly access: FileSystemSyncAccessHandle,
  ) {}

  /** A sink on a new file, or null where the file system or its synchronous access is missing (then a Blob is built). */
  static async open(): Promise<FileSink | null> {
    try {
      const root = await navigator.storage.getDirectory();
      const folder = await root.getDirectoryHandle(EXPORTS_FOLDER, { create: true });
      // Earlier exports were downloaded long since (each export waits for the one before).
      for await (const name of (folder as unknown as { keys(): AsyncIterable<string> }).keys()) await folder.removeEntry(name).catch(() => undefined);
      const handle = await folder.getFileHandle(`${crypto.randomUUID()}.zip`, { create: true });
      if (!('createSyncAccessHandle' in handle)) return null;
      return new FileSink(handle, await handle.createSyncAccessHandle());
    } catch {
      return null;
    }
  }

  /** Zips come in many small chunks (each entry's header, data and descriptor): written in runs of WRITE_BYTES. */
  private buffer = new Uint8Array(WRITE_BYTES);
  private buffered = 0;

  push(chunk: Uint8Array): void {
    if (this.buffered + chunk.length > this.buffer.length) this.writeBuffered();
    if (chunk.length >= this.buffer.length) this.size += this.access.write(chunk as Uint8Array<ArrayBuffer>, { at: this.size });
    else {
      this.buffer.set(chunk, this.buffered);
      this.buffered += chunk.length;
    }
  }

  private writeBuffered(): void {
    if (this.buffered === 0) return;
    this.size += this.access.write(this.buffer.subarray(0, this.buffered), { at: this.size });
    this.buffered = 0;
  }

  async finish(type: string): Promise<Blob> {
    this.writeBuffered();
    this.access.flush();
    this.access.close();
    const file = await this.handle.getFile();
    return new Blob([file], { type });
  }

  /** After a failure: the file is left for the next export to remove. */
  abandon(): void {
    try {
      this.access.close();
    } catch {
      // Already closed.
    }
  }
}

/** Writes entries, one at a time as they come, into a zip (on disk where it can, else a Blob). */
async function writeZip(entries: AsyncIterable<OutEntry>): Promise<Blob> {
  const file = typeof navigator !== 'undefined' && navigator.storage && 'getDirectory' in navigator.storage ? await FileSink.open() : null;
  try {
    return await writeZipTo(entries, file ?? new BlobSink());
  } catch (error) {
    file?.abandon();
    throw error;
  }
}

async function writeZipTo(entries: AsyncIterable<OutEntry>, sink: { push(chunk: Uint8Array): void; finish(type: string): Blob | Promise<Blob> }): Promise<Blob> {
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else sink.push(chunk);
  });
  for await (const entry of entries) {
    if (entry.compress) {
      const file = new ZipDeflate(entry.path, { level: 6 });
      zip.add(file);
      file.push(entry.data instanceof Uint8Array ? entry.data : new Uint8Array(await entry.data.arrayBuffer()), true);
    } else {
      const file = new ZipPassThrough(entry.path);
      zip.add(file);
      if (entry.data instanceof Uint8Array) file.push(entry.data, true);
      else {
        const blob = entry.data;
        if (blob.size === 0) file.push(new Uint8Array(0), true);
        for (let at = 0; at < blob.size; at += READ_SLICE) {
          file.push(new Uint8Array(await blob.slice(at, at + READ_SLICE).arrayBuffer()), at + READ_SLICE >= blob.size);
        }
      }
    }
    if (failure) throw failure;
  }
  zip.end();
  if (failure) throw failure;
  return sink.finish('application/zip');
}

/** Each sample with its bytes, in class order, read a page at a time; a missing one is an error naming it. */
async function* samplesWithBytes(
  classes: ExportClass[],
  paths: string[][],
  read: SampleBytesReader,
  onProgress?: FileProgress,
): AsyncGenerator<OutEntry> {
  const all = classes.flatMap((c, ci) => c.samples.map((s, si) => ({ ...s, path: paths[ci][si] })));
  for (let start = 0; start < all.length; start += EXPORT_PAGE) {
    const page = all.slice(start, start + EXPORT_PAGE);
    const blobs = await read(page.map((s) => s.id));
    blobs.forEach((blob, i) => {
      if (!blob) throw new Error(`"${page[i].name}" is missing from storage`);
    });
    // A page's small files are read together (each read is a round trip to the browser's blob store); large ones are sliced as they are written.
    const bytes = await Promise.all(blobs.map(async (blob) => (blob!.size <= SMALL_FILE ? new Uint8Array(await blob!.arrayBuffer()) : blob!)));
    for (let i = 0; i < page.length; i++) yield { path: page[i].path, data: bytes[i] };
    onProgress?.(Math.min(start + EXPORT_PAGE, all.length), all.length);
  }
}

/**
 * The project file (README "Export project"): project.json and every image with
 * its original bytes in class folders, plus a custom backbone's files under
 * `backbone/`. `backboneFiles` are those files' bytes, in the outline's order.
 */
export async function writeProjectZip(
  project: ProjectExportRequest & Pick<ProjectOutline, 'customBackbone'>,
  options: { read?: SampleBytesReader; backboneFiles?: Blob[]; onProgress?: FileProgress } = {},
): Promise<Blob> {
  const { json, samplePaths, backbonePaths } = projectLayout(project);
  if (backbonePaths.length !== (options.backboneFiles?.length ?? 0)) throw new Error('The custom backbone\'s files are not all available.');
  async function* entries(): AsyncGenerator<OutEntry> {
    yield* samplesWithBytes(project.classes, samplePaths, options.read ?? storedSampleBytes, options.onProgress);
    for (let i = 0; i < backbonePaths.length; i++) yield { path: backbonePaths[i], data: options.backboneFiles![i] };
    yield { path: 'project.json', data: strToU8(JSON.stringify(json, null, 2)), compress: true };
  }
  return writeZip(entries());
}

/** The ImageFolder dataset zip (README "Training elsewhere: dataset export"), flat or split. */
export async function writeDatasetZip(request: DatasetExportRequest, options: { read?: SampleBytesReader; onProgress?: FileProgress } = {}): Promise<Blob> {
  const paths = datasetPaths(request.classes, { validationSplit: request.validationSplit, seed: request.seed });
  return writeZip(samplesWithBytes(request.classes, paths, options.read ?? storedSampleBytes, options.onProgress));
}

// ---------------------------------------------------------------- reading

/** One entry of a zip's central directory. */
interface DirectoryEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** Where its local header starts. */
  offset: number;
}

const u16 = (view: DataView, at: number) => view.getUint16(at, true);
const u32 = (view: DataView, at: number) => view.getUint32(at, true);
const bytesOf = async (file: Blob, start: number, end: number) => new Uint8Array(await file.slice(start, end).arrayBuffer());

class Damaged extends Error {}

/** The central directory, read from the end of the file (EOCD record, then the directory). */
async function readDirectory(file: Blob): Promise<DirectoryEntry[]> {
  const tailStart = Math.max(0, file.size - (22 + 0xffff));
  const tail = await bytesOf(file, tailStart, file.size);
  const view = new DataView(tail.buffer);
  let eocd = -1;
  for (let at = tail.length - 22; at >= 0; at--) {
    if (u32(view, at) === 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw new Damaged('no end of central directory');
  const count = u16(view, eocd + 10);
  const size = u32(view, eocd + 12);
  const start = u32(view, eocd + 16);
  if (count === 0xffff || size === 0xffffffff || start === 0xffffffff) throw new ProjectFileRejected('This zip uses ZIP64 (over 4 GB or 65,535 files), which project files never need; it was not imported.');
  if (start + size > tailStart + eocd) throw new Damaged('the central directory lies outside the file');
  const directory = await bytesOf(file, start, start + size);
  const dir = new DataView(directory.buffer);
  const entries: DirectoryEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > directory.length || u32(dir, at) !== 0x02014b50) throw new Damaged('a central directory record is broken');
    const nameLength = u16(dir, at + 28);
    const nameBytes = directory.subarray(at + 46, at + 46 + nameLength);
    // Bit 11: the name is UTF-8; otherwise it is read byte by byte, as fflate does.
    const name = strFromU8(nameBytes, !(u16(dir, at + 8) & 0x800));
    entries.push({ name, method: u16(dir, at + 10), compressedSize: u32(dir, at + 20), size: u32(dir, at + 24), offset: u32(dir, at + 42) });
    at += 46 + nameLength + u16(dir, at + 30) + u16(dir, at + 32);
  }
  return entries;
}

/** Where an entry's data starts, from its local header (whose name and extra field lengths may differ from the directory's). */
function dataStartOf(entry: DirectoryEntry, header: Uint8Array): number {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < 30 || u32(view, 0) !== 0x04034b50) throw new Damaged(`the local header of "${entry.name}" is broken`);
  return entry.offset + 30 + u16(view, 26) + u16(view, 28);
}

/** Reads a file front to back through a large window, so checking thousands of small entries is a few reads. */
class WindowReader {
  private start = 0;
  private data = new Uint8Array(0);
  constructor(private readonly file: Blob) {}

  async bytes(offset: number, length: number): Promise<Uint8Array> {
    length = Math.max(0, Math.min(length, this.file.size - offset));
    if (offset < this.start || offset + length > this.start + this.data.length) {
      this.start = offset;
      this.data = await bytesOf(this.file, offset, Math.min(this.file.size, offset + Math.max(length, WINDOW_BYTES)));
    }
    return this.data.subarray(offset - this.start, offset - this.start + length);
  }
}

/** An entry's whole content: a slice of the file when stored, inflated (to its declared size at most) when deflated. */
function contentOf(file: Blob, entry: DirectoryEntry & { start: number }, compressed?: Uint8Array): Promise<Blob | Uint8Array> | Blob | Uint8Array {
  const { start, compressedSize, size, method, name } = entry;
  if (method === 0) {
    if (compressedSize !== size) throw new ProjectFileRejected(`The zip entry "${name}" is damaged; nothing was imported.`);
    return file.slice(start, start + size);
  }
  if (method !== 8) throw new ProjectFileRejected(`The zip entry "${name}" uses a compression this app does not read; nothing was imported.`);
  const inflate = (data: Uint8Array) => {
    let out: Uint8Array;
    try {
      // A fixed output buffer, one byte more than declared: an entry cannot inflate to more
      // (zip bombs), and one that would fills the extra byte and is refused below.
      out = inflateSync(data, { out: new Uint8Array(size + 1) });
    } catch (error) {
      throw damagedZip(error);
    }
    if (out.length !== size) throw new ProjectFileRejected(`The zip entry "${name}" is damaged; nothing was imported.`);
    return out;
  };
  return compressed ? inflate(compressed) : bytesOf(file, start, start + compressedSize).then(inflate);
}

/** A checked project file: its project.json, and each listed file's content on demand. */
export interface ProjectFileContents {
  json: ProjectJson;
  /** The content of a path project.json lists (a slice of the file for stored images). */
  file(path: string): Promise<Blob>;
}

export interface ReadOptions {
  /** Whether bytes start like an image file (the engine sniffs formats). */
  isImage(head: Uint8Array): boolean;
  maxUncompressedBytes?: number;
  onProgress?: FileProgress;
}

/**
 * Checks a project file without inflating it whole: the directory (paths, sizes,
 * duplicates, the size limit) before any entry is read, then project.json, then
 * each image's first bytes in file order. Throws ProjectFileRejected naming the
 * first problem; nothing is imported by this call.
 */
export async function readProjectZipFile(file: Blob, options: ReadOptions): Promise<ProjectFileContents> {
  if (!looksLikeZip(await bytesOf(file, 0, 4))) throw new ProjectFileRejected(NOT_A_ZIP);
  try {
    const directory = await readDirectory(file);
    const checker = directoryChecker(options.maxUncompressedBytes);
    directory.forEach((entry) => checker.add({ name: entry.name, originalSize: entry.size }));
    const declared = checker.finish();
    const byName = new Map(directory.map((e) => [e.name, e]));

    const reader = new WindowReader(file);
    const located = async (entry: DirectoryEntry) => {
      const start = dataStartOf(entry, await reader.bytes(entry.offset, 30));
      if (start + entry.compressedSize > file.size) throw new Damaged(`"${entry.name}" runs past the end of the file`);
      return { ...entry, start };
    };
    const jsonEntry = await located(byName.get('project.json')!);
    const jsonContent = await contentOf(file, jsonEntry);
    const json = validateProjectJson(jsonContent instanceof Blob ? new Uint8Array(await jsonContent.arrayBuffer()) : jsonContent);
    const { images, backbone } = checkListing(json, declared);

    const starts = new Map<string, number>();
    const inFileOrder = [...images].sort((a, b) => byName.get(a)!.offset - byName.get(b)!.offset);
    for (let i = 0; i < inFileOrder.length; i++) {
      const path = inFileOrder[i];
      const entry = await located(byName.get(path)!);
      starts.set(path, entry.start);
      let head: Uint8Array;
      if (entry.method === 0) {
        if (entry.compressedSize !== entry.size) throw new ProjectFileRejected(`The zip entry "${path}" is damaged; nothing was imported.`);
        head = await reader.bytes(entry.start, Math.min(entry.size, SNIFF_BYTES));
      } else {
        const content = await contentOf(file, entry, await reader.bytes(entry.start, entry.compressedSize));
        head = (content as Uint8Array).subarray(0, SNIFF_BYTES);
      }
      if (!options.isImage(head)) throw notAnImage(path);
      if (i % 256 === 255) options.onProgress?.(i + 1, inFileOrder.length);
    }
    for (const path of backbone) starts.set(path, (await located(byName.get(path)!)).start);
    options.onProgress?.(inFileOrder.length, inFileOrder.length);

    return {
      json,
      async file(path: string): Promise<Blob> {
        const entry = byName.get(path);
        const start = starts.get(path);
        if (!entry || start === undefined) throw new Error(`"${path}" is not listed in this project file.`);
        const content = await contentOf(file, { ...entry, start });
        return content instanceof Blob ? content : new Blob([content as Uint8Array<ArrayBuffer>]);
      },
    };
  } catch (error) {
    if (error instanceof ProjectFileRejected) throw error;
    throw damagedZip(error);
  }
}

// ---------------------------------------------------------------- the engine's side

/**
 * Export project as the engine does it: a custom backbone's source comes from
 * IndexedDB (its files go into the zip). A project whose custom model is not
 * stored any more is refused: a zip without it would be refused on import.
 */
export async function exportProjectFile(request: ProjectExportRequest, onProgress?: FileProgress): Promise<Blob> {
  const custom = parseCustomSpecId(request.backboneId);
  if (!custom) return writeProjectZip(request, { onProgress });
  const stored = await storedCustomBackbone(custom.modelId);
  if (!stored) {
    throw new Error(
      'its custom backbone is not stored in this browser, so the file could not be imported again. Load the model under "Custom backbone…" and choose its layer, or choose another backbone, then export.',
    );
  }
  const source = stored.source;
  return writeProjectZip(
    { ...request, customBackbone: { title: stored.title, source: 'url' in source ? { url: source.url } : { files: source.files.map((f) => ({ name: f.name })) } } },
    { onProgress, backboneFiles: 'url' in source ? [] : source.files.map((f) => f.file) },
  );
}

export async function writeDatasetFile(request: DatasetExportRequest, onProgress?: FileProgress): Promise<Blob> {
  return writeDatasetZip(request, { onProgress });
}

/** A checked project file, imported from chunk by chunk. */
export interface PendingProjectFile {
  samples(classIndex: number, start: number, count: number): Promise<IncomingFile[]>;
}

/**
 * Checks a project file for import (nothing is imported). A custom backbone that
 * came with it is stored, so the imported project can load it like one chosen here.
 */
export async function checkProjectFile(file: Blob, onProgress?: FileProgress): Promise<{ summary: ProjectFileSummary; pending: PendingProjectFile | null }> {
  let contents: ProjectFileContents;
  try {
    contents = await readProjectZipFile(file, {
      isImage: (head) => {
        const kind = sniffImageKind(head);
        return kind !== null && kind !== 'svg';
      },
      onProgress,
    });
  } catch (error) {
    if (error instanceof ProjectFileRejected) return { summary: { ok: false, message: error.message }, pending: null };
    throw error;
  }
  const { json } = contents;
  let customBackbone: CustomBackboneChoice | undefined;
  const custom = parseCustomSpecId(json.backboneId);
  if (custom && json.customBackbone) {
    const { title, source } = json.customBackbone;
    await saveCustomBackbone(
      custom.modelId,
      title,
      'url' in source ? source : { files: await Promise.all(source.files.map(async (f) => ({ name: f.name, file: await contents.file(f.path) }))) },
    );
    customBackbone = { ...custom, title, specId: json.backboneId, specTitle: `${title} · ${custom.featureNode}` };
  }
  return {
    summary: {
      ok: true,
      name: json.name,
      backboneId: json.backboneId,
      settings: json.settings,
      classes: json.classes.map((c) => ({ name: c.name, samples: c.samples.map((s) => ({ name: s.name })) })),
      ...(customBackbone ? { customBackbone } : {}),
    },
    pending: {
      samples: (classIndex, start, count) =>
        Promise.all(json.classes[classIndex].samples.slice(start, start + count).map(async (s) => ({ name: s.name, file: await contents.file(s.path) }))),
    },
  };
}
