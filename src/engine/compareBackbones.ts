/**
 * Compare backbones: the project's head trained on each backbone with the same
 * split, seed and settings (frozen backbone, no augmentation, so the backbones and
 * nothing else differ), measured on the same validation images. Embeddings go
 * through the engine's EmbeddingTable like any others (and are stored); each
 * run's head is kept so the user can switch to that backbone with its model.
 * `compareBackbones` is the run itself over a small host interface; the
 * `Comparisons` class wires it to the engine's modules and keeps the heads.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from '../ml/backbone';
import type { BackboneSpec } from '../ml/backbones';
import { rgbaBatchToTensor } from '../ml/preprocess';
import type { TrainSettings } from '../ml/settings';
import { stratifiedSplit, trainingProblem } from '../ml/split';
import { trainHead, type TrainResult } from '../ml/train';
import type { BackboneComparison, CompareProgress, CompareRequest, ComparisonRow } from './backboneTypes';
import { validationReportOf } from './report';
import type { Progress, TrainOutcome } from './api';
import type { Backbones } from './backbones';
import type { Embeddings } from './embeddings';
import { yieldEvery } from './operations';
import type { Projects } from './projects';
import type { ModelHolder } from './training';

/** What the comparison needs from the engine: its backbones, its embedding cache and the samples' pixels. */
export interface CompareHost {
  /** The catalog entry of a backbone id. */
  spec(id: string): BackboneSpec;
  loadBackbone(id: string, onProgress: (fraction: number) => void): Promise<LoadedBackbone>;
  /** Embeds (and caches) every sample not yet cached for this backbone; false when aborted (Embeddings.embedMissing). */
  embedMissing(backbone: LoadedBackbone, ids: readonly string[], signal: AbortSignal, onProgress: (progress: Progress) => void): Promise<boolean>;
  /** Cached embeddings of these samples, row after row (EmbeddingTable.matrix). */
  cachedEmbeddings(backbone: LoadedBackbone, ids: readonly string[]): Promise<Float32Array>;
  /** Samples' pixels at size × size (centre square), for timing the backbone. */
  pixels(ids: readonly string[], size: number): Promise<Uint8ClampedArray[]>;
  yieldBetweenBatches(): Promise<void>;
  backend: string;
}

/** A compared backbone's trained head, ready to become the model in use. */
export interface ComparedModel {
  head: tf.Sequential;
  labels: string[];
  backboneId: string;
  outcome: Extract<TrainOutcome, { status: 'trained' }>;
}

const TIMING_IMAGES = 8;

/** The settings every backbone is trained with: the project's, with the backbone frozen and nothing augmented. */
export function comparisonSettings(settings: TrainSettings): TrainSettings {
  return { ...settings, fineTuneLayers: 0, augment: false, initialWeights: 'fresh' };
}

export function exportFormatsOf(format: string): string {
  return format === 'layers'
    ? 'One TF.js layers model (Teachable Machine compatible); TFLite (float, quantized); ONNX'
    : 'TF.js only: a head-only layers model, metadata.json names the backbone to run first';
}

/**
 * Runs the comparison. Returns null when cancelled (nothing is kept), else the table
 * and the trained heads by backbone id (the caller owns and disposes them).
 */
