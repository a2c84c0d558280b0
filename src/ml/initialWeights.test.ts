import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { wrapBackbone } from './backbone';
import { exportClassifier, loadExportedModel, type ModelMetadata } from './exportModel';
import { backboneOfExport, headWeightsOf, initialisationProblem } from './initialWeights';
import { separableData, TINY_SPEC, tinyBackboneModel } from './testing';
import { DEFAULT_TRAIN_SETTINGS, trainHead } from './train';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('weight initialisation', () => {
  it('continues from an earlier head: the first epoch starts where the last run ended', async () => {
    const data = separableData(30, 16);
    const settings = { ...DEFAULT_TRAIN_SETTINGS, epochs: 15, learningRate: 0.01 };
    const first = await trainHead(data.embeddings, data.labels, 2, settings);
    const initial = headWeightsOf(first.head);
    const continued = await trainHead(data.embeddings, data.labels, 2, { ...settings, epochs: 1 }, {}, { initialHead: initial });
    const fresh = await trainHead(data.embeddings, data.labels, 2, { ...settings, epochs: 1 });
    expect(continued.history[0].loss).toBeLessThan(fresh.history[0].loss * 0.5);
    expect(continued.history[0].loss).toBeLessThan(first.history[0].loss * 0.5);
    // The source head is untouched by the continued run.
    expect(Array.from(first.head.getWeights()[0].dataSync())).toEqual(Array.from(initial.weights[0].dataSync()));
    tf.dispose(initial.weights);
    for (const r of [first, continued, fresh]) r.head.dispose();
    data.embeddings.dispose();
  });

  it('reads the head back from an exported zip and knows its backbone', async () => {
    const backbone = wrapBackbone(TINY_SPEC, tinyBackboneModel(), 'memory');
    const data = separableData(6, 6);
    const { head } = await trainHead(data.embeddings, data.labels, 2, { ...DEFAULT_TRAIN_SETTINGS, epochs: 2, hiddenUnits: 5 });
    const files = await exportClassifier({ backbone, head, labels: ['a', 'b'], modelName: 'm', appVersion: '0' });
    const metadata = JSON.parse(files['metadata.json']) as ModelMetadata;
    const model = await loadExportedModel(files);
    expect(backboneOfExport(metadata, model, [TINY_SPEC])).toBe('tiny');
    // Older exports without the field: inferred from the backbone's feature layer.
    expect(backboneOfExport({ ...metadata, transferStudio: undefined }, model, [{ id: 'other', featureNode: 'nope' }, TINY_SPEC])).toBe('tiny');
    const weights = headWeightsOf(model);
    expect([weights.inputSize, weights.hiddenUnits, weights.numClasses]).toEqual([6, 5, 2]);
    expect(Array.from(weights.weights[2].dataSync())).toEqual(Array.from(head.getWeights()[2].dataSync()));
    tf.dispose(weights.weights);
    model.dispose();
    head.dispose();
    backbone.dispose();
    data.embeddings.dispose();
  });

  it('refuses a model with another backbone or other classes, naming the mismatch', () => {
    const wanted = { labels: ['cat', 'dog'], backboneId: 'mobilenet_v2_035_224', embeddingSize: 1280 };
    expect(initialisationProblem('The imported model', wanted, wanted)).toBeNull();
    expect(initialisationProblem('The imported model', { ...wanted, backboneId: 'mobilenet_v1_025_224' }, wanted)).toMatch(
      /trained on the backbone "mobilenet_v1_025_224", but this project uses "mobilenet_v2_035_224"/,
    );
    expect(initialisationProblem('The imported model', { ...wanted, labels: ['dog', 'cat'] }, wanted)).toMatch(
      /has the classes "dog", "cat", but this project has "cat", "dog"/,
    );
  });
});
