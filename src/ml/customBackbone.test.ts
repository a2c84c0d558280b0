import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { wrapBackbone } from './backbone';
import { customSpec, defaultFeatureLayer, describeLayersModel, formatOfModelJson, inputSizeOf } from './customBackbone';
import { tinyResNetModel } from './testing';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('custom backbones', () => {
  it('lists a ResNet-style model\'s layers with output shapes and suggests the pooled layer before the classifier', () => {
    const model = tinyResNetModel(32);
    const info = describeLayersModel(model);
    expect(info.inputSize).toBe(32);
    expect(info.layers.map((l) => l.name)).toEqual([
      'stem_conv', 'stem_bn', 'stem_relu', 'block_conv', 'block_bn', 'block_add', 'block_relu', 'top_conv', 'top_bn', 'features', 'avg_pool', 'predictions',
    ]);
    expect(info.layers.find((l) => l.name === 'features')!.shape).toEqual([16, 16, 12]);
    expect(info.defaultFeature).toBe('avg_pool');
    model.dispose();
  });

  it('without a pooling layer suggests the last spatial layer before the classifier', () => {
    expect(
      defaultFeatureLayer([
        { name: 'conv', kind: 'Conv2D', shape: [7, 7, 64] },
        { name: 'flatten', kind: 'Flatten', shape: [3136] },
        { name: 'logits', kind: 'Dense', shape: [10] },
      ]),
    ).toBe('conv');
  });

  it('turns a feature-layer choice into a spec that embeds with the right size', () => {
    const model = tinyResNetModel(32);
    const info = describeLayersModel(model);
    const spatial = customSpec({ modelId: 'm1', title: 'tiny', featureNode: 'features', scaling: 'unit' }, info);
    expect(spatial).toMatchObject({ pooled: true, embeddingSize: 12, inputSize: 32, format: 'layers' });
    const pooled = customSpec({ modelId: 'm1', title: 'tiny', featureNode: 'avg_pool', scaling: 'unit' }, info);
    expect(pooled).toMatchObject({ pooled: false, embeddingSize: 12 });
    expect(pooled.id).not.toBe(spatial.id);
    for (const spec of [spatial, pooled]) {
      const backbone = wrapBackbone(spec, model, 'memory');
      const out = tf.tidy(() => backbone.embed(tf.zeros([2, 32, 32, 3])));
      expect(out.shape).toEqual([2, 12]);
      out.dispose();
    }
    expect(() => customSpec({ modelId: 'm1', title: 'tiny', featureNode: 'nope', scaling: 'unit' }, info)).toThrow(/no layer "nope"/);
    model.dispose();
  });

  it('reads the model format and refuses non-square or non-RGB inputs', () => {
    expect(formatOfModelJson({ format: 'graph-model', modelTopology: { node: [] } })).toBe('graph');
    expect(formatOfModelJson({ modelTopology: { class_name: 'Functional' } })).toBe('layers');
    expect(() => formatOfModelJson({})).toThrow(/neither/);
    expect(inputSizeOf([null, null, null, 3])).toBe(224);
    expect(() => inputSizeOf([null, 32, 48, 3])).toThrow(/square/);
    expect(() => inputSizeOf([null, 32, 32, 1])).toThrow(/RGB/);
  });
});
