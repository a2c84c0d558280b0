import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackbone, wrapBackbone } from './backbone';
import { exportClassifier, loadExportedModel } from './exportModel';
import { TINY_SPEC, tinyBackboneModel } from './testing';
import { DEFAULT_TRAIN_SETTINGS, trainHead } from './train';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('exportClassifier', () => {
  it('writes one layers model (backbone + pooling + head) that reloads and predicts identically', async () => {
    const backbone = wrapBackbone(TINY_SPEC, tinyBackboneModel(), 'memory');
    const images = tf.randomUniform([12, 8, 8, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const embeddings = backbone.embed(images);
    expect(embeddings.shape).toEqual([12, 6]);
    const labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    const { head } = await trainHead(embeddings, labels, 2, { ...DEFAULT_TRAIN_SETTINGS, epochs: 2, hiddenUnits: 5 });

    const before = tf.memory().numTensors;
    const files = await exportClassifier({ backbone, head, labels: ['a', 'b'], modelName: 'test', appVersion: '0.0.0' });
    expect(tf.memory().numTensors).toBe(before);

    const metadata = JSON.parse(files['metadata.json']);
    for (const key of ['tfjsVersion', 'tmVersion', 'packageVersion', 'packageName', 'timeStamp', 'userMetadata', 'modelName', 'labels', 'imageSize']) {
      expect(metadata).toHaveProperty(key);
    }
    expect(metadata.labels).toEqual(['a', 'b']);
    expect(metadata.imageSize).toBe(8);
    const json = JSON.parse(files['model.json']);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const layerNames: string[] = json.modelTopology.config.layers.map((l: { name: string }) => l.name);
    expect(layerNames).toContain('tiny_conv');
    expect(layerNames).not.toContain('tiny_top');

    const reloaded = await loadExportedModel(files);
    expect(reloaded.inputs[0].shape).toEqual([null, 8, 8, 3]);
    const expected = tf.tidy(() => head.predict(embeddings) as tf.Tensor);
    const actual = reloaded.predict(images) as tf.Tensor;
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(expected, actual))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-6);
    tf.dispose([images, embeddings, expected, actual]);
    reloaded.dispose();
    head.dispose();
    backbone.dispose();
  });

  it('exports the head alone for a graph backbone and names the backbone in metadata', async () => {
    const head = tf.sequential({ layers: [tf.layers.dense({ name: 'ts_head_hidden', inputShape: [4], units: 3, activation: 'relu' }), tf.layers.dropout({ name: 'ts_head_dropout', rate: 0.1 }), tf.layers.dense({ name: 'ts_head_output', units: 2, activation: 'softmax' })] });
    const graphLike = { spec: { ...TINY_SPEC, format: 'graph' as const, scaling: 'unit' as const }, source: 'x', featureModel: null, embed: () => { throw new Error('unused'); }, dispose: () => {} };
    const files = await exportClassifier({ backbone: graphLike, head, labels: ['a', 'b'], modelName: 'm', appVersion: '1' });
    const metadata = JSON.parse(files['metadata.json']);
    expect(metadata.backbone).toMatchObject({ id: 'tiny', format: 'graph', preprocessing: expect.stringMatching(/x \/ 255/) });
    const reloaded = await loadExportedModel(files);
    expect(reloaded.inputs[0].shape).toEqual([null, 4]);
    reloaded.dispose();
    head.dispose();
  });
});

describe('loadBackbone', () => {
  it('falls back to the public URL when the same-origin copy is missing', async () => {
    const tried: string[] = [];
    const backbone = await loadBackbone(TINY_SPEC, {
      localUrl: '/models/tiny/model.json',
      loader: async (url) => {
        tried.push(url);
        if (url.startsWith('/models')) throw new Error('404 Not Found');
        return tinyBackboneModel();
      },
    });
    expect(tried).toEqual(['/models/tiny/model.json', 'https://example.invalid/tiny/model.json']);
    expect(backbone.source).toBe('https://example.invalid/tiny/model.json');
    backbone.dispose();
  });

  it('names both URLs and both errors when neither loads', async () => {
    await expect(
      loadBackbone(TINY_SPEC, {
        localUrl: '/models/tiny/model.json',
        loader: async (url) => {
          throw new Error(url.startsWith('/') ? 'local missing' : 'offline');
        },
      }),
    ).rejects.toThrow(/\/models\/tiny\/model\.json: local missing.*https:\/\/example\.invalid\/tiny\/model\.json: offline/);
  });
});
