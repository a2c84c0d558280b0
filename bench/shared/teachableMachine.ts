/**
 * The baselines both benchmarks compare the app against, done the way
 * Teachable Machine's library does them: its truncated layers model run as
 * layers on one image at a time, and a plain `model.fit` of the same head.
 * Pure TensorFlow.js (no DOM), so the browser page (bench/page/baseline.ts) and
 * the Node GPU benchmark (bench/gpu/) run the very same code.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from '../../src/ml/backbone';
import { createHead } from '../../src/ml/head';
import type { TrainSettings } from '../../src/ml/settings';

/**
 * Teachable Machine's embedding: its truncated layers model run as layers. The app's
 * own `embed` runs a folded pass (batch norm inside the convolutions), which is part
 * of what the benchmark compares, so the baseline must not borrow it.
 */
export function teachableMachineEmbed(model: LoadedBackbone, x: tf.Tensor4D): tf.Tensor {
  return model.featureModel ? (model.featureModel.predict(x) as tf.Tensor) : model.embed(x);
}

/** Teachable Machine's `capture()`: pixels (as from fromPixels, 0..255) → x / 127 − 1, as a batch of one. */
export function teachableMachineInput(pixels: tf.Tensor3D): tf.Tensor4D {
  return pixels.toFloat().div(127).sub(1).expandDims(0) as tf.Tensor4D;
}

/** The same head as the app's, trained with a plain `model.fit`. */
export async function fitLikeTeachableMachine(embeddings: tf.Tensor2D, labels: number[], numClasses: number, settings: TrainSettings): Promise<void> {
  const head = createHead({
    inputSize: embeddings.shape[1],
    numClasses,
    hiddenUnits: settings.hiddenUnits,
    dropout: settings.dropout,
    seed: settings.seed,
  });
  head.compile({ optimizer: tf.train.adam(settings.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat());
  try {
    await head.fit(embeddings, ys, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      validationSplit: settings.validationSplit,
      shuffle: true,
      verbose: 0,
    });
  } finally {
    ys.dispose();
    head.optimizer.dispose();
    head.dispose();
  }
}
