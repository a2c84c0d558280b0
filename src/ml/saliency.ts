/**
 * Occlusion sensitivity ("why this class?"): cover one part of the image at a
 * time with a neutral grey patch and measure how much the target class's
 * probability falls. Parts whose covering lowers it most are the parts the
 * classifier relied on.
 *
 * The image is divided into a grid of square cells (`stride` pixels, the last
 * row/column may be smaller). For each cell a `patchSize` patch centred on the
 * cell (clipped at the image border) is painted with the fill value; with a
 * patch larger than the cell, neighbouring patches overlap and the map is less
 * blocky. Occluded copies are classified in batches.
 */
import * as tf from '@tensorflow/tfjs';
import type { PixelScaling } from './backbones';
import { scaleFunction } from './preprocess';

/** Images [n, s, s, 3] in the model's input range → class probabilities [n, classes]. Runs inside tf.tidy. */
export type Classifier = (images: tf.Tensor4D) => tf.Tensor;

/** Cells per side when the caller does not set a stride: 7×7 at any input size (32 px cells at 224). */
export const DEFAULT_GRID = 7;
/** Occluded copies per classifier call. */
export const DEFAULT_BATCH = 8;
/** The 0..255 value of the grey patch: 127 becomes exactly 0 after Teachable Machine's x / 127 − 1. */
export const NEUTRAL_GREY = 127;

/** The model-range value of mid-grey for a backbone's pixel scaling (0 for x / 127 − 1, ≈0.5 for x / 255). */
export function neutralValue(scaling: PixelScaling): number {
  return scaleFunction(scaling)(NEUTRAL_GREY);
}

export interface OcclusionOptions {
  /** Class index to explain; default: the class the untouched image is predicted as. */
  targetClass?: number;
  /** Cell size (and step between patches) in pixels; default ceil(size / DEFAULT_GRID). */
  stride?: number;
  /** Side of the grey patch in pixels; default 2 × stride (overlapping, centred on the cell). */
  patchSize?: number;
  /** Occluded copies per classifier call; default DEFAULT_BATCH. */
  batchSize?: number;
  /** Model-range value the patch is painted with; default 0 (mid-grey after x / 127 − 1). */
  fill?: number;
  /** Called after the untouched image (done 0) and after every batch, with cells done and the cell count. */
  onProgress?: (done: number, total: number) => void;
  /** Checked before every batch; returning true stops the run (the result is then null). */
  shouldStop?: () => boolean;
  /** Awaited between batches, e.g. to let a cancel message in. */
  yieldBetweenBatches?: () => Promise<void>;
}

export interface OcclusionMap {
  rows: number;
  cols: number;
  /** Cell side in input pixels (the last row/column may be cut by the border). */
  stride: number;
  patchSize: number;
  /** Input height and width in pixels. */
  height: number;
  width: number;
  targetClass: number;
  /** Class probabilities of the untouched image. */
  probabilities: number[];
  /** Row-major, rows × cols: target probability untouched minus with that cell covered (negative: covering raised it). */
  drops: number[];
  /** Row-major: positive drops divided by maxDrop, 0..1; all 0 when no cell lowered the probability. */
  heat: number[];
  /** The largest drop (probability, 0..1); 0 when covering never lowered the probability. */
  maxDrop: number;
  /** Cell with the largest drop. */
  hottest: { row: number; col: number };
  /** Occluded images classified (rows × cols) plus the untouched one. */
  evaluations: number;
}

