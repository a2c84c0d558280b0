import * as tf from '@tensorflow/tfjs';
import { Tensor as LiteRtTensor, loadAndCompile } from '@litertjs/core';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { splitForFineTuning } from '../fineTune';
import { createHead } from '../head';
import { createRng } from '../random';
import { classifierGraph } from './classifier';
import { runGraph } from './graph';
import { loadLiteRtInNode } from './litertNode';
import { writeOnnx } from './onnx';
import { calibrate, channelRanges, equalizeRanges } from './quantize';
import { writeTflite } from './tflite';

const SIZE = 16;

/**
 * A tiny MobileNet-like feature model with every layer kind the exports handle:
 * zero padding, conv (no bias) → batch norm → ReLU6, depthwise conv → batch norm →
 * relu6 activation, a residual add, a conv with its own bias and relu, a stand-alone
 * ReLU, and global average pooling. Batch norms get non-trivial statistics.
 */
function tinyMobileNet(seed: number): tf.LayersModel {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  const input = tf.input({ shape: [SIZE, SIZE, 3], name: 'image' });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  let x = apply(tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'pad' }), input);
  x = apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: init(1), name: 'conv1' }), x);
  x = apply(tf.layers.batchNormalization({ name: 'bn1' }), x);
  const block = apply(tf.layers.reLU({ maxValue: 6, name: 'relu1' }), x);
  x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(2), name: 'dw' }), block);
  x = apply(tf.layers.batchNormalization({ name: 'bn2' }), x);
  x = apply(tf.layers.activation({ activation: 'relu6', name: 'relu2' }), x);
  x = apply(tf.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false, kernelInitializer: init(3), name: 'project' }), x);
  x = apply(tf.layers.batchNormalization({ name: 'bn3' }), x);
  x = apply(tf.layers.add({ name: 'add' }), [block, x]);
  x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, padding: 'same', depthwiseInitializer: init(4), name: 'dw2' }), x);
  x = apply(tf.layers.conv2d({ filters: 12, kernelSize: 1, activation: 'relu', kernelInitializer: init(5), name: 'conv2' }), x);
  x = apply(tf.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', kernelInitializer: init(6), name: 'conv3' }), x);
  x = apply(tf.layers.batchNormalization({ name: 'bn4' }), x);
  x = apply(tf.layers.reLU({ name: 'out_relu' }), x);
  const pooled = apply(tf.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const model = tf.model({ inputs: input, outputs: pooled, name: 'tiny_mobilenet' });
  const rng = createRng(seed);
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const n = layer.getWeights()[0].shape[0];
    const random = (lo: number, hi: number) => tf.tensor1d(Array.from({ length: n }, () => lo + (hi - lo) * rng()));
    // gamma, beta, moving mean, moving variance
    layer.setWeights([random(0.5, 1.5), random(-0.3, 0.3), random(-0.2, 0.2), random(0.5, 2)]);
  }
  for (const name of ['dw2', 'conv2', 'conv3']) {
    const layer = model.getLayer(name);
    const [kernel, bias] = layer.getWeights();
    layer.setWeights([kernel, tf.randomUniform(bias.shape, -0.2, 0.2, 'float32', seed)]);
  }
  return model;
}

