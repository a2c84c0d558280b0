/**
 * A fine-tuning run inside the worker: decodes the images, runs the frozen prefix
 * once per image (and once per augmented view, which are cached too while they fit
 * in memory; beyond that, batches are augmented as they come), and falls back to the CPU backend when the active one lacks a gradient kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from '../ml/backbone';
import { augmentBatch, sampleAugmentParams, valueRange, type AugmentParams } from '../ml/augment';
import { createRng } from '../ml/random';
import { inferenceBatchSize } from '../ml/batching';
import { augmentedTailInputs, cachedTailInputs, cachedViewTailInputs, fineTuneTail, splitForFineTuning, type FineTuneResult, type TailSplit } from '../ml/fineTune';
import { withKernelFallback } from './backend';
import { foldedForward } from '../ml/foldedBackbone';
import { rgbaBatchToTensor, scaleFunction } from '../ml/preprocess';
import type { HeadWeights } from '../ml/initialWeights';
import type { TrainSettings } from '../ml/settings';
import type { Split } from '../ml/split';
import type { TrainCallbacks } from '../ml/train';
import type { Progress } from './api';
import { modelPixels } from './images';
import { yieldToEventLoop } from './operations';

/** Above this, augmented views of the frozen prefix's output are not cached; batches are augmented as they come. */
const VIEW_CACHE_BYTES = 768 * 2 ** 20;
/** Decoded training images kept for per-batch augmentation, at most. */
const PIXEL_BUDGET_BYTES = 1024 * 2 ** 20;

export interface FineTuneRunRequest {
  backbone: LoadedBackbone;
  ids: string[];
  labels: number[];
  numClasses: number;
  split: Split;
  settings: TrainSettings;
  /** A sample's original bytes (read from storage when needed). */
  sample: (id: string) => Promise<Blob>;
  onProgress: (progress: Progress) => void;
  callbacks: TrainCallbacks;
  shouldStop: () => boolean;
  initialHead?: HeadWeights;
}

export interface FineTuneRun {
  result: FineTuneResult;
  tailSplit: TailSplit;
  notes: string[];
}

