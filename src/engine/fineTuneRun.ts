/**
 * A fine-tuning run inside the worker: decodes the images, caches what the frozen
 * prefix computes when nothing is augmented (otherwise augments per batch), and
 * falls back to the CPU backend when the active one lacks a gradient kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from '../ml/backbone';
import { valueRange } from '../ml/augment';
import { augmentedTailInputs, cachedTailInputs, fineTuneTail, missingKernelOf, splitForFineTuning, type FineTuneResult, type TailSplit } from '../ml/fineTune';
import { rgbaBatchToTensor, scaleFunction } from '../ml/preprocess';
import type { HeadWeights } from '../ml/initialWeights';
import type { TrainSettings } from '../ml/settings';
import type { Split } from '../ml/split';
import type { TrainCallbacks } from '../ml/train';
import type { Progress } from './api';
import { modelPixels } from './images';
import { yieldToEventLoop } from './scheduling';

const PREFIX_BATCH = 8;

export interface FineTuneRunRequest {
  backbone: LoadedBackbone;
  ids: string[];
  labels: number[];
  numClasses: number;
  split: Split;
  settings: TrainSettings;
  sample: (id: string) => Blob;
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
  const tailSplit = await splitForFineTuning(backbone.featureModel!, settings.fineTuneLayers);
  const notes = [
    `Fine-tuned ${tailSplit.trainableLayers.length} backbone layers (${tailSplit.trainableLayers.join(', ')}) at learning rate ${settings.fineTuneLearningRate}.`,
  ];
  let activations: tf.Tensor | null = null;
  let validationActivations: tf.Tensor | null = null;
  try {
    const pixels: Uint8ClampedArray[] = [];
    request.onProgress({ phase: 'embedding', done: 0, total: request.ids.length });
    for (const id of request.ids) {
      if (request.shouldStop()) return dispose(tailSplit);
      pixels.push(await modelPixels(request.sample(id), inputSize));
    }
    const images = (rows: number[]) => rgbaBatchToTensor(rows.map((r) => pixels[r]), inputSize, scaling);
    const runPrefix = async (rows: number[]): Promise<tf.Tensor | null> => {
      const parts: tf.Tensor[] = [];
      for (let start = 0; start < rows.length; start += PREFIX_BATCH) {
        if (request.shouldStop()) {
          tf.dispose(parts);
          return null;
        }
        const batch = rows.slice(start, start + PREFIX_BATCH);
        parts.push(tf.tidy(() => (tailSplit.prefix ? (tailSplit.prefix.predict(images(batch)) as tf.Tensor) : images(batch))));
        request.onProgress({ phase: 'embedding', done: Math.min(rows.length, start + PREFIX_BATCH), total: rows.length });
        await yieldToEventLoop();
      }
      const all = tf.concat(parts);
      tf.dispose(parts);
      return all;
    };
    const augment = settings.augment;
    if (split.validation.length > 0) {
      validationActivations = await runPrefix(split.validation);
      if (!validationActivations) return dispose(tailSplit);
    }
    let inputs;
    if (augment) {
      inputs = augmentedTailInputs(images, tailSplit.prefix, settings.augmentation, valueRange(scaleFunction(scaling)), validationActivations);
      notes.push('Training images were augmented per batch.');
    } else {
      // Frozen prefix computed once for every row; fineTuneTail indexes by sample row.
      activations = await runPrefix(request.ids.map((_, i) => i));
      if (!activations) return dispose(tailSplit);
      inputs = cachedTailInputs(activations, validationActivations);
    }
    request.onProgress({ phase: 'training', done: 0, total: settings.epochs });
    const train = () => fineTuneTail(tailSplit.tail, inputs, request.labels, split, request.numClasses, settings, request.callbacks, request.initialHead);
    let result: FineTuneResult;
    try {
      result = await train();
    } catch (error) {
      const missing = missingKernelOf(error);
      const backend = tf.getBackend();
      if (!missing || backend === 'cpu') throw error;
      notes.push(
        `The ${backend} backend has no gradient kernel for ${missing}, so this fine-tuning run used the CPU backend (slower). ` +
          'Use WebGL or WebGPU to fine-tune faster.',
      );
      await tf.setBackend('cpu');
      try {
        result = await train();
      } finally {
        await tf.setBackend(backend);
      }
    }
    if (result.stopped) {
      result.head.dispose();
      return dispose(tailSplit);
    }
    return { result, tailSplit, notes };
  } catch (error) {
    tailSplit.dispose();
    throw error;
  } finally {
    tf.dispose([...(activations ? [activations] : []), ...(validationActivations ? [validationActivations] : [])]);
  }
}

function dispose(tailSplit: TailSplit): null {
  tailSplit.dispose();
  return null;
}
