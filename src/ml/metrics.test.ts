import { describe, expect, it } from 'vitest';
import { accuracy, argMaxRows, confusionMatrix, perClassAccuracy } from './metrics';

describe('metrics', () => {
  it('computes accuracy, confusion matrix and per-class accuracy on known predictions', () => {
    const actual = [0, 0, 0, 1, 1, 2];
    const predicted = [0, 0, 1, 1, 2, 2];
    expect(accuracy(predicted, actual)).toBeCloseTo(4 / 6);
    const m = confusionMatrix(predicted, actual, 3);
    expect(m).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(perClassAccuracy(m)).toEqual([2 / 3, 0.5, 1]);
  });
  it('finds the arg max of each row', () => {
    expect(argMaxRows([0.1, 0.9, 0.7, 0.3], 2)).toEqual([1, 0]);
  });
});
