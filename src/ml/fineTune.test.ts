import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapBackbone } from './backbone';
import { createRng } from './random';
import { cachedTailInputs, cachedViewTailInputs, augmentedTailInputs, fineTuneTail, missingKernelOf, restoreTail, splitForFineTuning, tailDataOf, type TailSplit } from './fineTune';
import { exportClassifier, loadExportedModel } from './exportModel';
import { DEFAULT_AUGMENTATION, DEFAULT_TRAIN_SETTINGS } from './settings';
import { stratifiedSplit } from './split';
import { stripeImages, tinyResNetModel, TINY_RESNET_SPEC } from './testing';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fine-tuning', () => {
  const backbone = wrapBackbone(TINY_RESNET_SPEC, tinyResNetModel(), 'memory');
  const featureModel = backbone.featureModel!;
  afterAll(() => backbone.dispose());

  it('cuts after the residual block for k=2 and before it when k reaches into the block', async () => {
    const two = await splitForFineTuning(featureModel, 2);
    expect(two.trainableLayers).toEqual(['top_conv', 'top_bn']);
    expect(two.cutLayer).toBe('block_relu');
    const four = await splitForFineTuning(featureModel, 4);
    expect(four.trainableLayers).toEqual(['block_conv', 'block_bn', 'top_conv', 'top_bn']);
    // The skip connection carries stem_relu into the add, so the cut cannot be inside the block.
    expect(four.cutLayer).toBe('stem_relu');
    expect(four.tail.trainableWeights.map((w) => w.originalName.split('/')[0]).sort()).toEqual(
      ['block_bn', 'block_bn', 'block_conv', 'top_bn', 'top_bn', 'top_conv'],
    );
    await expect(splitForFineTuning(featureModel, 99)).rejects.toThrow(/has 6 layers with weights/);
    two.dispose();
    four.dispose();
  });

  it('frees every weight it copied on dispose, also after the tail was applied again', async () => {
    const before = tf.memory().numTensors;
    const split = await splitForFineTuning(featureModel, 2);
    split.tail.apply(tf.input({ shape: [8, 8, 8] }));
    split.dispose();
    split.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('prefix + tail copy computes exactly what the feature model computes', async () => {
    const { images } = stripeImages(2, 16);
    for (const k of [1, 2, 4, 6]) {
      const split = await splitForFineTuning(featureModel, k);
      const [expected, actual] = tf.tidy(() => [
        featureModel.predict(images) as tf.Tensor,
        split.tail.predict(split.prefix ? (split.prefix.predict(images) as tf.Tensor) : images) as tf.Tensor,
      ]);
      expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()).map((v) => expect.closeTo(v, 5)));
      tf.dispose([expected, actual]);
      split.dispose();
    }
    images.dispose();
  });

  it('trains the tail and head to separate the classes without touching the loaded backbone', async () => {
    const { images, labels } = stripeImages(16, 16);
    const originalTop = featureModel.getLayer('top_conv').getWeights()[0].clone();
    const split = await splitForFineTuning(featureModel, 2);
    const tailBefore = split.tail.getLayer('top_conv').getWeights()[0].clone();
    // Batch norm runs in inference mode: its moving statistics must not move.
    const frozenBefore = split.tail.getLayer('top_bn').getWeights()[2].clone();
    const dataSplit = stratifiedSplit(labels, 0.25, 1);
    const activations = split.prefix!.predict(images) as tf.Tensor;
    const valActs = tf.gather(activations, dataSplit.validation);
    // cachedTailInputs indexes rows of the whole set, so hand it all activations.
    const inputs = cachedTailInputs(activations, valActs);
    const settings = { ...DEFAULT_TRAIN_SETTINGS, epochs: 25, batchSize: 8, learningRate: 0.01, fineTuneLearningRate: 0.01 };
    const result = await fineTuneTail(split.tail, inputs, labels, dataSplit, 2, settings);
    expect(result.history).toHaveLength(25);
    expect(result.history.at(-1)!.loss).toBeLessThan(result.history[0].loss);
    expect(result.history.at(-1)!.valAccuracy).toBe(1);
    const changed = tf.tidy(() => tf.abs(tf.sub(split.tail.getLayer('top_conv').getWeights()[0], tailBefore)).max().dataSync()[0]);
    expect(changed).toBeGreaterThan(0);
    const frozenChange = tf.tidy(() => tf.abs(tf.sub(split.tail.getLayer('top_bn').getWeights()[2], frozenBefore)).max().dataSync()[0]);
    expect(frozenChange).toBe(0);
    const backboneChange = tf.tidy(() => tf.abs(tf.sub(featureModel.getLayer('top_conv').getWeights()[0], originalTop)).max().dataSync()[0]);
    expect(backboneChange).toBe(0);
    result.head.dispose();
    split.dispose();
    tf.dispose([images, originalTop, tailBefore, frozenBefore, activations, valActs]);
  });

  it('augments per batch through the frozen prefix and leaks no tensors', async () => {
    const { images, labels } = stripeImages(8, 16, 9);
    const split = await splitForFineTuning(featureModel, 2);
    const before = tf.memory().numTensors;
    const dataSplit = stratifiedSplit(labels, 0.25, 1);
    const valActs = tf.tidy(() => split.prefix!.predict(tf.gather(images, dataSplit.validation)) as tf.Tensor);
    const inputs = augmentedTailInputs((rows) => tf.gather(images, rows), (x) => split.prefix!.predict(x) as tf.Tensor, DEFAULT_AUGMENTATION, [-1, 1], valActs);
    const result = await fineTuneTail(split.tail, inputs, labels, dataSplit, 2, { ...DEFAULT_TRAIN_SETTINGS, epochs: 3, batchSize: 4 });
    expect(result.history).toHaveLength(3);
    result.head.dispose();
    valActs.dispose();
    // Only the optimiser-free state is left: the tail's own weights were there before.
    expect(tf.memory().numTensors).toBe(before);
    split.dispose();
    images.dispose();
  });

  it('draws each training row from its own original or cached views', () => {
    // Rows 0..5 are samples (value = row); then 2 views per training row (value = 100 + 10 * row + view).
    const trainRows = [1, 3, 4];
    const values = [0, 1, 2, 3, 4, 5, ...trainRows.flatMap((row) => [100 + 10 * row + 1, 100 + 10 * row + 2])];
    const all = tf.tensor2d(values, [values.length, 1]);
    const inputs = cachedViewTailInputs(all, trainRows, 2, null);
    const rng = createRng(7);
    const seen = new Set<number>();
    for (let draw = 0; draw < 40; draw++) {
      const picked = tf.tidy(() => inputs.trainBatch([4, 1, 3], rng).dataSync());
      [4, 1, 3].forEach((row, i) => {
        expect([row, 100 + 10 * row + 1, 100 + 10 * row + 2]).toContain(picked[i]);
        seen.add(picked[i]);
      });
    }
    // Originals and both views of every row turn up.
    expect(seen.size).toBe(9);
    all.dispose();
  });

  it('recognises a missing gradient kernel in an error', () => {
    expect(missingKernelOf(new Error("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"))).toBe('Conv2DBackpropFilter');
    expect(missingKernelOf(new Error('other'))).toBeNull();
  });

  it('exports one layers model with the fine-tuned tail that reproduces the app’s predictions', async () => {
    const { images, labels } = stripeImages(6, 16, 21);
    const split = await splitForFineTuning(featureModel, 2);
    const dataSplit = stratifiedSplit(labels, 0, 1);
    const activations = split.prefix!.predict(images) as tf.Tensor;
    const result = await fineTuneTail(split.tail, cachedTailInputs(activations, null), labels, dataSplit, 2, {
      ...DEFAULT_TRAIN_SETTINGS,
      epochs: 3,
      fineTuneLearningRate: 0.05,
    });
    const files = await exportClassifier({
      backbone,
      head: result.head,
      labels: ['h', 'v'],
      modelName: 't',
      appVersion: '0',
      fineTuned: { prefix: split.prefix, tail: split.tail, trainableLayers: split.trainableLayers },
    });
    const exported = await loadExportedModel(files);
    const [expected, actual, frozen] = tf.tidy(() => [
      result.head.predict(split.tail.predict(activations) as tf.Tensor) as tf.Tensor,
      exported.predict(images) as tf.Tensor,
      result.head.predict(featureModel.predict(images) as tf.Tensor) as tf.Tensor,
    ]);
    const expectedValues = Array.from(expected.dataSync());
    expect(Array.from(actual.dataSync())).toEqual(expectedValues.map((v) => expect.closeTo(v, 5)));
    // ...and differs from the frozen backbone's, so the fine-tuned weights are really in the file.
    const gap = Math.max(...Array.from(frozen.dataSync()).map((v, i) => Math.abs(v - expectedValues[i])));
    expect(gap).toBeGreaterThan(1e-4);
    tf.dispose([expected, actual, frozen, activations, images]);
    exported.dispose();
    result.head.dispose();
    split.dispose();
  });

  it('restores a fine-tuned tail from its stored data on a freshly loaded backbone: same predictions, same export', async () => {
    const { images, labels } = stripeImages(6, 16, 33);
    // A second instance with the same weights stands for the backbone as loaded after a page reload.
    const reloaded = wrapBackbone(TINY_RESNET_SPEC, tinyResNetModel(), 'memory');
    for (const k of [2, 6]) {
      const split = await splitForFineTuning(featureModel, k);
      const activations = tf.tidy(() => (split.prefix ? (split.prefix.predict(images) as tf.Tensor) : images.clone()));
      const result = await fineTuneTail(split.tail, cachedTailInputs(activations, null), labels, stratifiedSplit(labels, 0, 1), 2, {
        ...DEFAULT_TRAIN_SETTINGS,
        epochs: 3,
        fineTuneLearningRate: 0.05,
      });
      // Through the structured clone IndexedDB makes of it.
      const stored = structuredClone(await tailDataOf(split));
      const before = tf.memory().numTensors;
      const restored = await restoreTail(reloaded.featureModel!, stored);
      expect(restored.cutLayer).toBe(split.cutLayer);
      expect(restored.trainableLayers).toEqual(split.trainableLayers);
      // k = 6 reaches the first layer: the cut is the image input, there is no prefix.
      expect(restored.prefix === null).toBe(k === 6);
      expect(split.prefix === null).toBe(k === 6);
      const names = (s: TailSplit) => s.tail.trainableWeights.map((w) => w.originalName);
      expect(names(restored)).toEqual(names(split));

      const predict = (s: TailSplit) =>
        tf.tidy(() => result.head.predict(s.tail.predict(s.prefix ? (s.prefix.predict(images) as tf.Tensor) : images) as tf.Tensor) as tf.Tensor);
      const [expected, actual] = [predict(split), predict(restored)];
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(expected, actual))).dataSync()[0]);
      expect(diff).toBeLessThan(1e-6);

      const exportWith = (s: TailSplit, b: typeof backbone) =>
        exportClassifier({ backbone: b, head: result.head, labels: ['h', 'v'], modelName: 't', appVersion: '0', now: new Date(0), fineTuned: s });
      const [original, again] = [await exportWith(split, backbone), await exportWith(restored, reloaded)];
      expect(again['model.json']).toBe(original['model.json']);
      expect(again['metadata.json']).toBe(original['metadata.json']);
      expect(Buffer.from(again['weights.bin']).equals(Buffer.from(original['weights.bin']))).toBe(true);

      tf.dispose([expected, actual]);
      restored.dispose();
      expect(tf.memory().numTensors, `k=${k}: restoring and disposing leaks nothing`).toBe(before);
      tf.dispose([activations]);
      result.head.dispose();
      split.dispose();
    }
    images.dispose();
    reloaded.dispose();
  });

  it('refuses stored tail data that does not fit the backbone', async () => {
    const split = await splitForFineTuning(featureModel, 2);
    const stored = await tailDataOf(split);
    split.dispose();
    const before = tf.memory().numTensors;
    await expect(restoreTail(featureModel, { ...stored, cutLayer: 'nope' })).rejects.toThrow(/has no layer "nope"/);
    await expect(restoreTail(featureModel, { ...stored, cutLayer: 'top_conv' })).rejects.toThrow(/they take \[8,8,8\], "top_conv" gives \[8,8,12\]/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
