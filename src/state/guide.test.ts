import { describe, expect, it } from 'vitest';
import { blockingReason, plainResult, staleness } from './guide';
import type { ClassInfo } from './project';
import type { TrainedOutcome } from './session';

const cls = (name: string, ids: string[]): ClassInfo => ({ id: name, name, samples: ids.map((id) => ({ id, name: `${id}.png`, thumbUrl: '' })) });

describe('blockingReason', () => {
  it('names the classes that still need photos', () => {
    expect(blockingReason([cls('Cats', []), cls('Dogs', [])], 0.15)).toBe('Add photos to 2 classes ("Cats" and "Dogs").');
    expect(blockingReason([cls('Cats', ['a', 'b']), cls('Dogs', [])], 0.15)).toBe('Add photos to 1 more class ("Dogs").');
    expect(blockingReason([cls('Cats', ['a', 'b'])], 0.15)).toBe('Add a class and give it photos.');
  });
  it('asks for a rename when two classes share a name, and for more photos when one cannot be held out', () => {
    expect(blockingReason([cls('Cat', ['a', 'b']), cls('cat ', ['c', 'd'])], 0.15)).toBe('Two classes are both named "Cat": rename one.');
    expect(blockingReason([cls('A', ['a', 'b', 'c']), cls('B', ['d'])], 0.15)).toBe('Add photos: "B" needs 1 more photo.');
    expect(blockingReason([cls('A', ['a', 'b', 'c']), cls('B', ['d'])], 0)).toBeNull();
  });
});

describe('staleness', () => {
  it('counts images added and removed since training', () => {
    const trained = new Set(['a', 'b', 'c']);
    expect(staleness([cls('A', ['a', 'b', 'x', 'y'])], trained)).toBe('Out of date: 2 new images, 1 image removed. Train again.');
    expect(staleness([cls('A', ['a', 'b', 'c'])], trained)).toBe('Out of date: the classes changed. Train again.');
    expect(staleness([cls('A', ['a'])], null)).toBe('Out of date: the classes changed since training. Train again.');
  });
});

describe('plainResult', () => {
  const outcome = (confusion: number[][], accuracy: number, valAccuracy: number) =>
    ({
      status: 'trained',
      labels: ['A', 'B'],
      seconds: 1,
      history: [{ epoch: 1, epochs: 1, loss: 0.1, accuracy, valLoss: 0.2, valAccuracy }],
      validation: { count: confusion.flat().reduce((a, b) => a + b, 0), accuracy: valAccuracy, confusion, perClassAccuracy: [] },
    }) as unknown as TrainedOutcome;

  it('says how many check photos were right, and warns about a small check set and over-fitting', () => {
    const { headline, advice } = plainResult(outcome([[3, 0], [1, 2]], 1, 5 / 6));
    expect(headline).toBe('Model ready: 5 of 6 check photos right');
    expect(advice[0]).toMatch(/^Only 6 photos were kept aside/);
    expect(advice[1]).toMatch(/^It gets 100% of its training photos right but 83% of the check photos: it may have memorised/);
  });
  it('gives no advice for a large check set that agrees with training', () => {
    expect(plainResult(outcome([[10, 0], [0, 10]], 1, 1)).advice).toEqual([]);
  });
});
