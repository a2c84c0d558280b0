import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from './random';
import { neutralValue, occlusionGrid, occlusionSaliency, regionName, type Classifier } from './saliency';
import { rgbaBatchToTensor } from './preprocess';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SIZE = 16;

/**
 * A hand-built layers model whose answer is known: it crops the top-left 8×8
 * quadrant, averages its red channel, and scores class 1 by 6 × that mean
 * (class 0 by 0). Nothing outside the quadrant can change its output.
 */
function topLeftRedModel(): tf.LayersModel {
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  const quadrant = tf.layers.cropping2D({ cropping: [[0, SIZE / 2], [0, SIZE / 2]] }).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(quadrant) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: 2, activation: 'softmax' });
  const output = dense.apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  dense.setWeights([tf.tensor2d([[0, 6], [0, 0], [0, 0]]), tf.zeros([2])]);
  return model;
}

/** Noise in [-0.5, 0.5] everywhere, with a strongly red top-left quadrant. */
function redQuadrantImage(seed = 11): tf.Tensor3D {
  const random = createRng(seed);
  const values = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      for (let c = 0; c < 3; c++) {
        const red = c === 0 && y < SIZE / 2 && x < SIZE / 2;
        values[(y * SIZE + x) * 3 + c] = red ? 0.9 : random() - 0.5;
      }
    }
  }
  return tf.tensor3d(values, [SIZE, SIZE, 3]);
}

/** Share of the heat in the top-left `cells` × `cells` block of the grid (default: half the grid). */
function topLeftShare(map: { heat: number[]; rows: number; cols: number }, cells = map.rows / 2): number {
  let inside = 0;
  let all = 0;
  map.heat.forEach((h, i) => {
    const row = Math.floor(i / map.cols);
    const col = i % map.cols;
    all += h;
    if (row < cells && col < cells) inside += h;
  });
  return all > 0 ? inside / all : 0;
}

