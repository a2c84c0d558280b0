/**
 * The project file: one zip with project.json and the images, in class
 * folders, with their original bytes. Reading one is all-or-nothing: every
 * check runs on the zip's central directory and project.json before anything
 * is imported, so a bad file changes nothing. No tfjs and no DOM here.
 */
import { unzipSync, zipSync, strToU8, strFromU8, type Zippable } from 'fflate';
import { BACKBONES, DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../engine/api';
import { parseCustomSpecId } from '../ml/customSpecId';
import { formatBytes } from '../formatBytes';

export const PROJECT_FORMAT = 'transfer-studio-project';
export const PROJECT_FORMAT_VERSION = 1;
/** Largest total uncompressed size accepted (checked from the zip directory before inflating). */
export const MAX_PROJECT_UNCOMPRESSED_BYTES = 2 * 1024 ** 3;

export interface ProjectFileSample {
  /** Path inside the zip, e.g. `images/cats/IMG_1.jpg`. */
  path: string;
  /** The file name the user knew it by. */
  name: string;
}

export interface ProjectFileClass {
  name: string;
  samples: ProjectFileSample[];
}

/**
 * A custom backbone (backboneId `custom:<model>:<layer>:<scaling>`) travels with
 * the project: its model.json URL, or its files under `backbone/` in the zip.
 */
export interface ProjectFileCustomBackbone {
  title: string;
  source: { url: string } | { files: ProjectFileSample[] };
}

export interface ProjectJson {
  format: typeof PROJECT_FORMAT;
  version: typeof PROJECT_FORMAT_VERSION;
  name: string;
  backboneId: string;
  settings: TrainSettings;
  classes: ProjectFileClass[];
  /** Present exactly when backboneId is a custom backbone's. */
  customBackbone?: ProjectFileCustomBackbone;
}

/** What a project file is written from: names only; the writer fetches each path's bytes. */
export interface ProjectOutline {
  name: string;
  backboneId: string;
  settings: TrainSettings;
  classes: { name: string; samples: { name: string }[] }[];
  customBackbone?: { title: string; source: { url: string } | { files: { name: string }[] } };
}

export interface ProjectToExport extends ProjectOutline {
  classes: { name: string; samples: { name: string; bytes: Uint8Array }[] }[];
  customBackbone?: { title: string; source: { url: string } | { files: { name: string; bytes: Uint8Array }[] } };
}

export interface ParsedProject {
  json: ProjectJson;
  /** path → bytes, for every sample in json.classes. */
  files: Map<string, Uint8Array>;
}

/** Why a project file was refused, in words for the user. */
export class ProjectFileRejected extends Error {}

/** A file or folder name that is safe on every OS and inside a zip. */
export function safeName(name: string, fallback: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_')
    .replace(/^\.+/, '_')
    .trim()
    .slice(0, 120);
  return cleaned || fallback;
}

/** Distinct names within one folder: `a.png`, `a (2).png`, … (case-insensitive, for Windows and macOS). */
export function uniqueNamer(): (name: string) => string {
  const used = new Set<string>();
  return (name) => {
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    let candidate = name;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`;
    used.add(candidate.toLowerCase());
    return candidate;
  };
}

/**
 * project.json and the zip path of every sample (per class, in order) and of
 * every custom-backbone file: the one place the project file's layout is decided.
 */
export function projectLayout(project: ProjectOutline): { json: ProjectJson; samplePaths: string[][]; backbonePaths: string[] } {
  const folderName = uniqueNamer();
  const samplePaths: string[][] = [];
  const classes: ProjectFileClass[] = project.classes.map((c, index) => {
    const folder = folderName(safeName(c.name, `class-${index + 1}`));
    const fileName = uniqueNamer();
    const samples = c.samples.map((s, i) => ({ path: `images/${folder}/${fileName(safeName(s.name, `image-${i + 1}`))}`, name: s.name }));
    samplePaths.push(samples.map((s) => s.path));
    return { name: c.name, samples };
  });
  let customBackbone: ProjectFileCustomBackbone | undefined;
  let backbonePaths: string[] = [];
  if (project.customBackbone) {
    const { title, source } = project.customBackbone;
    if ('url' in source) customBackbone = { title, source: { url: source.url } };
    else {
      const fileName = uniqueNamer();
      // model.json names its weight files: they keep their names (only made safe).
      const files = source.files.map((f, i) => ({ path: `backbone/${fileName(safeName(f.name, `file-${i + 1}`))}`, name: f.name }));
      backbonePaths = files.map((f) => f.path);
      customBackbone = { title, source: { files } };
    }
  }
  const json: ProjectJson = {
    format: PROJECT_FORMAT,
    version: PROJECT_FORMAT_VERSION,
    name: project.name,
    backboneId: project.backboneId,
    settings: project.settings,
    classes,
    ...(customBackbone ? { customBackbone } : {}),
  };
  return { json, samplePaths, backbonePaths };
}

/** The whole project file in memory, for tests and small projects; the app streams it (engine/projectFiles). */
export function buildProjectZip(project: ProjectToExport): Uint8Array {
  const { json, samplePaths, backbonePaths } = projectLayout(project);
  const entries: Zippable = {};
  // Images are already compressed: store them as they are.
  project.classes.forEach((c, ci) => c.samples.forEach((s, si) => (entries[samplePaths[ci][si]] = [s.bytes, { level: 0 }])));
  const custom = project.customBackbone?.source;
  if (custom && 'files' in custom) custom.files.forEach((f, i) => (entries[backbonePaths[i]] = f.bytes));
  entries['project.json'] = strToU8(JSON.stringify(json, null, 2));
  return zipSync(entries);
}

/** `../x`, `/x`, `C:\x`, `a/../../x`, backslashes and NUL bytes all escape or confuse the folder. */
export function isUnsafePath(path: string): boolean {
  if (path.length === 0 || path.includes('\\') || path.includes('\u0000')) return true;
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return true;
  return path.split('/').some((part) => part === '..' || part === '.');
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP_MAGIC = [0x50, 0x4b, 0x05, 0x06];

export interface ParseOptions {
  /** Whether bytes start like an image file (the engine sniffs formats). */
  isImage(head: Uint8Array): boolean;
  maxUncompressedBytes?: number;
}

/** Whether the bytes start like a zip (or an empty zip); anything else is refused before reading. */
export function looksLikeZip(head: Uint8Array): boolean {
  const startsWith = (magic: number[]) => magic.every((b, i) => head[i] === b);
  return startsWith(ZIP_MAGIC) || startsWith(EMPTY_ZIP_MAGIC);
}

export const NOT_A_ZIP = 'This file is not a zip archive. Choose a project file exported by Transfer Studio (.zip).';

export function damagedZip(error: unknown): ProjectFileRejected {
  return new ProjectFileRejected(`The zip archive is damaged and cannot be read (${error instanceof Error ? error.message : error}).`);
}

/**
 * The checks on a zip's central directory, entry by entry, before anything is
 * inflated: safe paths, no duplicates, the declared total under the limit.
 * `finish` checks the names as a whole and returns each entry's declared size.
 */
export function directoryChecker(limit = MAX_PROJECT_UNCOMPRESSED_BYTES) {
  const declared = new Map<string, number>();
  let total = 0;
  return {
    add(entry: { name: string; originalSize: number }): void {
      if (isUnsafePath(entry.name)) {
        throw new ProjectFileRejected(`The zip contains an entry with an unsafe path ("${entry.name}"); it was not imported.`);
      }
      total += entry.originalSize;
      if (total > limit) {
        throw new ProjectFileRejected(`The zip unpacks to more than ${formatBytes(limit)}, the limit for a project file; it was not imported.`);
      }
      if (declared.has(entry.name)) throw new ProjectFileRejected(`The zip contains "${entry.name}" twice; it was not imported.`);
      declared.set(entry.name, entry.originalSize);
    },
    finish(): Map<string, number> {
      if (!declared.has('project.json')) {
        throw new ProjectFileRejected('The zip has no project.json: it is not a Transfer Studio project file.');
      }
      for (const name of declared.keys()) {
        if (name !== 'project.json' && !name.endsWith('/') && !name.startsWith('images/') && !name.startsWith('backbone/')) {
          throw new ProjectFileRejected(`The zip contains "${name}", which is not part of a project file; it was not imported.`);
        }
      }
      return declared;
    },
  };
}

/**
 * Checks that project.json and the zip's files agree: every listed path is there
 * once, and nothing is there that is not listed. Returns the image paths (which
 * must then be images) and the custom backbone's file paths.
 */
export function checkListing(json: ProjectJson, declared: Map<string, number>): { images: string[]; backbone: string[] } {
  const referenced = new Set<string>();
  const listed = (path: string) => {
    if (!declared.has(path)) throw new ProjectFileRejected(`project.json lists "${path}", which is missing from the zip; nothing was imported.`);
    if (referenced.has(path)) throw new ProjectFileRejected(`project.json lists "${path}" twice; nothing was imported.`);
    referenced.add(path);
    return path;
  };
  const images = json.classes.flatMap((c) => c.samples.map((s) => listed(s.path)));
  const source = json.customBackbone?.source;
  const backbone = source && 'files' in source ? source.files.map((f) => listed(f.path)) : [];
  for (const name of declared.keys()) {
    if (name === 'project.json' || name.endsWith('/')) continue;
    if (!referenced.has(name)) throw new ProjectFileRejected(`The zip contains "${name}", which project.json does not list; nothing was imported.`);
  }
  return { images, backbone };
}

export function notAnImage(path: string): ProjectFileRejected {
  return new ProjectFileRejected(`"${path}" is not an image (JPEG, PNG, GIF, WebP, BMP or AVIF); nothing was imported.`);
}

/**
 * Checks and unpacks a project zip held in memory. Throws ProjectFileRejected naming the first
 * problem found; on success every listed file's bytes are in `files`. The app reads large files
 * entry by entry instead (engine/projectFiles), with the same checks.
 */
export function parseProjectZip(data: Uint8Array, options: ParseOptions): ParsedProject {
  if (!looksLikeZip(data)) throw new ProjectFileRejected(NOT_A_ZIP);

  // First pass: the central directory only (fflate's filter sees each entry before inflating it).
  const checker = directoryChecker(options.maxUncompressedBytes);
  try {
    unzipSync(data, {
      filter(entry) {
        checker.add(entry);
        return false;
      },
    });
  } catch (error) {
    if (error instanceof ProjectFileRejected) throw error;
    throw damagedZip(error);
  }
  const declared = checker.finish();

  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(data, { filter: (entry) => !entry.name.endsWith('/') });
  } catch (error) {
    throw damagedZip(error);
  }
  for (const [name, bytes] of Object.entries(files)) {
    // A directory that lies about sizes is a zip bomb or a damaged file.
    if (bytes.length !== declared.get(name)) throw new ProjectFileRejected(`The zip entry "${name}" is damaged; nothing was imported.`);
  }

  const json = validateProjectJson(files['project.json']);
  const { images, backbone } = checkListing(json, declared);
  for (const path of images) if (!options.isImage(files[path].subarray(0, 64 * 1024))) throw notAnImage(path);
  return { json, files: new Map([...images, ...backbone].map((path) => [path, files[path]])) };
}

export function validateProjectJson(bytes: Uint8Array): ProjectJson {
  let raw: unknown;
  try {
    raw = JSON.parse(strFromU8(bytes));
  } catch {
    throw new ProjectFileRejected('project.json is not valid JSON; nothing was imported.');
  }
  const bad = (what: string): never => {
    throw new ProjectFileRejected(`project.json is malformed: ${what}; nothing was imported.`);
  };
  if (!isRecord(raw)) return bad('it is not an object');
  if (raw.format !== PROJECT_FORMAT) return bad(`"format" must be "${PROJECT_FORMAT}"`);
  if (raw.version !== PROJECT_FORMAT_VERSION) {
    throw new ProjectFileRejected(
      `This project file has format version ${JSON.stringify(raw.version)}; this version of Transfer Studio reads version ${PROJECT_FORMAT_VERSION}. Nothing was imported.`,
    );
  }
  if (typeof raw.name !== 'string') return bad('"name" must be a string');
  const custom = typeof raw.backboneId === 'string' ? parseCustomSpecId(raw.backboneId) : null;
  if (typeof raw.backboneId !== 'string' || (!custom && !BACKBONES.some((b) => b.id === raw.backboneId))) {
    return bad(`unknown backbone ${JSON.stringify(raw.backboneId)}`);
  }
  let customBackbone: ProjectFileCustomBackbone | undefined;
  if (custom) {
    const c = raw.customBackbone;
    if (!isRecord(c) || typeof c.title !== 'string' || !isRecord(c.source)) return bad('the custom backbone is not described ("customBackbone")');
    if (typeof c.source.url === 'string') {
      // The engine fetches it: web addresses only.
      if (!/^https?:\/\//i.test(c.source.url)) return bad(`the custom backbone's URL ${JSON.stringify(c.source.url)} is not a web address`);
      customBackbone = { title: c.title, source: { url: c.source.url } };
    } else if (Array.isArray(c.source.files)) {
      const files = c.source.files.map((f: unknown) => {
        if (!isRecord(f) || typeof f.path !== 'string' || typeof f.name !== 'string') return bad('a custom backbone file lacks "path" or "name"');
        if (isUnsafePath(f.path) || !/^backbone\/[^/]+$/.test(f.path)) return bad(`unsafe path "${f.path}"`);
        return { path: f.path, name: f.name };
      });
      if (!files.some((f) => f.name.endsWith('.json'))) return bad("the custom backbone's files have no model.json");
      customBackbone = { title: c.title, source: { files } };
    } else return bad('the custom backbone has neither a URL nor files');
  }
  if (!isRecord(raw.settings)) return bad('"settings" must be an object');
  const settings: Record<string, unknown> = { ...DEFAULT_TRAIN_SETTINGS };
  for (const key of Object.keys(DEFAULT_TRAIN_SETTINGS) as (keyof TrainSettings)[]) {
    const value = raw.settings[key];
    if (value === undefined) continue;
    const problem = settingProblem(DEFAULT_TRAIN_SETTINGS[key], value);
    if (problem) return bad(`setting "${key}" ${problem}`);
    settings[key] = value;
  }
  if (!Array.isArray(raw.classes)) return bad('"classes" must be a list');
  const classes = raw.classes.map((c: unknown, i: number): ProjectFileClass => {
    if (!isRecord(c) || typeof c.name !== 'string' || c.name.trim() === '') return bad(`class ${i + 1} has no name`);
    if (!Array.isArray(c.samples)) return bad(`class "${c.name}" has no "samples" list`);
    return {
      name: c.name,
      samples: c.samples.map((s: unknown) => {
        if (!isRecord(s) || typeof s.path !== 'string' || typeof s.name !== 'string') return bad(`a sample of "${c.name}" lacks "path" or "name"`);
        if (isUnsafePath(s.path)) return bad(`unsafe path "${s.path}"`);
        return { path: s.path, name: s.name };
      }),
    };
  });
  return {
    format: PROJECT_FORMAT,
    version: PROJECT_FORMAT_VERSION,
    name: raw.name,
    backboneId: raw.backboneId,
    settings: settings as unknown as TrainSettings,
    classes,
    ...(customBackbone ? { customBackbone } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a stored setting does not have the shape of its default, or null when it does. */
function settingProblem(fallback: unknown, value: unknown): string | null {
  if (typeof fallback === 'number') return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
  if (typeof fallback === 'boolean') return typeof value === 'boolean' ? null : 'must be true or false';
  if (typeof fallback === 'string') return typeof value === 'string' ? null : 'must be text';
  if (isRecord(fallback)) {
    if (!isRecord(value)) return 'must be an object';
    for (const [key, inner] of Object.entries(fallback)) {
      if (value[key] === undefined) continue;
      const problem = settingProblem(inner, value[key]);
      if (problem) return `.${key} ${problem}`;
    }
    return null;
  }
  return null;
}
