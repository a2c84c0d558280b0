import * as tf from '@tensorflow/tfjs';
import type { BackboneSpec } from './backbones';
import { createRng } from './random';

/** A tiny spatial "backbone" for unit tests: conv features plus a top that truncation must drop. */
export function tinyBackboneModel(size = 8, seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3], name: 'tiny_input' });
  const conv = tf.layers.conv2d({ name: 'tiny_conv', filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const features = tf.layers.reLU({ name: 'tiny_features' }).apply(conv.apply(input)) as tf.SymbolicTensor;
  const top = tf.layers.dense({ name: 'tiny_top', units: 4 }).apply(tf.layers.flatten().apply(features)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: top });
}

export const TINY_SPEC: BackboneSpec = {
  id: 'tiny',
  title: 'tiny test backbone',
  format: 'layers',
  inputSize: 8,
  scaling: 'teachable-machine',
  featureNode: 'tiny_features',
  pooled: true,
  embeddingSize: 6,
  publicUrl: 'https://example.invalid/tiny/model.json',
  sourceDir: 'tiny',
};

/** Two Gaussian blobs in `dims` dimensions: linearly separable labelled points. */
export function separableData(perClass: number, dims: number, seed = 7) {
  const rng = createRng(seed);
  const values: number[] = [];
  const labels: number[] = [];
  for (let label = 0; label < 2; label++) {
    for (let i = 0; i < perClass; i++) {
      for (let d = 0; d < dims; d++) values.push((label === 0 ? -1 : 1) * (d % 2 === 0 ? 1 : 0.5) + (rng() - 0.5) * 0.8);
      labels.push(label);
    }
  }
  return { embeddings: tf.tensor2d(values, [labels.length, dims]), labels };
}