describe('occlusionSaliency', () => {
  const model = topLeftRedModel();
  const classify: Classifier = (images) => model.predict(images) as tf.Tensor;
  const image = redQuadrantImage();
  afterAll(() => {
    model.dispose();
    image.dispose();
  });

  it('puts all the heat in the quadrant that decides the class (non-overlapping patches)', async () => {
    const map = (await occlusionSaliency(classify, image, { stride: 4, patchSize: 4 }))!;
    expect(map.targetClass).toBe(1);
    expect([map.rows, map.cols]).toEqual([4, 4]);
    map.drops.forEach((drop, i) => {
      const inQuadrant = Math.floor(i / 4) < 2 && i % 4 < 2;
      if (inQuadrant) expect(drop).toBeGreaterThan(0.01);
      else expect(drop).toBeCloseTo(0, 6);
    });
    expect(topLeftShare(map)).toBe(1);
    expect(map.hottest.row).toBeLessThan(2);
    expect(map.hottest.col).toBeLessThan(2);
    expect(regionName(map.hottest.row, map.hottest.col, map.rows, map.cols)).toBe('top left');
  });

  it('with the default overlapping patches, most of the heat is still in that quadrant', async () => {
    const map = (await occlusionSaliency(classify, image, { stride: 2 }))!;
    expect([map.rows, map.cols, map.patchSize]).toEqual([8, 8, 4]);
    expect(topLeftShare(map)).toBeGreaterThan(0.9);
    // The bottom-right quadrant's cells are out of every patch's reach of the top-left one.
    for (let r = 5; r < 8; r++) for (let c = 5; c < 8; c++) expect(map.heat[r * 8 + c]).toBe(0);
  });

  it('returns a grid of drops, heat normalised to 0..1 and the raw maximum drop', async () => {
    const map = (await occlusionSaliency(classify, image))!;
    // Default: a 7×7 grid whatever the input size, patches twice the cell.
    expect([map.rows, map.cols, map.stride, map.patchSize, map.height, map.width]).toEqual([6, 6, 3, 6, 16, 16]);
    expect(map.drops).toHaveLength(36);
    expect(map.heat).toHaveLength(36);
    expect(map.evaluations).toBe(37);
    expect(Math.min(...map.heat)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...map.heat)).toBe(1);
    expect(map.maxDrop).toBeCloseTo(Math.max(...map.drops), 6);
    expect(map.maxDrop).toBeGreaterThan(0);
    expect(map.maxDrop).toBeLessThanOrEqual(1);
    expect(map.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const expected = tf.tidy(() => (model.predict(image.expandDims(0)) as tf.Tensor).dataSync());
    expect(map.probabilities[1]).toBeCloseTo(expected[1], 5);
  });

  it('explains another class: covering the quadrant raises class 0, so drops are negative and there is no heat', async () => {
    const map = (await occlusionSaliency(classify, image, { targetClass: 0, stride: 4, patchSize: 4 }))!;
    expect(map.targetClass).toBe(0);
    expect(Math.min(...map.drops)).toBeLessThan(-0.01);
    expect(map.maxDrop).toBe(0);
    expect(map.heat.every((h) => h === 0)).toBe(true);
  });

  it('gives the same map whatever the batch size, in 1 + ceil(cells / batch) classifier calls', async () => {
    const maps: number[][] = [];
    for (const batchSize of [1, 3, 16, 100]) {
      let calls = 0;
      const counting: Classifier = (images) => {
        calls++;
        return classify(images);
      };
      const map = (await occlusionSaliency(counting, image, { stride: 4, batchSize }))!;
      expect(calls).toBe(1 + Math.ceil(16 / batchSize));
      maps.push(map.drops);
    }
    for (const drops of maps.slice(1)) drops.forEach((d, i) => expect(d).toBeCloseTo(maps[0][i], 5));
  });

  it('paints exactly the patch with the fill value and leaves the rest of the image as it was', async () => {
    const seen: Float32Array[] = [];
    const recording: Classifier = (images) => {
      seen.push(images.dataSync() as Float32Array);
      return classify(images);
    };
    await occlusionSaliency(recording, image, { stride: 8, patchSize: 6, batchSize: 4, fill: 0.25 });
    const original = image.dataSync();
    // Call 0 is the untouched image; call 1 holds the 4 occluded copies. Copy 3 is cell (1, 1): centre (12, 12), patch [9, 15).
    expect(Array.from(seen[0])).toEqual(Array.from(original));
    const copy = seen[1].subarray(3 * SIZE * SIZE * 3, 4 * SIZE * SIZE * 3);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const covered = y >= 9 && y < 15 && x >= 9 && x < 15;
        const o = (y * SIZE + x) * 3;
        expect(copy[o]).toBe(covered ? 0.25 : original[o]);
      }
    }
  });

  it('reports progress, yields between batches and stops when asked, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const progress: [number, number][] = [];
    let yields = 0;
    const full = await occlusionSaliency(classify, image, {
      stride: 4,
      batchSize: 5,
      onProgress: (done, total) => progress.push([done, total]),
      yieldBetweenBatches: async () => void yields++,
    });
    expect(full).not.toBeNull();
    expect(progress).toEqual([[0, 16], [5, 16], [10, 16], [15, 16], [16, 16]]);
    expect(yields).toBe(3);

    let checks = 0;
    const stopped = await occlusionSaliency(classify, image, { stride: 4, batchSize: 5, shouldStop: () => ++checks > 2 });
    expect(stopped).toBeNull();
    expect(checks).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks nothing on success, on a 4-d input, or when the classifier throws', async () => {
    const before = tf.memory().numTensors;
    await occlusionSaliency(classify, image, { batchSize: 7 });
    const batch = image.expandDims(0) as tf.Tensor4D;
    const fromBatch = (await occlusionSaliency(classify, batch, { stride: 4 }))!;
    expect(fromBatch.rows).toBe(4);
    batch.dispose();
    let calls = 0;
    const failing: Classifier = (images) => {
      if (++calls === 3) throw new Error('boom');
      return classify(images);
    };
    await expect(occlusionSaliency(failing, image, { stride: 4, batchSize: 4 })).rejects.toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    expect(image.isDisposed).toBe(false);
  });

  it('refuses a class that does not exist and a batch of several images', async () => {
    const before = tf.memory().numTensors;
    await expect(occlusionSaliency(classify, image, { targetClass: 2 })).rejects.toThrow(/Class 2 does not exist: the classifier has 2 classes/);
    const two = tf.stack([image, image]) as tf.Tensor4D;
    await expect(occlusionSaliency(classify, two)).rejects.toThrow(/one image at a time/);
    two.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('works on a real-size input through the app preprocessing (mid-grey patches)', async () => {
    // 224 px, the default 7×7 grid; class 1 is "the top-left quadrant is red".
    const size = 224;
    const rgba = new Uint8ClampedArray(size * size * 4);
    const random = createRng(3);
    for (let p = 0; p < size * size; p++) {
      const redHere = Math.floor(p / size) < 112 && p % size < 112;
      rgba[p * 4] = redHere ? 230 : random() * 255;
      rgba[p * 4 + 1] = random() * 255;
      rgba[p * 4 + 2] = random() * 255;
      rgba[p * 4 + 3] = 255;
    }
    const input = rgbaBatchToTensor([rgba], size, 'teachable-machine');
    const bigClassify: Classifier = (images) =>
      tf.tidy(() => {
        const red = images.slice([0, 0, 0, 0], [-1, 112, 112, 1]).mean([1, 2, 3]);
        return tf.softmax(tf.stack([tf.zerosLike(red), red.mul(6)], 1));
      });
    const map = (await occlusionSaliency(bigClassify, input, { fill: neutralValue('teachable-machine') }))!;
    input.dispose();
    expect([map.rows, map.cols, map.stride, map.patchSize]).toEqual([7, 7, 32, 64]);
    // The quadrant is cells 0–3.5 of 7; patches reach half a cell beyond their own.
    expect(topLeftShare(map, 4)).toBeGreaterThan(0.9);
    expect(regionName(map.hottest.row, map.hottest.col, 7, 7)).toBe('top left');
  });
});

