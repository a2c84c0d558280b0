import * as tf from '@tensorflow/tfjs';
import { createHead, runModel, trainingOutput } from './head';
import { accuracy } from './metrics';
import { headFrom, type HeadWeights } from './initialWeights';
import { classWeightsFor, EarlyStopping, weightedCrossEntropy } from './trainingControl';
import { runEpochs, type EpochCallbacks } from './epochLoop';
import type { EpochLogs, TrainSettings } from './settings';
import { stratifiedSplit, type Split } from './split';

export { DEFAULT_TRAIN_SETTINGS, type EpochLogs, type TrainSettings } from './settings';

export type TrainCallbacks = EpochCallbacks;

export interface TrainResult {
  head: tf.Sequential;
  history: EpochLogs[];
  split: Split;
  stopped: boolean;
  /** Validation predictions of the final head (class indices), aligned with split.validation. */
  validationPredictions: number[];
  /** The predicted class's probability for each validation sample. */
  validationConfidences: number[];
  /** The epoch whose weights the head has (early stopping may restore an earlier one than the last). */
  bestEpoch: number;
  /** Per-class loss weights used, or null when the loss was unweighted. */
  classWeights: number[] | null;
}

export interface TrainOptions {
  /** Use this split instead of computing one (callers that augment need it first). */
  split?: Split;
  /**
   * Extra training rows, e.g. embeddings of augmented views of training images,
   * with their class indices. Never used for validation.
   */
  extraTraining?: { embeddings: tf.Tensor2D | EmbeddingRows; labels: readonly number[] };
  /** Start from these head weights (continue training) instead of a fresh head. */
  initialHead?: HeadWeights;
}

/** An epoch takes at most about this many optimizer steps; larger projects take larger batches. */
export const MAX_STEPS_PER_EPOCH = 50;
const MAX_BATCH_SIZE = 1024;

/**
 * The batch size a run uses: the one asked for, or, when that would make an epoch
 * longer than MAX_STEPS_PER_EPOCH steps, the next power of two that keeps it
 * there (at most 1024). A step's cost grows far less than its batch (a head step on
 * WASM: 7 ms at batch 16, 8 ms at 256), so a 17,000-image project trains 50 epochs
 * in ~1,700 steps instead of ~53,000; with 800 training rows or fewer (at batch 16)
 * nothing changes, which covers the shared benchmark datasets.
 */
export function batchSizeFor(requested: number, trainingRows: number): number {
  if (trainingRows <= requested * MAX_STEPS_PER_EPOCH) return requested;
  return Math.min(MAX_BATCH_SIZE, Math.max(requested, 2 ** Math.ceil(Math.log2(trainingRows / MAX_STEPS_PER_EPOCH))));
}

/**
 * Trains a fresh head on embeddings with Adam, batch by batch, so a cancel
 * lands within one batch and progress can be streamed per epoch.
 * `embeddings` is [N, D]; `labels` are class indices 0..numClasses-1.
 */