export async function compareBackbones(
  host: CompareHost,
  request: CompareRequest,
  signal: AbortSignal,
  onProgress: (progress: CompareProgress) => void,
): Promise<{ comparison: BackboneComparison; models: Map<string, ComparedModel> } | { refused: string } | null> {
  const classes = request.classes.filter((c) => c.sampleIds.length > 0);
  const settings = comparisonSettings(request.settings);
  const problem = trainingProblem(request.classes.map((c) => ({ name: c.name, count: c.sampleIds.length })), settings.validationSplit);
  if (problem) return { refused: problem };
  if (settings.validationSplit <= 0) return { refused: 'Comparing backbones needs validation images: set a validation split above 0 %.' };
  const ids = classes.flatMap((c) => c.sampleIds);
  const labels = classes.flatMap((c, label) => c.sampleIds.map(() => label));
  const names = classes.map((c) => c.name);
  // One split for every backbone: the rows differ only by backbone.
  const split = stratifiedSplit(labels, settings.validationSplit, settings.seed);
  const timingIds = ids.slice(0, TIMING_IMAGES);
  const rows: ComparisonRow[] = [];
  const models = new Map<string, ComparedModel>();
  const count = request.backboneIds.length;
  const cancelled = () => {
    for (const m of models.values()) m.head.dispose();
    return null;
  };
  for (const [i, id] of request.backboneIds.entries()) {
    const spec = host.spec(id);
    const report = (phase: CompareProgress['phase'], done: number, total: number) => onProgress({ index: i + 1, count, title: spec.title, phase, done, total });
    if (signal.aborted) return cancelled();
    const started = performance.now();
    let backbone: LoadedBackbone;
    try {
      report('loading-backbone', 0, 100);
      backbone = await host.loadBackbone(id, (f) => report('loading-backbone', Math.round(f * 100), 100));
    } catch (error) {
      rows.push({ backboneId: id, title: spec.title, accuracy: null, perClassAccuracy: [], embedMsPerImage: null, parameters: null, exportFormats: exportFormatsOf(spec.format), error: messageOf(error) });
      continue;
    }
    const embedMsPerImage = await timeEmbedding(host, backbone, timingIds);
    if (!(await host.embedMissing(backbone, ids, signal, (p) => report('embedding', p.done, p.total)))) return cancelled();
    const embeddings = { values: await host.cachedEmbeddings(backbone, ids), dims: spec.embeddingSize };
    report('training', 0, settings.epochs);
    const result: TrainResult = await trainHead(
      embeddings,
      labels,
      classes.length,
      settings,
      { onEpoch: (logs) => report('training', logs.epoch, settings.epochs), shouldStop: () => signal.aborted, yieldBetweenBatches: host.yieldBetweenBatches },
      { split },
    );
    if (result.stopped) {
      result.head.dispose();
      return cancelled();
    }
    const validation = validationReportOf(ids, labels, split, result.validationPredictions, result.validationConfidences, classes.length);
    const headParameters = result.head.countParams();
    rows.push({
      backboneId: id,
      title: spec.title,
      accuracy: validation?.accuracy ?? null,
      perClassAccuracy: validation?.perClassAccuracy ?? [],
      embedMsPerImage,
      parameters: backbone.parameterCount === undefined ? null : backbone.parameterCount + headParameters,
      exportFormats: exportFormatsOf(spec.format),
    });
    models.set(id, {
      head: result.head,
      labels: names,
      backboneId: id,
      outcome: {
        status: 'trained',
        history: result.history,
        validation,
        labels: names,
        seconds: (performance.now() - started) / 1000,
        details: {
          bestEpoch: result.bestEpoch,
          classWeights: result.classWeights,
          augmentedViews: 0,
          notes: ['Trained by Compare backbones (frozen backbone, no augmentation).'],
        },
      },
    });
  }
  return {
    comparison: {
      labels: names,
      images: ids.length,
      validationImages: split.validation.length,
      seed: settings.seed,
      epochs: settings.epochs,
      backend: host.backend,
      madeAt: new Date().toISOString(),
      rows,
      skipped: request.skipped,
    },
    models,
  };
}

