/**
 * Compare backbones: the project's head trained on each backbone with the same
 * split, seed and settings (frozen backbone, no augmentation, so the backbones and
 * nothing else differ), measured on the same validation images. Embeddings go
 * through the engine's cache like any others; each run's head is kept so the
 * user can switch to that backbone with its model.
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
import type { TrainOutcome } from './api';

/** What the comparison needs from the engine (its cache, loader and cancel flag). */
export interface CompareHost {
  /** The catalog entry of a backbone id. */
  spec(id: string): BackboneSpec;
  loadBackbone(id: string, onProgress: (fraction: number) => void): Promise<LoadedBackbone>;
  /** Embeds (and caches) every sample not yet cached for this backbone; false when cancelled. */
  embedAll(backbone: LoadedBackbone, ids: string[], onProgress: (done: number, total: number) => void): Promise<boolean>;
  /** Cached embeddings of these samples, row after row. */
  cachedEmbeddings(backboneId: string, ids: string[]): Float32Array;
  /** A sample's pixels at size × size (centre square), for timing the backbone. */
  pixels(id: string, size: number): Promise<Uint8ClampedArray>;
  shouldStop(): boolean;
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
    ? 'One TF.js layers model (Teachable Machine compatible)'
    : 'Head-only layers model; metadata.json names the backbone to run first';
}

/**
 * Runs the comparison. Returns null when cancelled (nothing is kept), else the table
 * and the trained heads by backbone id (the caller owns and disposes them).
 */
export async function compareBackbones(
  host: CompareHost,
  request: CompareRequest,
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
    if (host.shouldStop()) return cancelled();
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
    if (!(await host.embedAll(backbone, ids, (done, total) => report('embedding', done, total)))) return cancelled();
    const embeddings = tf.tensor2d(host.cachedEmbeddings(id, ids), [ids.length, spec.embeddingSize]);
    let result: TrainResult;
    try {
      report('training', 0, settings.epochs);
      result = await trainHead(
        embeddings,
        labels,
        classes.length,
        settings,
        { onEpoch: (logs) => report('training', logs.epoch, settings.epochs), shouldStop: host.shouldStop, yieldBetweenBatches: host.yieldBetweenBatches },
        { split },
      );
    } finally {
      embeddings.dispose();
    }
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
  const pixels = await Promise.all(ids.map((id) => host.pixels(id, inputSize)));
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
