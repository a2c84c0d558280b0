import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { wrapBackbone, type LoadedBackbone } from '../ml/backbone';
import { cachedTailInputs, fineTuneTail, splitForFineTuning } from '../ml/fineTune';
import { createHead } from '../ml/head';
import { DEFAULT_TRAIN_SETTINGS } from '../ml/settings';
import { stratifiedSplit } from '../ml/split';
import { stripeImages, tinyResNetModel, TINY_RESNET_SPEC } from '../ml/testing';
import { QUOTA_MESSAGE, type SavedTraining, type StoredHead } from '../storage/db';
import { modelStore, type SavedModel } from './modelStore';

/** IndexedDB's `heads` store, reduced to what projectStorage uses; records are structured-cloned as IndexedDB does. */
const heads = new Map<string, StoredHead>();
let refuseNextPut: Error | null = null;
vi.mock('../storage/db', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../storage/db')>()),
  getHead: async (id: string) => (heads.has(id) ? structuredClone(heads.get(id)) : undefined),
  putHeadWithReport: async (record: StoredHead) => {
    const refusal = refuseNextPut;
    refuseNextPut = null;
    if (refusal) throw refusal;
    heads.set(record.projectId, structuredClone(record));
  },
}));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The report saved with a model (its content does not matter to these tests). */
const REPORT = { revision: 1, backboneId: TINY_RESNET_SPEC.id } as SavedTraining;

describe('saving and restoring the trained model', () => {
  const backbone = wrapBackbone(TINY_RESNET_SPEC, tinyResNetModel(), 'memory');
  // The backbone as loaded again after a reload: same weights, other objects.
  const reloaded = wrapBackbone(TINY_RESNET_SPEC, tinyResNetModel(), 'memory');
  const { images, labels } = stripeImages(6, 16, 41);
  const backboneFor = vi.fn(async (id: string): Promise<LoadedBackbone> => {
    expect(id).toBe(TINY_RESNET_SPEC.id);
    return reloaded;
  });

  beforeEach(() => {
    heads.clear();
    backboneFor.mockClear();
  });
  afterAll(() => {
    images.dispose();
    backbone.dispose();
    reloaded.dispose();
  });

  async function fineTuned(): Promise<SavedModel> {
    const split = await splitForFineTuning(backbone.featureModel!, 2);
    const activations = split.prefix!.predict(images) as tf.Tensor;
    const settings = { ...DEFAULT_TRAIN_SETTINGS, epochs: 2, fineTuneLearningRate: 0.05 };
    const result = await fineTuneTail(split.tail, cachedTailInputs(activations, null), labels, stratifiedSplit(labels, 0, 1), 2, settings);
    activations.dispose();
    return { head: result.head, labels: ['h', 'v'], backboneId: TINY_RESNET_SPEC.id, fineTuned: split };
  }

  function headOnly(): SavedModel {
    const head = createHead({ inputSize: TINY_RESNET_SPEC.embeddingSize, numClasses: 2, hiddenUnits: 5, dropout: 0, seed: 3 });
    return { head, labels: ['h', 'v'], backboneId: TINY_RESNET_SPEC.id };
  }

  /** The app's predictions for the test images: through the fine-tuned tail when there is one. */
  function predict(model: SavedModel, on: LoadedBackbone): number[] {
    return tf.tidy(() => {
      const tuned = model.fineTuned;
      const features = tuned
        ? (tuned.tail.predict(tuned.prefix ? (tuned.prefix.predict(images) as tf.Tensor) : images) as tf.Tensor)
        : on.embed(images);
      return Array.from((model.head.predict(features) as tf.Tensor).dataSync());
    });
  }

  function dispose(model: SavedModel | null): void {
    model?.head.dispose();
    model?.fineTuned?.dispose();
  }

  it('saves a fine-tuned model as one record (head + tail, not the backbone) and restores its predictions', async () => {
    const model = await fineTuned();
    const storage = modelStore();
    expect(await storage.saveModel('p', model, REPORT)).toBeUndefined();
    const record = heads.get('p')!;
    expect(record.fineTuned).toMatchObject({ cutLayer: 'block_relu', trainableLayers: ['top_conv', 'top_bn'] });
    const tailWeights = (record.fineTuned!.weightSpecs as { name: string }[]).map((w) => w.name.split('/')[0]);
    expect(new Set(tailWeights)).toEqual(new Set(['top_conv', 'top_bn']));

    // A reload: new storage, the project opened again, the backbone loaded again.
    const before = tf.memory().numTensors;
    const again = modelStore();
    const restored = (await again.loadModel('p', backboneFor))!;
    expect(backboneFor).toHaveBeenCalledTimes(1);
    expect(restored.labels).toEqual(['h', 'v']);
    expect(restored.fineTuned!.trainableLayers).toEqual(['top_conv', 'top_bn']);
    const expected = predict(model, backbone);
    predict(restored, reloaded).forEach((p, i) => expect(Math.abs(p - expected[i])).toBeLessThan(1e-6));
    dispose(restored);
    expect(tf.memory().numTensors).toBe(before);
    dispose(model);
  });

  it('a head-only model replaces a saved fine-tuned one, tail included, in the record format saved before', async () => {
    const storage = modelStore();
    const tuned = await fineTuned();
    await storage.saveModel('p', tuned, REPORT);
    const plain = headOnly();
    expect(await storage.saveModel('p', plain, REPORT)).toBeUndefined();
    expect(Object.keys(heads.get('p')!).sort()).toEqual(['backboneId', 'labels', 'modelTopology', 'projectId', 'savedAt', 'weightData', 'weightSpecs']);
    const again = modelStore();
    const restored = (await again.loadModel('p', backboneFor))!;
    expect(restored.fineTuned).toBeUndefined();
    expect(backboneFor).not.toHaveBeenCalled();
    const expected = predict(plain, backbone);
    predict(restored, backbone).forEach((p, i) => expect(Math.abs(p - expected[i])).toBeLessThan(1e-6));
    [tuned, plain, restored].forEach(dispose);
  });

  it('when storage is full: the quota message, and the previous model stays whole', async () => {
    const storage = modelStore();
    const previous = headOnly();
    await storage.saveModel('p', previous, REPORT);
    const saved = structuredClone(heads.get('p'));
    const tuned = await fineTuned();
    refuseNextPut = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    expect(await storage.saveModel('p', tuned, REPORT)).toBe(QUOTA_MESSAGE);
    expect(heads.get('p')).toEqual(saved);
    // Both in this session (project opened again) and after a reload, the previous model comes back.
    for (const reader of [storage, modelStore()]) {
      const restored = (await reader.loadModel('p', backboneFor))!;
      expect(restored.fineTuned).toBeUndefined();
      const expected = predict(previous, backbone);
      predict(restored, backbone).forEach((p, i) => expect(Math.abs(p - expected[i])).toBeLessThan(1e-6));
      dispose(restored);
    }
    [previous, tuned].forEach(dispose);
  });
});
