/**
 * Samples and projects: the engine's side of every saved project. The open
 * project's document is mirrored here (ids and names only); images are decoded
 * once at import (thumbnail, check and model-sized pixels from one decode) and
 * stored with the document in one transaction. Bytes stay in the database and
 * are read back batch by batch when needed.
 */
import type { AcceptedSample, BackboneComparison, ImportResult, ImportTarget, IncomingFile, IncomingFrame, OpenedProject, ProjectSummary } from './api';
import * as db from '../storage/db';
import type { ProjectDoc, ProjectEdits, StoredSample } from '../storage/db';
import { mapConcurrently } from './concurrency';
import { dataUrlOf, frameAsJpeg } from './images';
import { decodedFromBitmap, decodeFilesHere, DECODES_IN_FLIGHT, withThumbnailBytes, type DecodedPending, type DecodeFiles, type DecodeOutcome } from './importDecoding';

const LAST_PROJECT_KEY = 'lastProjectId';

/** An imported item after decoding: with its bytes to store, or refused with a reason. */
type ReadOutcome = (Extract<DecodeOutcome, { ok: true }> & { bytes: Blob }) | Extract<DecodeOutcome, { ok: false }>;

/** A decoded import: what is stored, what the page is told, and pixels for the embedder. */
interface Decoded {
  stored: StoredSample;
  accepted: AcceptedSample;
  pixels?: Uint8ClampedArray;
}

export class Projects {
  private doc: ProjectDoc | null = null;
  /** Writes of the open document begun, and the latest of them whose result is the mirror. */
  private writesBegun = 0;
  private writeMirrored = 0;

  /**
   * @param embedSize the model input size images are decoded to at import (null: none).
   * @param decode decodes imported files (in a worker of its own in the engine; here by default).
   */
  constructor(
    private readonly embedSize: () => number | null,
    private readonly decode: DecodeFiles = decodeFilesHere,
  ) {}

  get current(): ProjectDoc | null {
    return this.doc;
  }

  sampleIds(): string[] {
    return this.doc?.classes.flatMap((c) => c.samples.map((s) => s.id)) ?? [];
  }

  async list(): Promise<ProjectSummary[]> {
    return (await db.listProjects()).map((d) => ({ id: d.id, name: d.name, images: d.classes.reduce((n, c) => n + c.samples.length, 0), updatedAt: d.updatedAt }));
  }

  lastOpened(): Promise<string | undefined> {
    return db.getMeta(LAST_PROJECT_KEY);
  }

  async create(doc: ProjectDoc): Promise<void> {
    await db.putProject(doc);
  }

  /**
   * Opens a project: its document (class names, sample ids and names) and whether a
   * model is stored; no image is read. The training report comes only with its model.
   */
  async open(id: string): Promise<OpenedProject | null> {
    const [doc, head] = await Promise.all([db.getProject(id), db.getHead(id)]);
    if (!doc) return null;
    this.doc = doc;
    await db.setMeta(LAST_PROJECT_KEY, id);
    return { doc: { ...doc, training: head ? doc.training : null }, hasModel: head !== undefined };
  }

  /** Applies the page's edits to a project (the open one or another, e.g. renamed from the list). */
  async edit(id: string, edits: Partial<ProjectEdits>): Promise<void> {
    await this.mirror(() => db.editProject(id, edits));
  }

  /**
   * Runs a write of a project's document and, when it is the open project, keeps
   * what it stored as the mirror. Writes overlap (the page saves an edit while an import chunk is
   * stored); the database runs them in the order they began, so the result of the
   * latest-begun write is the stored document, whichever promise settles last.
   */
  private async mirror(write: () => Promise<ProjectDoc | undefined>): Promise<void> {
    const ticket = ++this.writesBegun;
    const stored = await write();
    if (stored && stored.id === this.doc?.id && ticket > this.writeMirrored) {
      this.writeMirrored = ticket;
      this.doc = stored;
    }
  }

  /** Saves a Compare backbones table with the open project's document. */
  async saveComparison(comparison: BackboneComparison | null): Promise<void> {
    const doc = this.doc;
    if (!doc) return;
    await db.putComparison(doc.id, comparison);
    doc.comparison = comparison;
  }

  async delete(id: string): Promise<void> {
    await db.deleteProject(id);
    if (id === this.doc?.id) this.doc = null;
  }

  async duplicate(id: string, name: string): Promise<string> {
    return (await db.duplicateProject(id, name)).id;
  }

  async remove(ids: string[]): Promise<void> {
    const doc = this.doc;
    if (!doc || ids.length === 0) return;
    await this.mirror(async () => {
      await db.removeSamples(doc.id, ids);
      return db.getProject(doc.id);
    });
  }