export async function trainHead(
  embeddings: tf.Tensor2D | EmbeddingRows,
  labels: readonly number[],
  numClasses: number,
  settings: TrainSettings,
  callbacks: TrainCallbacks = {},
  options: TrainOptions = {},
): Promise<TrainResult> {
  const split = options.split ?? stratifiedSplit(labels, settings.validationSplit, settings.seed);
  const extra = options.extraTraining;
  const trainLabels = [...split.train.map((i) => labels[i]), ...(extra?.labels ?? [])];
  const classWeights = classWeightsFor(trainLabels, numClasses, settings.classWeights);
  const all = await rowsOf(embeddings);
  const extraRows = extra && extra.labels.length > 0 ? await rowsOf(extra.embeddings) : null;
  const head = options.initialHead
    ? headFrom(options.initialHead, all.dims, numClasses, settings.dropout, settings.seed)
    : createHead({
        inputSize: all.dims,
        numClasses,
        hiddenUnits: settings.hiddenUnits,
        dropout: settings.dropout,
        seed: settings.seed,
      });
  const optimizer = tf.train.adam(settings.learningRate);
  const weightsTensor = classWeights ? tf.tensor1d(classWeights) : null;
  /** Training row r: a row of `all` (the training split) or, after those, of the extra rows. */
  const trainRow = (r: number): Float32Array =>
    r < split.train.length ? rowOf(all, split.train[r]) : rowOf(extraRows!, r - split.train.length);
  const batchRows = new BatchPacker(all.dims);
  const [xVal, yVal] = tf.tidy(() => [
    // A packer of its own: the validation tensor lives for the whole run (the CPU backend keeps the array itself).
    tf.tensor2d(new BatchPacker(all.dims).pack(split.validation, (i) => rowOf(all, i)), [split.validation.length, all.dims]),
    oneHot(split.validation.map((i) => labels[i]), numClasses),
  ]);
  const earlyStopping =
    settings.earlyStopping && split.validation.length > 0 ? new EarlyStopping(() => [head], Math.max(1, settings.patience)) : null;
  try {
    const { history, bestEpoch, stopped } = await runEpochs({
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      rows: trainLabels.length,
      seed: settings.seed,
      earlyStopping,
      callbacks,
      validate: async () => (split.validation.length > 0 ? evaluate(head, xVal, yVal) : null),
      step: (rows, rng) =>
        tf.tidy(() => {
          // Batches are packed here rather than gathered on the backend: WASM's Gather
          // costs ~30 ms for 512 rows of 1,280, two thirds of a whole step.
          const xb = tf.tensor2d(batchRows.pack(rows, trainRow), [rows.length, all.dims]);
          const yb = oneHot(rows.map((r) => trainLabels[r]), numClasses);
          let correct: tf.Tensor | undefined;
          const loss = optimizer.minimize(() => {
            const predictions = trainingOutput(head, xb, rng) as tf.Tensor2D;
            // minimize() disposes everything its closure made except the loss, so keep this.
            correct = tf.keep(tf.equal(tf.argMax(predictions, 1), tf.argMax(yb, 1)).sum());
            return weightedCrossEntropy(yb as tf.Tensor2D, predictions, weightsTensor);
          }, true)!;
          return [loss.mul(rows.length) as tf.Scalar, correct as tf.Scalar];
        }),
    });
    const final = split.validation.length > 0 && !stopped ? await evaluate(head, xVal, yVal) : null;
    return {
      head,
      history,
      split,
      stopped,
      validationPredictions: final?.predictions ?? [],
      validationConfidences: final?.confidences ?? [],
      bestEpoch,
      classWeights,
    };
  } catch (error) {
    head.dispose();
    throw error;
  } finally {
    tf.dispose([xVal, yVal]);
    weightsTensor?.dispose();
    earlyStopping?.dispose();
    optimizer.dispose();
  }
}

/** Embeddings as packed rows in memory: what training reads its batches from. */
export interface EmbeddingRows {
  values: Float32Array;
  dims: number;
}

async function rowsOf(embeddings: tf.Tensor2D | EmbeddingRows): Promise<EmbeddingRows> {
  if (!(embeddings instanceof tf.Tensor)) return embeddings;
  return { values: (await embeddings.data()) as Float32Array, dims: embeddings.shape[1] };
}

function rowOf(rows: EmbeddingRows, index: number): Float32Array {
  return rows.values.subarray(index * rows.dims, (index + 1) * rows.dims);
}

/**
 * Packs each step's batch into one buffer, reused from step to step. A new
 * array per step (2.6 MB at batch 512) made the browser map, zero and unmap
 * gigabytes over a large project's training, on the cores training runs on.
 * Reuse is safe: the tensor made from it copies it into WASM memory, or is
 * uploaded or read (CPU) only within the step, and is disposed at its end.
 */
export class BatchPacker {
  private buffer = new Float32Array(0);
  constructor(private readonly dims: number) {}

  pack(rows: readonly number[], rowAt: (r: number) => Float32Array): Float32Array {
    const size = rows.length * this.dims;
    if (this.buffer.length < size) this.buffer = new Float32Array(size);
    rows.forEach((r, i) => this.buffer.set(rowAt(r), i * this.dims));
    return this.buffer.subarray(0, size);
  }
}

function oneHot(labels: readonly number[], numClasses: number): tf.Tensor2D {
  const values = new Float32Array(labels.length * numClasses);
  labels.forEach((label, i) => (values[i * numClasses + label] = 1));
  return tf.tensor2d(values, [labels.length, numClasses]);
}

/** Loss, accuracy and per-sample predictions of a classifier (`predict` maps inputs to probabilities) on labelled data. */
export async function evaluateClassifier(predict: (x: tf.Tensor) => tf.Tensor2D, x: tf.Tensor, y: tf.Tensor) {
  const [lossT, predT, trueT, confT] = tf.tidy(() => {
    const p = predict(x);
    return [tf.metrics.categoricalCrossentropy(y, p).mean(), tf.argMax(p, 1), tf.argMax(y, 1), tf.max(p, 1)];
  });
  const [loss, predictions, actual, confidences] = await Promise.all([lossT.data(), predT.data(), trueT.data(), confT.data()]);
  tf.dispose([lossT, predT, trueT, confT]);
  const predicted = Array.from(predictions as Int32Array);
  return {
    loss: loss[0],
    accuracy: accuracy(predicted, Array.from(actual as Int32Array)),
    predictions: predicted,
    confidences: Array.from(confidences as Float32Array),
  };
}

function evaluate(head: tf.LayersModel, x: tf.Tensor2D, y: tf.Tensor2D) {
  return evaluateClassifier((input) => runModel(head, input) as tf.Tensor2D, x, y);
}
