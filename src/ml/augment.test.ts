import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentBatch, IDENTITY_PARAMS, sampleAugmentParams, type AugmentParams } from './augment';
import { createRng } from './random';
import { DEFAULT_AUGMENTATION, type AugmentSettings } from './settings';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const RANGE: [number, number] = [-1, 255 / 127 - 1];

function randomImages(n: number, size: number, seed = 3): tf.Tensor4D {
  const rng = createRng(seed);
  const values = Array.from({ length: n * size * size * 3 }, () => RANGE[0] + rng() * (RANGE[1] - RANGE[0]));
  return tf.tensor4d(values, [n, size, size, 3]);
}

const allAt = (strength: number, enabled = true): AugmentSettings => ({
  flip: { enabled, strength },
  rotate: { enabled, strength },
  zoom: { enabled, strength },
  shear: { enabled, strength },
  color: { enabled, strength },
});

describe('augmentation', () => {
  it('draws identity parameters at strength 0 and when every toggle is off', () => {
    const rng = createRng(1);
    for (let i = 0; i < 20; i++) {
      expect(sampleAugmentParams(allAt(0), rng)).toEqual(IDENTITY_PARAMS);
      expect(sampleAugmentParams(allAt(1, false), rng)).toEqual(IDENTITY_PARAMS);
    }
  });

  it('leaves images unchanged at strength 0', () => {
    const images = randomImages(3, 10);
    const rng = createRng(2);
    const params = [0, 1, 2].map(() => sampleAugmentParams(allAt(0), rng));
    const out = augmentBatch(images, params, RANGE);
    expect(out.shape).toEqual(images.shape);
    expect(Array.from(out.dataSync())).toEqual(Array.from(images.dataSync()));
    tf.dispose([images, out]);
  });

  it('an identity geometric transform is exact even when the transform op runs', () => {
    // Colour-only augmentation with contrast 1 and brightness 0 next to a flip on another image.
    const images = randomImages(2, 8);
    const out = augmentBatch(images, [IDENTITY_PARAMS, { ...IDENTITY_PARAMS, flip: true }], RANGE);
    const [a, b] = tf.split(out, 2);
    const [ia, ib] = tf.split(images, 2);
    expect(Array.from(a.dataSync())).toEqual(Array.from(ia.dataSync()));
    // A flip mirrors columns exactly.
    expect(Array.from(b.dataSync())).toEqual(Array.from(tf.reverse(ib, 2).dataSync()));
    tf.dispose([images, out, a, b, ia, ib]);
  });

  it('keeps shape and value range at full strength, and changes the images', () => {
    const before = tf.memory().numTensors;
    const images = randomImages(6, 16);
    const rng = createRng(5);
    const params: AugmentParams[] = Array.from({ length: 6 }, () => sampleAugmentParams(allAt(1), rng));
    const out = augmentBatch(images, params, RANGE);
    expect(out.shape).toEqual([6, 16, 16, 3]);
    const values = out.dataSync();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(RANGE[0] - 1e-6);
    expect(Math.max(...values)).toBeLessThanOrEqual(RANGE[1] + 1e-6);
    const difference = tf.tidy(() => tf.abs(tf.sub(out, images)).mean().dataSync()[0]);
    expect(difference).toBeGreaterThan(0.05);
    tf.dispose([images, out]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('each augmentation alone keeps shape and range at strength 1', () => {
    const images = randomImages(2, 12);
    for (const key of Object.keys(DEFAULT_AUGMENTATION) as (keyof AugmentSettings)[]) {
      const only = { ...allAt(0, false), [key]: { enabled: true, strength: 1 } };
      const rng = createRng(9);
      const out = augmentBatch(images, [sampleAugmentParams(only, rng), sampleAugmentParams(only, rng)], RANGE);
      expect(out.shape, key).toEqual(images.shape);
      const values = out.dataSync();
      expect(Math.min(...values), key).toBeGreaterThanOrEqual(RANGE[0] - 1e-6);
      expect(Math.max(...values), key).toBeLessThanOrEqual(RANGE[1] + 1e-6);
      out.dispose();
    }
    images.dispose();
  });

  it('repeats for the same seed', () => {
    const a = sampleAugmentParams(DEFAULT_AUGMENTATION, createRng(11));
    const b = sampleAugmentParams(DEFAULT_AUGMENTATION, createRng(11));
    expect(a).toEqual(b);
  });
});