  async move(ids: string[], toClassId: string): Promise<void> {
    const doc = this.doc;
    if (!doc) return;
    await this.mirror(async () => {
      await db.moveSamples(doc.id, ids, toClassId);
      return db.getProject(doc.id);
    });
  }

  /** Original bytes, in the order asked; undefined for samples no longer stored. */
  bytes(ids: string[]): Promise<(Blob | undefined)[]> {
    return db.sampleBytes(ids);
  }

  async thumbnails(ids: string[]): Promise<(string | null)[]> {
    const thumbnails = await db.sampleThumbnails(ids);
    return Promise.all(thumbnails.map((thumbnail) => (thumbnail ? dataUrlOf(thumbnail) : null)));
  }

  /**
   * Files decoded by the import decoder (its own thread), then stored. The page
   * sends the next chunk before this one is answered; it starts decoding at once
   * but is stored after every chunk sent before it, so the class keeps the order
   * in which the images were given.
   */
  importFiles(files: IncomingFile[], target: ImportTarget): Promise<{ result: ImportResult; decoded: Decoded[] }> {
    const decoding = this.decode(files, this.embedSize());
    decoding.catch(() => undefined); // awaited in its turn
    return this.inTurn(async () =>
      this.storeOutcomes(
        (await decoding).map((outcome, i) => (outcome.ok ? { ...outcome, bytes: files[i].file } : outcome)),
        target,
      ),
    );
  }

  /** Import chunks stored so far, one after another in the order they came. */
  private storing: Promise<unknown> = Promise.resolve();

  private inTurn<T>(store: () => Promise<T>): Promise<T> {
    const turn = this.storing.then(store);
    this.storing = turn.catch(() => undefined);
    return turn;
  }

  /** Camera frames become JPEG files, stored like imported ones; every bitmap is closed. */
  async importFrames(frames: IncomingFrame[], target: ImportTarget): Promise<{ result: ImportResult; decoded: Decoded[] }> {
    const size = this.embedSize();
    const outcomes = await mapConcurrently(frames, DECODES_IN_FLIGHT, async ({ bitmap, name }): Promise<(DecodedPending & { bytes: Blob }) | Extract<DecodeOutcome, { ok: false }>> => {
      try {
        const bytes = await frameAsJpeg(bitmap);
        return { ...(await decodedFromBitmap(bitmap, name, size)), bytes };
      } catch (error) {
        return { ok: false, name, reason: `the frame could not be stored: ${String(error)}` };
      } finally {
        bitmap.close();
      }
    });
    return this.storeOutcomes(await withThumbnailBytes<{ bytes: Blob }>(outcomes), target);
  }

  /** Gives each decoded image its sample id and stores the chunk; the rest are reported with their reasons. */
  private storeOutcomes(outcomes: ReadOutcome[], target: ImportTarget): Promise<{ result: ImportResult; decoded: Decoded[] }> {
    const decoded: Decoded[] = [];
    const rejected: ImportResult['rejected'] = [];
    for (const outcome of outcomes) {
      if (!outcome.ok) {
        rejected.push({ name: outcome.name, reason: outcome.reason });
        continue;
      }
      const { name, bytes, thumbnail, thumbUrl, width, height, pixels } = outcome;
      const id = crypto.randomUUID();
      decoded.push({
        stored: { id, projectId: '', name, bytes, thumbnail, width, height },
        accepted: { id, name, thumbUrl, width, height },
        pixels,
      });
    }
    return this.store(decoded, rejected, target);
  }

  /** Stores an import chunk and lists it in its class, in one transaction; if storage is full, the chunk is dropped and earlier ones stay. */
  private async store(decoded: Decoded[], rejected: ImportResult['rejected'], target: ImportTarget): Promise<{ result: ImportResult; decoded: Decoded[] }> {
    const doc = this.doc;
    if (!doc) throw new Error('No project is open.');
    if (decoded.length === 0) return { result: { accepted: [], rejected }, decoded };
    const samples = decoded.map((d) => ({ ...d.stored, projectId: doc.id }));
    try {
      await this.mirror(() => db.addSamples(doc.id, target, samples));
    } catch (error) {
      const storageProblem = db.isQuotaError(error) ? db.QUOTA_MESSAGE : `The images could not be saved in this browser: ${error instanceof Error ? error.message : error}`;
      return { result: { accepted: [], rejected, storageProblem }, decoded: [] };
    }
    return { result: { accepted: decoded.map((d) => d.accepted), rejected }, decoded };
  }
}
