import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { classWeightsFor, EarlyStopping, weightedCrossEntropy } from './trainingControl';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('class weights', () => {
  it('are off in auto mode for classes within 2× of each other', () => {
    expect(classWeightsFor([0, 0, 0, 0, 1, 1], 2, 'auto')).toBeNull();
    expect(classWeightsFor([0, 0, 1], 2, 'off')).toBeNull();
  });

  it('are inverse frequency, normalised to 1 for balanced classes, when counts differ by more than 2×', () => {
    // 6 of class 0, 2 of class 1, 2 of class 2: N / (C · count)
    const labels = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2];
    expect(classWeightsFor(labels, 3, 'auto')).toEqual([10 / 18, 10 / 6, 10 / 6]);
    expect(classWeightsFor([0, 1], 2, 'on')).toEqual([1, 1]);
  });

  it('ignore empty classes', () => {
    expect(classWeightsFor([0, 0, 0, 0, 0, 2], 3, 'auto')).toEqual([6 / 10, 0, 6 / 2]);
  });

  it('weigh the loss as a weighted mean of per-sample cross-entropy', () => {
    const yTrue = tf.tensor2d([[1, 0], [0, 1], [0, 1]]);
    const yPred = tf.tensor2d([[0.5, 0.5], [0.2, 0.8], [0.9, 0.1]]);
    const weights = tf.tensor1d([2, 1]);
    const ce = [-Math.log(0.5), -Math.log(0.8), -Math.log(0.1)];
    const weighted = weightedCrossEntropy(yTrue, yPred, weights);
    expect(weighted.dataSync()[0]).toBeCloseTo((2 * ce[0] + ce[1] + ce[2]) / 4, 5);
    const plain = weightedCrossEntropy(yTrue, yPred, null);
    expect(plain.dataSync()[0]).toBeCloseTo((ce[0] + ce[1] + ce[2]) / 3, 5);
    tf.dispose([yTrue, yPred, weights, weighted, plain]);
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without improvement and restores the best epoch', () => {
    const before = tf.memory().numTensors;
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, useBias: false })] });
    const setKernel = (v: number) => tf.tidy(() => model.setWeights([tf.tensor2d([[v], [v]])]));
    const stopper = new EarlyStopping(() => [model], 2);
    const losses = [1.0, 0.6, 0.4, 0.5, 0.45];
    const stops: boolean[] = [];
    losses.forEach((loss, i) => {
      setKernel(i + 1);
      stops.push(stopper.update(i + 1, loss));
    });
    expect(stops).toEqual([false, false, false, false, true]);
    expect(stopper.restoreBest()).toBe(3);
    expect(Array.from(model.getWeights()[0].dataSync())).toEqual([3, 3]);
    stopper.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
