/**
 * Post-training 8-bit quantization parameters, as the TFLite converter makes them:
 * activations int8 asymmetric per tensor from ranges seen on representative
 * images; weights int8 symmetric (zero point 0), per output channel for
 * convolutions; biases int32 at input scale × weight scale.
 */
import * as tf from '@tensorflow/tfjs';
import { runGraph, type Graph } from './graph';

export interface Range {
  min: number;
  max: number;
}

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/**
 * Min and max of every graph value over the calibration batches (each [n, s, s, 3],
 * preprocessed). Batches are run one at a time so memory stays at one batch.
 */
export async function calibrate(graph: Graph, batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>, onBatch?: () => void | Promise<void>): Promise<Range[]> {
  const ranges: Range[] = graph.shapes.map(() => ({ min: Infinity, max: -Infinity }));
  for await (const batch of batches) {
    const found: { value: number; minMax: tf.Tensor }[] = [];
    try {
      // TF.js ops take any batch size, so a whole batch runs at once (the written graph is batch 1).
      const out = runGraph(graph, batch, (value, tensor) => found.push({ value, minMax: tf.keep(tf.stack([tf.min(tensor), tf.max(tensor)])) }));
      out.dispose();
      const all = await Promise.all(found.map((f) => f.minMax.data()));
      found.forEach(({ value }, i) => {
        ranges[value].min = Math.min(ranges[value].min, all[i][0]);
        ranges[value].max = Math.max(ranges[value].max, all[i][1]);
      });
    } finally {
      tf.dispose(found.map((f) => f.minMax));
    }
    await onBatch?.();
  }
  return ranges;
}

/** int8 asymmetric parameters covering `range` (and 0, so zero padding is exact). */
export function int8Params({ min, max }: Range): QuantParams {
  let lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error('A value was never seen during calibration.');
  if (hi - lo < 1e-6) hi = lo + 1e-6;
  const scale = (hi - lo) / 255;
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  return { scale, zeroPoint };
}

/** Symmetric int8 of `values` in groups: group(i) says which scale entry value i uses. */
export function symmetricInt8(values: Float32Array, groups: number, group: (i: number) => number): { data: Int8Array; scales: Float32Array } {
  const maxAbs = new Float64Array(groups);
  for (let i = 0; i < values.length; i++) maxAbs[group(i)] = Math.max(maxAbs[group(i)], Math.abs(values[i]));
  // An all-zero channel gets a tiny scale: every weight is 0 either way, and the bias scale stays non-zero.
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1e-8));
  const data = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = Math.max(-127, Math.min(127, Math.round(values[i] / scales[group(i)])));
  return { data, scales };
}

/** int32 biases at scale inputScale × weightScale[c] (zero point 0), as TFLite's int8 kernels require. */
export function int32Bias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { data: Int32Array; scales: Float32Array } {
  const scales = Float32Array.from(bias, (_, c) => inputScale * weightScales[weightScales.length === 1 ? 0 : c]);
  const limit = 2 ** 31 - 1;
  const data = Int32Array.from(bias, (b, c) => Math.max(-limit, Math.min(limit, Math.round(b / scales[c]))));
  return { data, scales };
}
