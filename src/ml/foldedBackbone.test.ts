import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldedForward } from './foldedBackbone';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Gives every batch norm layer non-trivial statistics, as a trained network has. */
function randomiseBatchNorms(model: tf.LayersModel, seed: number) {
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const shapes = layer.getWeights().map((w) => w.shape);
    layer.setWeights(
      shapes.map((shape, i) =>
        // gamma, beta, mean around 0..1; the variance (last) strictly positive.
        i === shapes.length - 1 ? tf.randomUniform(shape, 0.2, 2, 'float32', seed + i) : tf.randomUniform(shape, -1, 1, 'float32', seed + i),
      ),
    );
    seed += 10;
  }
}

/** A MobileNetV2-like block structure, plus layers that must not be folded. */
function mobileNetLike(): tf.LayersModel {
  const input = tf.input({ shape: [17, 17, 3] });
  let x = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  const shortcut = x;
  let y = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: true }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 8, kernelSize: 1, padding: 'same', useBias: false }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ scale: false }).apply(y) as tf.SymbolicTensor;
  x = tf.layers.add().apply([shortcut, y]) as tf.SymbolicTensor;
  // A stride-2 block as MobileNetV2 has them: padding in front of a 'valid' depthwise conv.
  x = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', useBias: false }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  // Symmetric padding that cannot be absorbed: its conv has no batch norm after it.
  x = tf.layers.zeroPadding2d({ padding: 1 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'valid' }).apply(x) as tf.SymbolicTensor;
  // Not foldable: the conv applies its own activation before the batch norm.
  x = tf.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu6', name: 'features' }).apply(x) as tf.SymbolicTensor;
  const top = tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(x)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: top });
}

describe('folded backbone', () => {
  it('computes what the layers compute, in fewer kernels, up to float rounding', () => {
    const model = mobileNetLike();
    randomiseBatchNorms(model, 3);
    const features = tf.model({ inputs: model.inputs, outputs: model.getLayer('features').output as tf.SymbolicTensor });
    const folded = foldedForward(model, 'features');
    // Stem conv + BN + ReLU6, depthwise + BN + ReLU, project conv + BN, stride-2 depthwise + BN + ReLU6;
    // the relu conv's BN stays separate.
    expect(folded.foldedChains).toBe(4);
    // The stem's and the stride-2 depthwise conv's padding; not the one before a conv without batch norm.
    expect(folded.foldedPads).toBe(2);
    const x = tf.randomUniform([2, 17, 17, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
    const expected = features.predict(x) as tf.Tensor;
    const before = tf.memory().numTensors;
    const actual = folded.run(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(actual.shape).toEqual(expected.shape);
    const scale = tf.tidy(() => tf.max(tf.abs(expected)).dataSync()[0]);
    const error = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]);
    expect(scale).toBeGreaterThan(0.1);
    expect(error / scale).toBeLessThan(1e-5);
    tf.dispose([x, expected, actual]);
    folded.dispose();
    model.dispose();
  });

  it('leaves the model’s own weights alone and frees only its folded copies', () => {
    const model = mobileNetLike();
    randomiseBatchNorms(model, 5);
    const weightsBefore = model.getWeights().map((w) => w.dataSync().slice());
    const before = tf.memory().numTensors;
    const folded = foldedForward(model, 'features');
    folded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(weightsBefore[i])));
    model.dispose();
  });
});
