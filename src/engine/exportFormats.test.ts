import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { wrapBackbone, type LoadedBackbone } from '../ml/backbone';
import { getBackbone } from '../ml/backbones';
import { createHead } from '../ml/head';
import { TINY_SPEC, tinyBackboneModel } from '../ml/testing';
import type { ExportProgress } from './api';
import { exportDeployModel, labelsText, spreadSample } from './exportFormats';

const LABELS = ['cats', 'dogs', 'birds'];

describe('deployment exports in the worker', () => {
  let backbone: LoadedBackbone;
  let head: tf.LayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    backbone = wrapBackbone(TINY_SPEC, tinyBackboneModel(), 'memory');
    head = createHead({ inputSize: TINY_SPEC.embeddingSize, numClasses: LABELS.length, hiddenUnits: 5, dropout: 0.1, seed: 2 });
  });

  const request = (format: 'onnx' | 'tflite-quantized', progress: ExportProgress[] = []) => ({
    format,
    modelName: 'pets',
    backbone,
    head,
    labels: LABELS,
    sampleIds: Array.from({ length: 20 }, (_, i) => `s${i}`),
    pixelsOf: async (id: string, size: number) => Uint8ClampedArray.from({ length: size * size * 4 }, (_, i) => (i * 7 + Number(id.slice(1)) * 13) % 256),
    appVersion: 'test',
    onProgress: (p: ExportProgress) => progress.push(p),
  });

  it('zips model.onnx with Teachable Machine’s labels.txt, and the model predicts what the app does', async () => {
    const file = await exportDeployModel(request('onnx'));
    expect(file.fileName).toBe('pets-onnx.zip');
    const zip = unzipSync(file.bytes);
    expect(Object.keys(zip).sort()).toEqual(['labels.txt', 'model.onnx']);
    expect(strFromU8(zip['labels.txt'])).toBe('0 cats\n1 dogs\n2 birds\n');
    expect(file.modelBytes).toBe(zip['model.onnx'].length);
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 5);
    const expected = tf.tidy(() => head.predict(backbone.embed(x as tf.Tensor4D)) as tf.Tensor);
    const session = await ort.InferenceSession.create(zip['model.onnx']);
    const out = await session.run({ input: new ort.Tensor('float32', (await x.data()) as Float32Array, [2, 8, 8, 3]) });
    const want = await expected.data();
    (out.output.data as Float32Array).forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
    tf.dispose([x, expected]);
    await session.release();
  });

  it('calibrates the quantized model on the project’s images, reporting progress, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const progress: ExportProgress[] = [];
    const file = await exportDeployModel(request('tflite-quantized', progress));
    expect(Object.keys(unzipSync(file.bytes)).sort()).toEqual(['labels.txt', 'model.tflite']);
    const calibrating = progress.filter((p) => p.stage === 'calibrating');
    // Two passes over the 20 images: per-channel ranges for equalization, then ranges and bias corrections.
    expect(calibrating.at(-1)).toEqual({ stage: 'calibrating', done: 40, total: 40 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a graph-model backbone, naming the format that works and why', async () => {
    const graphBackbone = { ...backbone, spec: getBackbone('mobilenet_v2_050_96'), featureModel: null };
    await expect(exportDeployModel({ ...request('onnx'), backbone: graphBackbone })).rejects.toThrow(
      /ONNX export needs a layers-model backbone\. MobileNet V2 0\.50 · 96 px .* is a graph model .* only the TensorFlow\.js export works/,
    );
  });

  it('labels.txt and the calibration pick', () => {
    expect(labelsText(['a b', 'c'])).toBe('0 a b\n1 c\n');
    expect(spreadSample([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(spreadSample(Array.from({ length: 10 }, (_, i) => i), 5)).toEqual([0, 2, 4, 6, 8]);
  });
});
