/**
 * The one epoch loop: head training and fine-tuning both run through it. Each
 * epoch shuffles the training rows, runs a step per batch (the caller's
 * optimizer update, returning the batch's summed loss and correct count), keeps
 * the sums on the device (one read per epoch, not per batch), evaluates on the
 * validation rows, reports the epoch and asks early stopping whether to go on.
 * A cancel lands within one batch.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, shuffleInPlace } from './random';
import type { EpochLogs } from './settings';
import type { EarlyStopping } from './trainingControl';

export interface EpochCallbacks {
  onEpoch?: (logs: EpochLogs) => void;
  /** Checked after every batch; returning true stops the run within that batch. */
  shouldStop?: () => boolean;
  /** Lets queued messages (e.g. Cancel) in between batches. */
  yieldBetweenBatches?: () => Promise<void>;
}

export interface EpochLoop {
  epochs: number;
  batchSize: number;
  /** Training rows per epoch; batches hold indices 0..rows-1. */
  rows: number;
  seed: number;
  /** One optimizer step on these rows; returns [summed loss, correct count] as scalars (disposed by the loop). */
  step(rows: number[], rng: () => number): [tf.Scalar, tf.Scalar];
  /** Validation loss and accuracy of the model as it is now; null when nothing is held out. */
  validate(): Promise<{ loss: number; accuracy: number } | null>;
  earlyStopping: EarlyStopping | null;
  callbacks: EpochCallbacks;
}

export interface EpochLoopResult {
  history: EpochLogs[];
  /** The epoch whose weights the model has (early stopping may restore an earlier one than the last). */
  bestEpoch: number;
  stopped: boolean;
}

export async function runEpochs(loop: EpochLoop): Promise<EpochLoopResult> {
  const rng = createRng(loop.seed);
  const order = Array.from({ length: loop.rows }, (_, i) => i);
  const history: EpochLogs[] = [];
  let bestEpoch = 0;
  let stopped = false;
  for (let epoch = 0; epoch < loop.epochs && !stopped; epoch++) {
    shuffleInPlace(order, rng);
    let lossSum: tf.Scalar = tf.scalar(0);
    let correctSum: tf.Scalar = tf.scalar(0);
    for (let start = 0; start < order.length; start += loop.batchSize) {
      const [loss, correct] = loop.step(order.slice(start, start + loop.batchSize), rng);
      const next = tf.tidy(() => [lossSum.add(loss), correctSum.add(correct)] as [tf.Scalar, tf.Scalar]);
      tf.dispose([loss, correct, lossSum, correctSum]);
      [lossSum, correctSum] = next;
      await loop.callbacks.yieldBetweenBatches?.();
      if (loop.callbacks.shouldStop?.()) {
        stopped = true;
        break;
      }
    }
    const [lossTotal, correctTotal] = await Promise.all([lossSum.data(), correctSum.data()]);
    tf.dispose([lossSum, correctSum]);
    if (stopped) break;
    const validation = await loop.validate();
    const logs: EpochLogs = {
      epoch: epoch + 1,
      epochs: loop.epochs,
      loss: lossTotal[0] / order.length,
      accuracy: correctTotal[0] / order.length,
      valLoss: validation?.loss ?? null,
      valAccuracy: validation?.accuracy ?? null,
    };
    history.push(logs);
    bestEpoch = logs.epoch;
    loop.callbacks.onEpoch?.(logs);
    if (loop.earlyStopping && validation && loop.earlyStopping.update(logs.epoch, validation.loss)) break;
  }
  if (loop.earlyStopping && !stopped) bestEpoch = loop.earlyStopping.restoreBest() || bestEpoch;
  return { history, bestEpoch, stopped };
}