describe('occlusion helpers', () => {
  it('uses mid-grey in the model range as the neutral value', () => {
    expect(neutralValue('teachable-machine')).toBe(0);
    expect(neutralValue('unit')).toBeCloseTo(0.498, 3);
  });

  it('lays out cells that cover the image, with patches centred on them and clipped at the border', () => {
    const grid = occlusionGrid(224, 224, 32, 64);
    expect([grid.rows, grid.cols, grid.patches.length]).toEqual([7, 7, 49]);
    expect(grid.patches[0]).toEqual({ y0: 0, y1: 48, x0: 0, x1: 48 });
    expect(grid.patches[8]).toEqual({ y0: 16, y1: 80, x0: 16, x1: 80 });
    expect(grid.patches[48]).toEqual({ y0: 176, y1: 224, x0: 176, x1: 224 });
    // 10 px in cells of 4: the last cell is 2 px wide and its patch is centred on those 2 px.
    const uneven = occlusionGrid(10, 10, 4, 4);
    expect([uneven.rows, uneven.cols]).toEqual([3, 3]);
    expect(uneven.patches[8]).toEqual({ y0: 7, y1: 10, x0: 7, x1: 10 });
    expect(() => occlusionGrid(10, 10, 0, 4)).toThrow(/at least 1 pixel/);
  });

  it('names regions by thirds', () => {
    expect(regionName(0, 0, 7, 7)).toBe('top left');
    expect(regionName(3, 3, 7, 7)).toBe('centre');
    expect(regionName(6, 3, 7, 7)).toBe('bottom centre');
    expect(regionName(2, 6, 7, 7)).toBe('middle right');
  });
});
