import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { separableData } from './testing';
import { BatchPacker, batchSizeFor, DEFAULT_TRAIN_SETTINGS, MAX_STEPS_PER_EPOCH, trainHead } from './train';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('trainHead', () => {
  const data = separableData(30, 16);
  afterAll(() => data.embeddings.dispose());

  it('reduces the loss on separable data and reaches full validation accuracy', async () => {
    const before = tf.memory().numTensors;
    const epochs: number[] = [];
    const result = await trainHead(data.embeddings, data.labels, 2, { ...DEFAULT_TRAIN_SETTINGS, epochs: 20 }, {
      onEpoch: (logs) => epochs.push(logs.loss),
    });
    expect(result.history).toHaveLength(20);
    expect(epochs[19]).toBeLessThan(epochs[0] * 0.5);
    expect(result.history[19].valAccuracy).toBe(1);
    expect(result.split.validation).toHaveLength(10);
    expect(result.validationPredictions).toHaveLength(10);
    result.head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops within one batch when asked', async () => {
    let batches = 0;
    const before = tf.memory().numTensors;
    const result = await trainHead(data.embeddings, data.labels, 2, { ...DEFAULT_TRAIN_SETTINGS, epochs: 50, batchSize: 4 }, {
      shouldStop: () => ++batches >= 3,
    });
    expect(result.stopped).toBe(true);
    expect(batches).toBe(3);
    expect(result.history).toHaveLength(0);
    result.head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('repeats exactly for the same seed', async () => {
    const settings = { ...DEFAULT_TRAIN_SETTINGS, epochs: 3 };
    const a = await trainHead(data.embeddings, data.labels, 2, settings);
    const b = await trainHead(data.embeddings, data.labels, 2, settings);
    expect(a.history.map((h) => h.loss)).toEqual(b.history.map((h) => h.loss));
    a.head.dispose();
    b.head.dispose();
  });

  it('early stopping ends a run whose validation loss rises and restores the best epoch', async () => {
    const before = tf.memory().numTensors;
    // Random labels: the head can only memorise, so validation loss turns upward quickly.
    const noisy = separableData(20, 16, 3);
    const labels = noisy.labels.map((_, i) => (i * 7919) % 2);
    const settings = { ...DEFAULT_TRAIN_SETTINGS, epochs: 200, learningRate: 0.05, validationSplit: 0.3, earlyStopping: true, patience: 3 };
    const result = await trainHead(noisy.embeddings, labels, 2, settings);
    expect(result.history.length).toBeLessThan(200);
    const valLosses = result.history.map((h) => h.valLoss!);
    const best = valLosses.indexOf(Math.min(...valLosses)) + 1;
    expect(result.bestEpoch).toBe(best);
    expect(result.history.length).toBe(best + 3);
    // The returned head has the best epoch's weights: its validation loss is that epoch's.
    const restoredLoss = tf.tidy(() => {
      const x = tf.gather(noisy.embeddings, result.split.validation);
      const y = tf.oneHot(result.split.validation.map((i) => labels[i]), 2).toFloat();
      return tf.metrics.categoricalCrossentropy(y, result.head.predict(x) as tf.Tensor).mean().dataSync()[0];
    });
    expect(restoredLoss).toBeCloseTo(valLosses[best - 1], 4);
    result.head.dispose();
    noisy.embeddings.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('weighs imbalanced classes by default and not balanced ones', async () => {
    const imbalanced = separableData(30, 8);
    const labels = imbalanced.labels;
    const keep = labels.map((l, i) => (l === 0 || i % 5 === 0 ? i : -1)).filter((i) => i >= 0);
    const x = tf.gather(imbalanced.embeddings, keep) as tf.Tensor2D;
    const settings = { ...DEFAULT_TRAIN_SETTINGS, epochs: 2 };
    const weighted = await trainHead(x, keep.map((i) => labels[i]), 2, settings);
    expect(weighted.classWeights).not.toBeNull();
    expect(weighted.classWeights![1]).toBeGreaterThan(weighted.classWeights![0] * 2);
    const balanced = await trainHead(imbalanced.embeddings, labels, 2, settings);
    expect(balanced.classWeights).toBeNull();
    const off = await trainHead(x, keep.map((i) => labels[i]), 2, { ...settings, classWeights: 'off' });
    expect(off.classWeights).toBeNull();
    expect(off.history[0].loss).not.toBeCloseTo(weighted.history[0].loss, 6);
    for (const r of [weighted, balanced, off]) r.head.dispose();
    tf.dispose([x, imbalanced.embeddings]);
  });

  it('trains on extra (augmented) rows but never validates on them', async () => {
    const extra = separableData(5, 16, 99);
    const result = await trainHead(data.embeddings, data.labels, 2, { ...DEFAULT_TRAIN_SETTINGS, epochs: 2 }, {}, {
      extraTraining: { embeddings: extra.embeddings, labels: extra.labels },
    });
    expect(result.validationPredictions).toHaveLength(result.split.validation.length);
    expect(result.validationConfidences.every((c) => c >= 0.5 && c <= 1)).toBe(true);
    result.head.dispose();
    extra.embeddings.dispose();
  });
});

describe('batch size for large projects', () => {
  it('keeps the asked-for batch up to 50 steps an epoch, then grows by powers of two up to 1024', () => {
    expect(batchSizeFor(16, 200)).toBe(16);
    expect(batchSizeFor(16, 800)).toBe(16);
    expect(batchSizeFor(16, 801)).toBe(32);
    expect(batchSizeFor(16, 17_000)).toBe(512);
    expect(batchSizeFor(64, 17_000)).toBe(512);
    expect(batchSizeFor(16, 500_000)).toBe(1024);
    expect(Math.ceil(17_000 / batchSizeFor(16, 17_000))).toBeLessThanOrEqual(MAX_STEPS_PER_EPOCH);
  });
});

describe('BatchPacker', () => {
  it('packs the asked rows in order into one buffer it reuses, never showing an earlier batch', () => {
    const rows = [new Float32Array([1, 2]), new Float32Array([3, 4]), new Float32Array([5, 6])];
    const packer = new BatchPacker(2);
    const first = packer.pack([2, 0], (r) => rows[r]);
    expect(Array.from(first)).toEqual([5, 6, 1, 2]);
    const second = packer.pack([1], (r) => rows[r]);
    expect(Array.from(second)).toEqual([3, 4]);
    expect(second.buffer).toBe(first.buffer);
    const larger = packer.pack([0, 1, 2], (r) => rows[r]);
    expect(Array.from(larger)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