/** Milliseconds per image for one batch of project images through the backbone (after one untimed batch). */
async function timeEmbedding(host: CompareHost, backbone: LoadedBackbone, ids: string[]): Promise<number | null> {
  if (ids.length === 0) return null;
  const { inputSize, scaling } = backbone.spec;
  const pixels = await host.pixels(ids, inputSize);
  const input = rgbaBatchToTensor(pixels, inputSize, scaling);
  const run = async () => {
    const output = backbone.embed(input);
    await output.data();
    output.dispose();
  };
  try {
    // The first batch at this size pays for memory growth and kernel set-up; time the second.
    await run();
    const started = performance.now();
    await run();
    return (performance.now() - started) / ids.length;
  } finally {
    input.dispose();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface ComparisonDeps {
  backbones: Backbones;
  embeddings: Embeddings;
  projects: Projects;
  models: ModelHolder;
  /** Decodes an image to size × size RGBA (centre square): images.ts's modelPixels in the worker. */
  pixels(blob: Blob, size: number): Promise<Uint8ClampedArray>;
}

/**
 * The engine's Compare backbones: runs a comparison on the open project (the caller
 * gives it its operation's AbortSignal), saves the table with the project, and keeps
 * each backbone's head until the next comparison or another project is opened.
 */
export class Comparisons {
  /** Heads trained by the last comparison, by backbone id ("Use this backbone"). */
  private compared = new Map<string, ComparedModel>();

  constructor(private readonly deps: ComparisonDeps) {}

  /** What a comparison uses of the engine: catalog backbones (one in memory at a time), the embedding table, stored bytes. */
  private host(): CompareHost {
    const { backbones, embeddings, projects, pixels } = this.deps;
    return {
      spec: (id) => backbones.spec(id),
      loadBackbone: (id, progress) => backbones.load(id, (p) => p.phase === 'loading-backbone' && progress(p.done / p.total)),
      embedMissing: (backbone, ids, signal, progress) => embeddings.embedMissing(backbone, ids, signal, progress),
      cachedEmbeddings: async (backbone, ids) => (await embeddings.table(backbone.spec)).matrix(ids),
      pixels: async (ids, size) => {
        const blobs = await projects.bytes([...ids]);
        return Promise.all(
          blobs.map((blob) => {
            if (!blob) throw new Error('Some images were removed during the comparison; compare again.');
            return pixels(blob, size);
          }),
        );
      },
      yieldBetweenBatches: yieldEvery(),
      backend: tf.getBackend(),
    };
  }

  async run(request: CompareRequest, signal: AbortSignal, onProgress: (progress: CompareProgress) => void): Promise<BackboneComparison | { refused: string } | null> {
    const project = this.deps.projects.current;
    if (!project) return { refused: 'No project is open.' };
    const known = new Set(this.deps.projects.sampleIds());
    const missing = request.classes.flatMap((c) => c.sampleIds).filter((id) => !known.has(id));
    if (missing.length > 0) return { refused: `${missing.length} images are no longer available; add them again.` };
    await this.deps.backbones.backendStarted();
    const outcome = await compareBackbones(this.host(), request, signal, onProgress);
    if (!outcome || 'refused' in outcome) return outcome;
    this.discard();
    this.compared = outcome.models;
    // Saved with the project document (the page's edits never carry it).
    if (this.deps.projects.current?.id === project.id) {
      await this.deps.projects.saveComparison(outcome.comparison).catch((error) => console.warn('Comparison not saved:', error));
    }
    return outcome.comparison;
  }

  /** Makes the head compared on this backbone the model in use, saved with its report; null when it is no longer held. */
  async use(backboneId: string, labels: string[], revision: number): Promise<TrainOutcome | null> {
    const compared = this.compared.get(backboneId);
    if (!compared || compared.labels.join('\n') !== labels.join('\n')) return null;
    await this.deps.backbones.load(backboneId);
    // The model in use is disposed when replaced: hand the head over, do not share it.
    this.compared.delete(backboneId);
    const model = { head: compared.head, labels: compared.labels, backboneId };
    this.deps.models.replace(model);
    const projectId = this.deps.projects.current?.id;
    const saveProblem = projectId ? await this.deps.models.store.saveModel(projectId, model, { result: compared.outcome, revision, backboneId }) : undefined;
    return saveProblem ? { ...compared.outcome, saveProblem } : compared.outcome;
  }

  /** Drops the held heads (another project opened, or a new comparison finished). */
  discard(): void {
    for (const m of this.compared.values()) m.head.dispose();
    this.compared.clear();
  }
}
