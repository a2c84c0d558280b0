import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { centerSquare, rgbaBatchToTensor, scaleFunction } from './preprocess';

// Importing the WASM backend makes it the preferred one; these tests choose.
beforeAll(() => tf.setBackend('cpu'));

describe('centerSquare', () => {
  it('crops the centred square of landscape and portrait images', () => {
    expect(centerSquare(640, 480)).toEqual({ sx: 80, sy: 0, size: 480 });
    expect(centerSquare(300, 500)).toEqual({ sx: 0, sy: 100, size: 300 });
    expect(centerSquare(224, 224)).toEqual({ sx: 0, sy: 0, size: 224 });
  });
});

describe('pixel scaling', () => {
  it('matches Teachable Machine (x/127 - 1) and the unit range', () => {
    const tm = scaleFunction('teachable-machine');
    expect(tm(0)).toBe(-1);
    expect(tm(127)).toBe(0);
    expect(tm(255)).toBeCloseTo(255 / 127 - 1, 10);
    expect(scaleFunction('unit')(255)).toBe(1);
  });

  it('packs RGBA images into an [N,s,s,3] tensor, dropping alpha', async () => {
    const a = new Uint8ClampedArray([0, 127, 254, 255, 10, 20, 30, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const b = new Uint8ClampedArray(16).fill(127);
    const t = rgbaBatchToTensor([a, b], 2, 'teachable-machine');
    expect(t.shape).toEqual([2, 2, 2, 3]);
    const data = await t.data();
    expect(Array.from(data.slice(0, 3))).toEqual([-1, 0, Math.fround(254 / 127 - 1)]);
    expect(data[3]).toBeCloseTo(10 / 127 - 1, 6);
    expect(Array.from(data.slice(12)).every((v) => v === 0)).toBe(true);
    t.dispose();
  });

  it.each(['cpu', 'wasm'])('keeps each batch its own on %s, where one scratch array may be reused', async (backend) => {
    await tf.setBackend(backend);
    try {
      const first = rgbaBatchToTensor([new Uint8ClampedArray(16).fill(255), new Uint8ClampedArray(16).fill(255)], 2, 'unit');
      const second = rgbaBatchToTensor([new Uint8ClampedArray(16)], 2, 'unit');
      expect(Array.from(await first.data())).toEqual(new Array(24).fill(1));
      expect(Array.from(await second.data())).toEqual(new Array(12).fill(0));
      tf.dispose([first, second]);
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('refuses an image of the wrong size', () => {
    expect(() => rgbaBatchToTensor([new Uint8ClampedArray(8)], 2, 'unit')).toThrow(/expected 2×2/);
  });
});