/** Runs fine-tuning; null when cancelled before training finished. */
export async function runFineTune(request: FineTuneRunRequest): Promise<FineTuneRun | null> {
  const { backbone, settings, split } = request;
  const { inputSize, scaling } = backbone.spec;
  // Images per frozen-prefix call on the active backend.
  const PREFIX_BATCH = inferenceBatchSize(tf.getBackend());
  const tailSplit = await splitForFineTuning(backbone.featureModel!, settings.fineTuneLayers);
  const notes = [
    `Fine-tuned ${tailSplit.trainableLayers.length} backbone layers (${tailSplit.trainableLayers.join(', ')}) at learning rate ${settings.fineTuneLearningRate}.`,
  ];
  const owned: tf.Tensor[] = [];
  // The frozen prefix only ever runs forward: the folded pass does that in fewer kernels.
  const prefix = tailSplit.prefix ? foldedForward(backbone.featureModel!, tailSplit.cutLayer) : null;
  try {
    const views = settings.augmentViews;
    // Per-batch augmentation re-reads every training image's pixels each epoch: only then are they all kept in memory.
    let keepPixels = settings.augment && (settings.augmentEveryBatch || views === 0);
    const pixelBytes = request.ids.length * inputSize * inputSize * 4;
    const checkPixelBudget = () => {
      if (pixelBytes <= PIXEL_BUDGET_BYTES) return;
      throw new Error(
        `Augmenting every batch afresh keeps every image decoded in memory: ${request.ids.length.toLocaleString('en')} images need ` +
          `${Math.round(pixelBytes / 2 ** 20)} MB, more than ${PIXEL_BUDGET_BYTES / 2 ** 20} MB. Turn that option off (cached augmented views are used instead) or train on fewer images.`,
      );
    };
    if (keepPixels) checkPixelBudget();
    const kept: Uint8ClampedArray[] = [];
    /** Model-sized pixels of these sample rows, decoded from stored bytes (or kept ones). */
    const pixelsOf = async (rows: number[]): Promise<Uint8ClampedArray[]> => {
      if (rows.every((r) => kept[r])) return rows.map((r) => kept[r]);
      const decoded = await Promise.all(rows.map(async (r) => modelPixels(await request.sample(request.ids[r]), inputSize)));
      if (keepPixels) rows.forEach((r, i) => (kept[r] = decoded[i]));
      return decoded;
    };
    const images = (rows: number[]) => rgbaBatchToTensor(rows.map((r) => kept[r]), inputSize, scaling);
    const range = valueRange(scaleFunction(scaling));
    /** The frozen prefix's output for these rows, each augmented with its params when given; null when cancelled. */
    const runPrefix = async (rows: number[], phase: Progress['phase'], params?: AugmentParams[]): Promise<tf.Tensor | null> => {
      const parts: tf.Tensor[] = [];
      for (let start = 0; start < rows.length; start += PREFIX_BATCH) {
        if (request.shouldStop()) {
          tf.dispose(parts);
          return null;
        }
        const batch = rows.slice(start, start + PREFIX_BATCH);
        const pixels = await pixelsOf(batch);
        parts.push(
          tf.tidy(() => {
            const x = rgbaBatchToTensor(pixels, inputSize, scaling);
            const input = params ? augmentBatch(x, params.slice(start, start + PREFIX_BATCH), range) : x;
            return prefix ? prefix.run(input) : input;
          }),
        );
        request.onProgress({ phase, done: Math.min(rows.length, start + PREFIX_BATCH), total: rows.length });
        await yieldToEventLoop();
      }
      const all = tf.concat(parts);
      tf.dispose(parts);
      return all;
    };
    // The frozen prefix runs once per sample; fineTuneTail indexes these rows by sample row.
    let activations = await runPrefix(request.ids.map((_, i) => i), 'embedding');
    if (!activations) return dispose(tailSplit);
    owned.push(activations);
    const validationActivations = split.validation.length > 0 ? tf.gather(activations, split.validation) : null;
    if (validationActivations) owned.push(validationActivations);
    const viewBytes = split.train.length * views * activations.size / activations.shape[0] * 4;
    let inputs;
    if (!settings.augment) {
      inputs = cachedTailInputs(activations, validationActivations);
    } else if (!settings.augmentEveryBatch && views > 0 && viewBytes <= VIEW_CACHE_BYTES) {
      const rng = createRng(settings.seed);
      const viewRows = split.train.flatMap((row) => new Array<number>(views).fill(row));
      const viewActivations = await runPrefix(viewRows, 'augmenting', viewRows.map(() => sampleAugmentParams(settings.augmentation, rng)));
      if (!viewActivations) return dispose(tailSplit);
      const combined = tf.concat([activations, viewActivations]);
      tf.dispose(viewActivations);
      owned.push(combined);
      activations = combined;
      inputs = cachedViewTailInputs(combined, split.train, views, validationActivations);
      notes.push(
        `Each training image was augmented ${views} times before training (the frozen layers ran once per view); every batch used the original or one of its views at random.`,
      );
    } else {
      if (!keepPixels) {
        // Cached views would not fit: batches are augmented as they come, from pixels kept from here on.
        checkPixelBudget();
        keepPixels = true;
        for (let start = 0; start < split.train.length; start += PREFIX_BATCH) await pixelsOf(split.train.slice(start, start + PREFIX_BATCH));
      }
      inputs = augmentedTailInputs(images, prefix && ((x) => prefix.run(x)), settings.augmentation, range, validationActivations);
      notes.push(
        settings.augmentEveryBatch || views === 0
          ? 'Training images were augmented afresh for every batch.'
          : `Training images were augmented afresh for every batch: ${views} cached views per image would need ${Math.round(viewBytes / 2 ** 20)} MB.`,
      );
    }
    request.onProgress({ phase: 'training', done: 0, total: settings.epochs });
    const train = () => fineTuneTail(tailSplit.tail, inputs, request.labels, split, request.numClasses, settings, request.callbacks, request.initialHead);
    const result = await withKernelFallback(
      train,
      (note) => notes.push(note),
      (backend, kernel) =>
        `The ${backend} backend has no gradient kernel for ${kernel}, so this fine-tuning run used the CPU backend (slower). ` +
        'Use WebGL or WebGPU to fine-tune faster.',
    );
    if (result.stopped) {
      result.head.dispose();
      return dispose(tailSplit);
    }
    return { result, tailSplit, notes };
  } catch (error) {
    tailSplit.dispose();
    throw error;
  } finally {
    tf.dispose(owned);
    prefix?.dispose();
  }
}

function dispose(tailSplit: TailSplit): null {
  tailSplit.dispose();
  return null;
}
