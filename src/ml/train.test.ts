import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { separableData } from './testing';
import { DEFAULT_TRAIN_SETTINGS, trainHead } from './train';

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
});