/** Raw pixels 0..255: smooth random gradients with noise, so classes differ in something. */
function images(count: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const data = new Uint8Array(count * SIZE * SIZE * 3);
  for (let n = 0; n < count; n++) {
    const base = [rng(), rng(), rng()].map((v) => v * 200);
    const slope = [rng() - 0.5, rng() - 0.5];
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++)
        for (let c = 0; c < 3; c++) {
          const v = base[c] + 8 * (slope[0] * x + slope[1] * y) * (c + 1) + 30 * rng();
          data[((n * SIZE + y) * SIZE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
  }
  return data;
}

/** The preprocessing of the TF.js export: x / 127 − 1. */
const preprocess = (pixels: Uint8Array, count: number) => tf.tidy(() => tf.tensor4d(pixels, [count, SIZE, SIZE, 3], 'float32').div(127).sub(1) as tf.Tensor4D);

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const argMax = (row: ArrayLike<number>) => Array.from(row).indexOf(Math.max(...Array.from(row)));

async function runTflite(file: Uint8Array, input: Float32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>): Promise<ArrayLike<number>> {
  const model = await loadAndCompile(file, { accelerator: 'wasm' });
  try {
    const tensor = new LiteRtTensor(input, [1, SIZE, SIZE, 3]);
    const [output] = await model.run(tensor);
    const data = await output.data();
    tensor.delete();
    output.delete();
    return data as ArrayLike<number>;
  } finally {
    model.delete();
  }
}

const COUNT = 6;
const CLASSES = 3;

describe('TFLite and ONNX writers against their official runtimes', () => {
  let features: tf.LayersModel;
  let head: tf.LayersModel;
  let pixels: Uint8Array;
  let expected: Float32Array;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    await loadLiteRtInNode();
    features = tinyMobileNet(3);
    head = createHead({ inputSize: 12, numClasses: CLASSES, hiddenUnits: 10, dropout: 0.5, seed: 4 });
    pixels = images(COUNT, 11);
    const x = preprocess(pixels, COUNT);
    const y = head.predict(features.predict(x)) as tf.Tensor;
    expected = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
  });

  it('folds batch norm and activations into the convolutions and matches the layers model', async () => {
    const graph = await classifierGraph({ featureModel: features, head });
    const kinds = graph.ops.map((op) => op.kind);
    // 4 batch norms and 4 activations disappear into 5 conv ops; the stand-alone ReLU6 after bn1 too.
    expect(kinds).toEqual(['pad', 'conv', 'depthwise', 'conv', 'add', 'depthwise', 'conv', 'conv', 'mean', 'dense', 'dense', 'softmax']);
    const x = preprocess(pixels, COUNT);
    const y = runGraph(graph, x);
    expect(maxAbsDiff(await y.data(), expected)).toBeLessThan(1e-5);
    tf.dispose([x, y]);
  });

  it('ONNX (onnxruntime-node) gives the TF.js probabilities, for a whole batch at once', async () => {
    const file = writeOnnx(await classifierGraph({ featureModel: features, head }));
    const session = await ort.InferenceSession.create(file);
    const x = preprocess(pixels, COUNT);
    const result = await session.run({ input: new ort.Tensor('float32', (await x.data()) as Float32Array, [COUNT, SIZE, SIZE, 3]) });
    x.dispose();
    expect(result.output.dims).toEqual([COUNT, CLASSES]);
    expect(maxAbsDiff(result.output.data as Float32Array, expected)).toBeLessThan(1e-5);
    await session.release();
  });

  it('TFLite float32 (LiteRT.js) gives the TF.js probabilities', async () => {
    const file = writeTflite(await classifierGraph({ featureModel: features, head }));
    expect(new TextDecoder().decode(file.slice(4, 8))).toBe('TFL3');
    const x = preprocess(pixels, COUNT);
    const all = (await x.data()) as Float32Array;
    x.dispose();
    const per = SIZE * SIZE * 3;
    for (let n = 0; n < COUNT; n++) {
      const out = await runTflite(file, all.slice(n * per, (n + 1) * per));
      expect(maxAbsDiff(out, expected.slice(n * CLASSES, (n + 1) * CLASSES))).toBeLessThan(1e-5);
    }
  });

  it('TFLite int8 (LiteRT.js) takes raw uint8 pixels and stays close to the float model', async () => {
    const graph = await classifierGraph({ featureModel: features, head });
    const calibration = images(64, 99);
    const batch = preprocess(calibration, 64);
    // Range equalization rescales channels between convolutions without changing the float function.
    const equalized = equalizeRanges(graph, await channelRanges(graph, [batch]));
    expect(equalized.ops.filter((op, i) => op !== graph.ops[i]).length).toBeGreaterThan(0);
    const [before, after] = [runGraph(graph, batch), runGraph(equalized, batch)];
    expect(maxAbsDiff(await after.data(), await before.data())).toBeLessThan(1e-5);
    tf.dispose([before, after]);
    const calibrated = await calibrate(equalized, [batch]);
    expect(calibrated.biasCorrection.size).toBe(graph.ops.filter((op) => op.kind === 'conv' || op.kind === 'depthwise' || op.kind === 'dense').length);
    batch.dispose();
    const file = writeTflite(equalized, { ...calibrated, input: { scale: 1 / 127, zeroPoint: 127 } });
    const per = SIZE * SIZE * 3;
    const test = images(24, 5);
    const x = preprocess(test, 24);
    const y = runGraph(graph, x);
    const reference = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    let agree = 0;
    let worst = 0;
    for (let n = 0; n < 24; n++) {
      const out = Array.from(await runTflite(file, test.slice(n * per, (n + 1) * per)), (q) => q / 256);
      const want = reference.slice(n * CLASSES, (n + 1) * CLASSES);
      worst = Math.max(worst, maxAbsDiff(out, want));
      if (argMax(out) === argMax(want)) agree++;
    }
    expect(worst).toBeLessThan(0.08);
    expect(agree).toBeGreaterThanOrEqual(22);
  });

  it('a fine-tuned model (k = 2) exports its tuned tail in every format', async () => {
    const split = await splitForFineTuning(features, 2);
    // Move the tail's weights away from the backbone's, as training would.
    for (const layer of split.tail.layers.filter((l) => split.trainableLayers.includes(l.name))) {
      layer.setWeights(layer.getWeights().map((w) => tf.tidy(() => w.mul(1.3).add(0.01))));
    }
    const x = preprocess(pixels, COUNT);
    const y = tf.tidy(() => head.predict(split.tail.predict(split.prefix ? split.prefix.predict(x) : x)) as tf.Tensor);
    const tuned = (await y.data()) as Float32Array;
    expect(maxAbsDiff(tuned, expected)).toBeGreaterThan(1e-3);
    const graph = await classifierGraph({ featureModel: features, head, fineTuned: split });
    const session = await ort.InferenceSession.create(writeOnnx(graph));
    const result = await session.run({ input: new ort.Tensor('float32', (await x.data()) as Float32Array, [COUNT, SIZE, SIZE, 3]) });
    expect(maxAbsDiff(result.output.data as Float32Array, tuned)).toBeLessThan(1e-5);
    const file = writeTflite(graph);
    const per = SIZE * SIZE * 3;
    const all = (await x.data()) as Float32Array;
    const out = await runTflite(file, all.slice(0, per));
    expect(maxAbsDiff(out, tuned.slice(0, CLASSES))).toBeLessThan(1e-5);
    tf.dispose([x, y]);
    split.dispose();
    await session.release();
  });
});
