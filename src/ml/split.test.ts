import { describe, expect, it } from 'vitest';
import { stratifiedSplit, trainingProblem, validationCount } from './split';

describe('stratifiedSplit', () => {
  const labels = [...Array(20).fill(0), ...Array(10).fill(1), ...Array(3).fill(2)];

  it('holds out the same share of every class', () => {
    const { train, validation } = stratifiedSplit(labels, 0.15, 1);
    const count = (idx: number[], c: number) => idx.filter((i) => labels[i] === c).length;
    expect(count(validation, 0)).toBe(3);
    expect(count(validation, 1)).toBe(2);
    expect(count(validation, 2)).toBe(1);
    expect(train.length + validation.length).toBe(labels.length);
    expect(new Set([...train, ...validation]).size).toBe(labels.length);
  });

  it('repeats for a seed and differs across seeds', () => {
    expect(stratifiedSplit(labels, 0.15, 5)).toEqual(stratifiedSplit(labels, 0.15, 5));
    expect(stratifiedSplit(labels, 0.15, 5).validation).not.toEqual(stratifiedSplit(labels, 0.15, 6).validation);
  });

  it('keeps everything for training when the split is 0', () => {
    expect(stratifiedSplit(labels, 0, 1).validation).toEqual([]);
    expect(validationCount(12, 0.15)).toBe(2);
  });
});

describe('trainingProblem', () => {
  it('explains that two classes with images are needed', () => {
    expect(trainingProblem([{ name: 'Cats', count: 5 }, { name: 'Dogs', count: 0 }], 0.15)).toMatch(
      /at least two classes.*Add images to "Dogs"/,
    );
  });
  it('explains a class too small for the validation split', () => {
    expect(trainingProblem([{ name: 'A', count: 5 }, { name: 'B', count: 1 }], 0.15)).toMatch(/"B" \(1\).*validation split to 0%/);
    expect(trainingProblem([{ name: 'A', count: 5 }, { name: 'B', count: 1 }], 0)).toBeNull();
  });
  it('refuses two classes with the same name', () => {
    expect(trainingProblem([{ name: 'Cat', count: 3 }, { name: 'cat ', count: 3 }], 0.15)).toMatch(/both named "Cat"/);
  });
  it('accepts a usable set', () => {
    expect(trainingProblem([{ name: 'A', count: 12 }, { name: 'B', count: 12 }], 0.15)).toBeNull();
  });
});