interface Rect {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** Grid size and the patch rectangle (clipped, end-exclusive) for every cell, row-major. */
export function occlusionGrid(height: number, width: number, stride: number, patchSize: number): { rows: number; cols: number; patches: Rect[] } {
  if (!(stride >= 1) || !(patchSize >= 1)) throw new Error(`Stride and patch size must be at least 1 pixel (got ${stride} and ${patchSize})`);
  const rows = Math.ceil(height / stride);
  const cols = Math.ceil(width / stride);
  const span = (cell: number, limit: number) => {
    const start = cell * stride;
    const centre = start + Math.min(stride, limit - start) / 2;
    const from = Math.round(centre - patchSize / 2);
    return [Math.max(0, from), Math.min(limit, from + patchSize)];
  };
  const patches: Rect[] = [];
  for (let r = 0; r < rows; r++) {
    const [y0, y1] = span(r, height);
    for (let c = 0; c < cols; c++) {
      const [x0, x1] = span(c, width);
      patches.push({ y0, y1, x0, x1 });
    }
  }
  return { rows, cols, patches };
}

/**
 * Occlusion sensitivity of `classify` for one image ([s, s, 3] or [1, s, s, 3],
 * in the model's input range). Returns null when `shouldStop` stopped it. The
 * image tensor is not disposed; nothing else is left allocated.
 */
export async function occlusionSaliency(classify: Classifier, image: tf.Tensor3D | tf.Tensor4D, options: OcclusionOptions = {}): Promise<OcclusionMap | null> {
  const shape = image.rank === 4 ? image.shape.slice(1) : image.shape;
  if (image.rank === 4 && image.shape[0] !== 1) throw new Error(`Explain one image at a time (got a batch of ${image.shape[0]})`);
  const [height, width, channels] = shape;
  if (channels !== 3) throw new Error(`Expected an RGB image [h, w, 3]; got [${shape.join(', ')}]`);
  const stride = options.stride ?? Math.ceil(Math.max(height, width) / DEFAULT_GRID);
  const patchSize = options.patchSize ?? 2 * stride;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH));
  const fill = options.fill ?? 0;
  const { rows, cols, patches } = occlusionGrid(height, width, stride, patchSize);
  const total = patches.length;

  const base = tf.tidy(() => image.reshape([1, height, width, 3]) as tf.Tensor4D);
  try {
    const untouched = tf.tidy(() => classify(base));
    const probabilities = Array.from(await untouched.data());
    untouched.dispose();
    const targetClass = options.targetClass ?? argMax(probabilities);
    if (!Number.isInteger(targetClass) || targetClass < 0 || targetClass >= probabilities.length) {
      throw new Error(`Class ${targetClass} does not exist: the classifier has ${probabilities.length} classes`);
    }
    const baseProbability = probabilities[targetClass];
    options.onProgress?.(0, total);

    const drops = new Array<number>(total);
    const plane = height * width;
    for (let start = 0; start < total; start += batchSize) {
      if (options.shouldStop?.()) return null;
      const count = Math.min(batchSize, total - start);
      // 1 where the patch covers the pixel; one plane per occluded copy.
      const mask = new Float32Array(count * plane);
      for (let i = 0; i < count; i++) {
        const { y0, y1, x0, x1 } = patches[start + i];
        for (let y = y0; y < y1; y++) mask.fill(1, i * plane + y * width + x0, i * plane + y * width + x1);
      }
      const target = tf.tidy(() => {
        const covered = tf.tensor4d(mask, [count, height, width, 1]);
        const occluded = base.mul(tf.scalar(1).sub(covered)).add(covered.mul(fill)) as tf.Tensor4D;
        const output = classify(occluded);
        if (output.rank !== 2 || output.shape[0] !== count) throw new Error(`The classifier returned shape [${output.shape.join(', ')}] for ${count} images`);
        return output.slice([0, targetClass], [count, 1]).reshape([count]);
      });
      const values = await target.data();
      target.dispose();
      for (let i = 0; i < count; i++) drops[start + i] = baseProbability - values[i];
      options.onProgress?.(start + count, total);
      if (start + count < total) await options.yieldBetweenBatches?.();
    }

    const hottestIndex = argMax(drops);
    const maxDrop = Math.max(0, drops[hottestIndex]);
    return {
      rows,
      cols,
      stride,
      patchSize,
      height,
      width,
      targetClass,
      probabilities,
      drops,
      heat: drops.map((d) => (maxDrop > 0 ? Math.max(0, d) / maxDrop : 0)),
      maxDrop,
      hottest: { row: Math.floor(hottestIndex / cols), col: hottestIndex % cols },
      evaluations: total + 1,
    };
  } finally {
    base.dispose();
  }
}

function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Where a cell lies in the image, in words: "top left", "middle right", "centre", … (thirds of each side). */
export function regionName(row: number, col: number, rows: number, cols: number): string {
  const third = (index: number, count: number) => Math.min(2, Math.floor((3 * (index + 0.5)) / count));
  const vertical = ['top', 'middle', 'bottom'][third(row, rows)];
  const horizontal = ['left', 'centre', 'right'][third(col, cols)];
  if (vertical === 'middle' && horizontal === 'centre') return 'centre';
  return `${vertical} ${horizontal}`;
}

