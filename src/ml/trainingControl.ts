import * as tf from '@tensorflow/tfjs';
import type { ClassWeightMode } from './settings';

/** Above this ratio between the largest and the smallest class, 'auto' turns class weights on. */
export const IMBALANCE_RATIO = 2;

export function classCounts(labels: readonly number[], numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

/**
 * Per-class loss weights, or null for none. Inverse frequency, normalised so that
 * a balanced set gets weight 1 everywhere: weight_c = N / (C · count_c).
 * Classes without samples get 0 (they never contribute a loss term anyway).
 */
export function classWeightsFor(labels: readonly number[], numClasses: number, mode: ClassWeightMode): number[] | null {
  if (mode === 'off' || labels.length === 0) return null;
  const counts = classCounts(labels, numClasses);
  const present = counts.filter((c) => c > 0);
  if (mode === 'auto' && Math.max(...present) <= IMBALANCE_RATIO * Math.min(...present)) return null;
  return counts.map((c) => (c === 0 ? 0 : labels.length / (present.length * c)));
}

/**
 * Mean cross-entropy over a batch, each sample weighted by its class's weight
 * (weighted mean, as Keras does with class_weight + sample weights normalised by their sum).
 */
export function weightedCrossEntropy(yTrue: tf.Tensor2D, yPred: tf.Tensor2D, classWeights: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    const perSample = tf.metrics.categoricalCrossentropy(yTrue, yPred) as tf.Tensor1D;
    if (!classWeights) return perSample.mean() as tf.Scalar;
    const sampleWeights = tf.sum(tf.mul(yTrue, classWeights), 1);
    return tf.div(tf.sum(tf.mul(perSample, sampleWeights)), tf.maximum(tf.sum(sampleWeights), 1e-7)) as tf.Scalar;
  });
}

/**
 * Early stopping on validation loss: remembers the best epoch's weights (as
 * copies) and says when `patience` epochs have passed without improvement.
 */
export class EarlyStopping {
  private best = Infinity;
  private bestEpoch = 0;
  private waited = 0;
  private snapshot: tf.Tensor[] | null = null;

  constructor(
    private readonly variables: () => tf.LayersModel[],
    private readonly patience: number,
    private readonly minDelta = 1e-4,
  ) {}

  /** Records an epoch's validation loss; true when training should stop. */
  update(epoch: number, valLoss: number): boolean {
    if (valLoss < this.best - this.minDelta) {
      this.best = valLoss;
      this.bestEpoch = epoch;
      this.waited = 0;
      tf.dispose(this.snapshot ?? []);
      this.snapshot = this.weights().map((w) => tf.clone(w));
      return false;
    }
    this.waited++;
    return this.waited >= this.patience;
  }

  get bestEpochNumber(): number {
    return this.bestEpoch;
  }

  /** Puts the best epoch's weights back; returns that epoch (0 if none was recorded). */
  restoreBest(): number {
    if (this.snapshot) {
      const saved = this.snapshot;
      let offset = 0;
      for (const model of this.variables()) {
        const count = model.getWeights().length;
        model.setWeights(saved.slice(offset, offset + count));
        offset += count;
      }
    }
    return this.bestEpoch;
  }

  dispose(): void {
    tf.dispose(this.snapshot ?? []);
    this.snapshot = null;
  }

  private weights(): tf.Tensor[] {
    return this.variables().flatMap((m) => m.getWeights());
  }
}
