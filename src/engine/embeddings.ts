/**
 * The embedding cache: one packed table per backbone (sample id → row of one
 * growing Float32Array), filled from the database on first use, by the
 * background embedder right after import, and by training for whatever is
 * still missing. Original bytes are read from the database batch by batch,
 * never held for the whole project.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from '../ml/backbone';
import { inferenceBatchSize } from '../ml/batching';
import { rgbaBatchToTensor } from '../ml/preprocess';
import type { Progress } from './api';
import { exclusive, yieldToEventLoop } from './operations';

/** Images per backbone call on the active backend (larger on GPU backends: one readback per call). */
export const embedBatch = () => inferenceBatchSize(tf.getBackend());
/** Decoded images waiting for the background embedder; an import waits while more are queued. */
const MAX_QUEUED_PIXELS = 128;

/** Sample id → embedding, all rows in one Float32Array that doubles as it fills. */
export class EmbeddingTable {
  private readonly rows = new Map<string, number>();
  private data: Float32Array;
  private used = 0;

  constructor(readonly dims: number, capacity = 256) {
    this.data = new Float32Array(dims * capacity);
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  get size(): number {
    return this.rows.size;
  }

  /** Stores row i of `vectors` (packed, `ids.length` × dims) for `ids[i]`. */
  set(ids: readonly string[], vectors: Float32Array): void {
    if (vectors.length !== ids.length * this.dims) throw new Error(`Expected ${ids.length} × ${this.dims} values, got ${vectors.length}`);
    ids.forEach((id, i) => {
      let row = this.rows.get(id);
      if (row === undefined) {
        if (this.used === this.data.length / this.dims) this.grow();
        row = this.used++;
        this.rows.set(id, row);
      }
      this.data.set(vectors.subarray(i * this.dims, (i + 1) * this.dims), row * this.dims);
    });
  }

  delete(id: string): void {
    // The row stays allocated; a table is rebuilt whenever a project opens.
    this.rows.delete(id);
  }

  /** The rows of `ids`, packed in that order (ids must all be present). */
  matrix(ids: readonly string[]): Float32Array {
    const out = new Float32Array(ids.length * this.dims);
    ids.forEach((id, i) => {
      const row = this.rows.get(id);
      if (row === undefined) throw new Error(`No embedding for sample ${id}`);
      out.set(this.data.subarray(row * this.dims, (row + 1) * this.dims), i * this.dims);
    });
    return out;
  }

  private grow(): void {
    const next = new Float32Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}

export interface EmbeddingStore {
  /** Calls `visit` with stored embeddings of a project for a backbone (any batching). */
  read(projectId: string, backboneId: string, visit: (sampleIds: string[], vectors: Float32Array) => void): Promise<void>;
  save(projectId: string, backboneId: string, sampleIds: string[], vectors: Float32Array): Promise<void>;
}

export interface EmbeddingDeps {
  store: EmbeddingStore;
  /** Original bytes of samples; undefined for ones no longer stored. */
  bytes(ids: string[]): Promise<(Blob | undefined)[]>;
  /** Decodes an image to size × size RGBA (centre square). */
  pixels(blob: Blob, size: number): Promise<Uint8ClampedArray>;
  /** The open project's id, and the ids of all its samples. */
  project(): { id: string; sampleIds: () => string[] } | null;
  /** Loads (or returns the loaded) backbone. */
  backbone(id: string): Promise<LoadedBackbone>;
  /** Told after every embedded batch, for the page's "N of M embedded". */
  onStatus(status: EmbeddingStatus): void;
  /** True while the background embedder should wait (a training run is queued or running: it embeds what it needs itself). */
  paused?(): boolean;
}

export interface EmbeddingStatus {
  backboneId: string;
  embedded: number;
  total: number;
}

/** One backbone forward pass over model-sized pixels: a packed [N × D] array. */
export async function embedPixels(backbone: LoadedBackbone, pixels: Uint8ClampedArray[]): Promise<Float32Array> {
  const { inputSize, scaling } = backbone.spec;
  const output = tf.tidy(() => backbone.embed(rgbaBatchToTensor(pixels, inputSize, scaling)));
  const flat = (await output.data()) as Float32Array;
  output.dispose();
  return flat;
}

export class Embeddings {
  private readonly tables = new Map<string, Promise<EmbeddingTable>>();
  /** The backbone the background embedder works for, with images decoded at import waiting for it. */
  private background: { backboneId: string; inputSize: number; queue: { id: string; pixels?: Uint8ClampedArray }[] } | null = null;
  private pumping = false;
  private saving: Promise<void> = Promise.resolve();
  private readonly drained: (() => void)[] = [];
  private generation = 0;

  constructor(private readonly deps: EmbeddingDeps) {}

  /** Forgets every table (another project was opened). */
  reset(): void {
    this.tables.clear();
    this.background = null;
    this.generation++;
    this.wakeImporters();
  }

  /** The table of a backbone, read from the database the first time. */
  table(backbone: { id: string; embeddingSize: number }): Promise<EmbeddingTable> {
    let table = this.tables.get(backbone.id);
    if (!table) {
      const project = this.deps.project();
      table = (async () => {
        const loaded = new EmbeddingTable(backbone.embeddingSize, Math.max(256, project?.sampleIds().length ?? 0));
        if (project) await this.deps.store.read(project.id, backbone.id, (ids, vectors) => loaded.set(ids, vectors));
        return loaded;
      })();
      this.tables.set(backbone.id, table);
      table.catch(() => this.tables.delete(backbone.id));
    }
    return table;
  }

  forget(ids: string[]): void {
    for (const table of this.tables.values()) void table.then((t) => ids.forEach((id) => t.delete(id)));
    if (this.background) this.background.queue = this.background.queue.filter((item) => !ids.includes(item.id));
  }

  /**
   * Embeds every id not yet in the table, decoding from stored bytes, in batches;
   * the next batch decodes while the backbone runs this one. False when aborted.
   */
  async embedMissing(backbone: LoadedBackbone, ids: readonly string[], signal: AbortSignal, onProgress?: (p: Progress) => void): Promise<boolean> {
    const table = await this.table(backbone.spec);
    const todo = ids.filter((id) => !table.has(id));
    const total = todo.length;
    const batchSize = embedBatch();
    onProgress?.({ phase: 'embedding', done: 0, total });
    const decode = async (start: number) => {
      const batch = todo.slice(start, start + batchSize);
      const blobs = await this.deps.bytes(batch);
      return Promise.all(
        blobs.map((blob) => {
          if (!blob) throw new Error('Some images were removed while they were being embedded; press Train again');
          return this.deps.pixels(blob, backbone.spec.inputSize);
        }),
      );
    };
    let next = total > 0 ? decode(0) : null;
    try {
      for (let start = 0; start < total; start += batchSize) {
        const pixels = await next!;
        next = start + batchSize < total ? decode(start + batchSize) : null;
        if (signal.aborted) return false;
        await this.store(backbone, table, todo.slice(start, start + batchSize), pixels);
        onProgress?.({ phase: 'embedding', done: Math.min(total, start + batchSize), total });
        await yieldToEventLoop();
      }
    } finally {
      // A batch still decoding when the loop stops early is abandoned; its failure is nobody's.
      next?.catch(() => undefined);
      this.settleBackground(backbone.spec.id, table);
    }
    return !signal.aborted;
  }

  private async store(backbone: LoadedBackbone, table: EmbeddingTable, ids: string[], pixels: Uint8ClampedArray[]): Promise<void> {
    const vectors = await embedPixels(backbone, pixels);
    table.set(ids, vectors);
    const project = this.deps.project();
    if (!project) return;
    // Saved behind the embedder, one write after another, so the next batch does not wait for a
    // commit. Embeddings are a cache: when storage is full they are simply computed again next time.
    this.saving = this.saving
      .then(() => this.deps.store.save(project.id, backbone.spec.id, ids, vectors))
      .catch((error) => console.warn('Embeddings not saved:', error));
  }

  /**
   * Makes the background embedder work for this backbone: every sample of the
   * open project not embedded yet is queued (decoded from stored bytes when its
   * turn comes).
   */
  async embedInBackground(backbone: { id: string; inputSize: number; embeddingSize: number }): Promise<void> {
    const project = this.deps.project();
    if (!project) return;
    const generation = this.generation;
    const table = await this.table(backbone);
    if (generation !== this.generation) return;
    const queued = this.background?.backboneId === backbone.id ? this.background.queue : [];
    const inQueue = new Set(queued.map((item) => item.id));
    const missing = project.sampleIds().filter((id) => !table.has(id) && !inQueue.has(id));
    this.background = { backboneId: backbone.id, inputSize: backbone.inputSize, queue: [...queued, ...missing.map((id) => ({ id }))] };
    this.report(backbone.id, table);
    this.pump();
  }

  /** The model size the background embedder decodes to, so an import can decode once for thumbnail and embedding. */
  backgroundInputSize(): number | null {
    return this.background?.inputSize ?? null;
  }

  /** Hands images just decoded at import to the background embedder; waits while it is far behind. */
  async queueImported(items: { id: string; pixels?: Uint8ClampedArray }[]): Promise<void> {
    const background = this.background;
    if (!background) return;
    background.queue.push(...items.map(({ id, pixels }) => ({ id, pixels: pixels?.length === background.inputSize ** 2 * 4 ? pixels : undefined })));
    this.pump();
    while (this.background === background && background.queue.filter((item) => item.pixels).length > MAX_QUEUED_PIXELS) {
      if (this.deps.paused?.()) {
        // Training holds the backbone: rather than stall the import, keep only the newest pixels; the rest are decoded again later.
        let excess = background.queue.filter((item) => item.pixels).length - MAX_QUEUED_PIXELS;
        for (const item of background.queue) {
          if (excess > 0 && item.pixels) {
            item.pixels = undefined;
            excess--;
          }
        }
        break;
      }
      await new Promise<void>((resolve) => this.drained.push(resolve));
    }
  }

  private wakeImporters(): void {
    this.drained.splice(0).forEach((resolve) => resolve());
  }

  private lastReport = 0;

  /** Tells the page how many are embedded: at most every 200 ms, and always when the queue is done. */
  private report(backboneId: string, table: EmbeddingTable): void {
    const project = this.deps.project();
    if (!project) return;
    const done = (this.background?.queue.length ?? 0) === 0;
    if (!done && performance.now() - this.lastReport < 200) return;
    this.lastReport = performance.now();
    const ids = project.sampleIds();
    this.deps.onStatus({ backboneId, embedded: ids.filter((id) => table.has(id)).length, total: ids.length });
  }

  /**
   * After training embedded images itself: the background queue drops what is
   * now embedded, and the page hears the new count at once (it would otherwise
   * keep showing the count from before training).
   */
  private settleBackground(backboneId: string, table: EmbeddingTable): void {
    if (this.background?.backboneId !== backboneId) return;
    this.background.queue = this.background.queue.filter((item) => !table.has(item.id));
    this.lastReport = 0;
    this.report(backboneId, table);
  }

  /** Embeds queued images a batch at a time, each batch its own turn in the engine's queue (training or a prediction can go between). */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void (async () => {
      try {
        while (this.background && this.background.queue.length > 0) {
          if (this.deps.paused?.()) {
            // Importers may go on meanwhile: their images are decoded and queued, not embedded.
            this.wakeImporters();
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          const background = this.background;
          await exclusive(() => this.embedNext(background)).catch((error) => {
            console.warn('Background embedding stopped:', error);
            background.queue.length = 0;
          });
          this.wakeImporters();
          await yieldToEventLoop();
        }
      } finally {
        this.pumping = false;
        this.wakeImporters();
      }
    })();
  }

  private async embedNext(background: NonNullable<Embeddings['background']>): Promise<void> {
    if (this.background !== background) return;
    const backbone = await this.deps.backbone(background.backboneId);
    const table = await this.table(backbone.spec);
    const batch = background.queue.splice(0, embedBatch()).filter((item) => !table.has(item.id));
    if (batch.length === 0) return this.report(backbone.spec.id, table);
    const undecoded = batch.filter((item) => !item.pixels);
    // Images decoded at import need no database read; an empty read would still wait a round trip.
    const blobs = undecoded.length > 0 ? await this.deps.bytes(undecoded.map((item) => item.id)) : [];
    const ready: { id: string; pixels: Uint8ClampedArray }[] = [];
    await Promise.all(
      batch.map(async (item) => {
        const blob = item.pixels ? undefined : blobs[undecoded.indexOf(item)];
        if (!item.pixels && !blob) return; // removed meanwhile
        const pixels = item.pixels ?? (await this.deps.pixels(blob!, backbone.spec.inputSize).catch(() => undefined));
        if (pixels) ready.push({ id: item.id, pixels });
      }),
    );
    if (ready.length > 0 && this.background === background) {
      await this.store(backbone, table, ready.map((r) => r.id), ready.map((r) => r.pixels));
    }
    this.report(backbone.spec.id, table);
  }
}
