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

/**
 * A small ResNet-style backbone with random weights: stem conv → a residual block
 * (conv + BN added to the stem) → 1×1 conv → 'features' → classifier top.
 */
export function tinyResNetModel(size = 16, seed = 3): tf.LayersModel {
  const init = (offset: number) => tf.initializers.heNormal({ seed: seed + offset });
  const input = tf.input({ shape: [size, size, 3], name: 'res_input' });
  const conv = (name: string, filters: number, kernelSize: number, strides: number, offset: number) =>
    tf.layers.conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: init(offset) });
  const bn = (name: string) => tf.layers.batchNormalization({ name });
  const relu = (name: string) => tf.layers.reLU({ name });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const stem = apply(relu('stem_relu'), apply(bn('stem_bn'), apply(conv('stem_conv', 8, 3, 2, 1), input)));
  const branch = apply(bn('block_bn'), apply(conv('block_conv', 8, 3, 1, 2), stem));
  const block = apply(relu('block_relu'), apply(tf.layers.add({ name: 'block_add' }), [stem, branch]));
  const features = apply(relu('features'), apply(bn('top_bn'), apply(conv('top_conv', 12, 1, 1, 3), block)));
  const top = apply(tf.layers.dense({ name: 'predictions', units: 3, activation: 'softmax' }), apply(tf.layers.globalAveragePooling2d({ name: 'avg_pool' }), features));
  return tf.model({ name: 'tiny_resnet', inputs: input, outputs: top });
}

export const TINY_RESNET_SPEC: BackboneSpec = {
  id: 'tiny_resnet',
  title: 'tiny ResNet-style test backbone',
  format: 'layers',
  inputSize: 16,
  scaling: 'teachable-machine',
  featureNode: 'features',
  pooled: true,
  embeddingSize: 12,
  publicUrl: 'https://example.invalid/tiny_resnet/model.json',
  sourceDir: 'tiny_resnet',
};

/** Images of two classes in the model range [-1, 1]: horizontal vs vertical stripes with noise. */
export function stripeImages(perClass: number, size: number, seed = 5): { images: tf.Tensor4D; labels: number[] } {
  const rng = createRng(seed);
  const values: number[] = [];
  const labels: number[] = [];
  for (let label = 0; label < 2; label++) {
    for (let i = 0; i < perClass; i++) {
      const period = 2 + Math.floor(rng() * 3);
      const phase = Math.floor(rng() * period);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const on = Math.floor(((label === 0 ? y : x) + phase) / period) % 2 === 0;
          for (let c = 0; c < 3; c++) values.push((on ? 0.7 : -0.7) + (rng() - 0.5) * 0.4);
        }
      }
      labels.push(label);
    }
  }
  return { images: tf.tensor4d(values, [labels.length, size, size, 3]), labels };
}
