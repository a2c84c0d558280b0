import { describe, expect, it } from 'vitest';
import { accuracy, argMaxRows, confusionMatrix, perClassAccuracy, perClassBinaryAccuracy, perClassPrecision, perClassRecall } from './metrics';

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
  it('computes per-class precision, recall and one-vs-rest accuracy', () => {
    const m = confusionMatrix([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 2], 3);
    // Predicted as 0: 2 (both right); as 1: 2 (1 right); as 2: 2 (1 right).
    expect(perClassPrecision(m)).toEqual([1, 0.5, 0.5]);
    expect(perClassRecall(m)).toEqual([2 / 3, 0.5, 1]);
    // Class 0: FN 1, FP 0 → 5/6; class 1: FN 1, FP 1 → 4/6; class 2: FN 0, FP 1 → 5/6.
    expect(perClassBinaryAccuracy(m)).toEqual([5 / 6, 4 / 6, 5 / 6]);
    expect(perClassPrecision(confusionMatrix([0], [0], 2))[1]).toBeNaN();
  });
});
