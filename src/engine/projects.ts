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
import { decodedFromBitmap, decodeFilesHere, DECODES_IN_FLIGHT, withThumbnailBytes, type DecodedPending, type DecodeFiles, type DecodeOutcome, type Refused } from './importDecoding';

const LAST_PROJECT_KEY = 'lastProjectId';

/** An imported item after decoding: with its bytes to store, or refused with a reason. */
type ReadOutcome = (Extract<DecodeOutcome, { ok: true }> & { bytes: Blob }) | Refused;

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
  importFiles(files: IncomingFile[], target: ImportTarget): Promise<StoredChunk> {
    const decoding = this.decode(files, this.embedSize()).then((outcomes) =>
      outcomes.map((outcome, i): ReadOutcome => (outcome.ok ? { ...outcome, bytes: files[i].file } : outcome)),
    );
    return new Promise<StoredChunk>((resolve, reject) => {
      const chunk: WaitingChunk = {
        target,
        resolve,
        reject,
        settled: decoding.then(
          (outcomes) => void (chunk.outcomes = outcomes),
          (error: unknown) => void (chunk.failure = { error }),
        ),
      };
      this.waiting.push(chunk);
      void this.storeWaiting();
    });
  }

  /** Import chunks sent and not stored yet, in the order they came. */
  private readonly waiting: WaitingChunk[] = [];
  private storingWaiting = false;

  /**
   * Stores the waiting chunks in the order they came: the oldest once it is
   * decoded, and with it every chunk after it decoded by then, in one
   * transaction. The document lists every sample, so each transaction reads and
   * writes all of it: at 20,000 images, once per chunk was most of a chunk's
   * storing time.
   */
  private async storeWaiting(): Promise<void> {
    if (this.storingWaiting) return;
    this.storingWaiting = true;
    try {
      while (this.waiting.length > 0) {
        await this.waiting[0].settled;
        const ready: WaitingChunk[] = [];
        while (this.waiting.length > 0 && (this.waiting[0].outcomes || this.waiting[0].failure)) ready.push(this.waiting.shift()!);
        for (const chunk of ready) if (chunk.failure) chunk.reject(chunk.failure.error);
        const decoded = ready.filter((chunk) => chunk.outcomes);
        try {
          const stored = await this.storeChunks(decoded.map((chunk) => ({ outcomes: chunk.outcomes!, target: chunk.target })));
          decoded.forEach((chunk, i) => chunk.resolve(stored[i]));
        } catch (error) {
          decoded.forEach((chunk) => chunk.reject(error));
        }
      }
    } finally {
      this.storingWaiting = false;
    }
  }

  /** Camera frames become JPEG files, stored like imported ones; every bitmap is closed. */
  async importFrames(frames: IncomingFrame[], target: ImportTarget): Promise<StoredChunk> {
    const size = this.embedSize();
    const outcomes = await mapConcurrently(frames, DECODES_IN_FLIGHT, async ({ bitmap, name }): Promise<(DecodedPending & { bytes: Blob }) | Refused> => {
      try {
        const bytes = await frameAsJpeg(bitmap);
        return { ...(await decodedFromBitmap(bitmap, name, size)), bytes };
      } catch (error) {
        return { ok: false, name, reason: `the frame could not be stored: ${String(error)}` };
      } finally {
        bitmap.close();
      }
    });
    const [stored] = await this.storeChunks([{ outcomes: await withThumbnailBytes<{ bytes: Blob }>(outcomes), target }]);
    return stored;
  }

  /**
   * Gives each decoded image its sample id and stores the chunks, each listed in
   * its class, in one transaction; refused images are reported with their
   * reasons. If storage is full, these chunks are dropped and earlier ones stay.
   */
  private async storeChunks(chunks: { outcomes: ReadOutcome[]; target: ImportTarget }[]): Promise<StoredChunk[]> {
    const doc = this.doc;
    if (!doc) throw new Error('No project is open.');
    const prepared = chunks.map(({ outcomes, target }) => {
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
          stored: { id, projectId: doc.id, name, bytes, thumbnail, width, height },
          accepted: { id, name, thumbUrl, width, height },
          pixels,
        });
      }
      return { target, decoded, rejected };
    });
    const groups = prepared.filter((p) => p.decoded.length > 0).map((p) => ({ target: p.target, samples: p.decoded.map((d) => d.stored) }));
    if (groups.length > 0) {
      try {
        await this.mirror(() => db.addSampleGroups(doc.id, groups));
      } catch (error) {
        const storageProblem = db.isQuotaError(error) ? db.QUOTA_MESSAGE : `The images could not be saved in this browser: ${error instanceof Error ? error.message : error}`;
        return prepared.map(({ rejected }) => ({ result: { accepted: [], rejected, storageProblem }, decoded: [] }));
      }
    }
    return prepared.map(({ decoded, rejected }) => ({ result: { accepted: decoded.map((d) => d.accepted), rejected }, decoded }));
  }
}

/** An import chunk once stored: what the page is told, and what the embedder gets. */
type StoredChunk = { result: ImportResult; decoded: Decoded[] };

/** An import chunk waiting for its turn to be stored. */
interface WaitingChunk {
  target: ImportTarget;
  /** Set once decoding has ended, with its outcomes or its failure. */
  outcomes?: ReadOutcome[];
  failure?: { error: unknown };
  settled: Promise<void>;
  resolve(stored: StoredChunk): void;
  reject(error: unknown): void;
}
