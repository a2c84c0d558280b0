/**
 * Post-training 8-bit quantization parameters, as the TFLite converter makes them:
 * activations int8 asymmetric per tensor from ranges seen on representative
 * images; weights int8 symmetric (zero point 0), per output channel for
 * convolutions; biases int32 at input scale × weight scale, corrected for the mean
 * error the int8 weights add on the calibration images (bias correction).
 */
import * as tf from '@tensorflow/tfjs';
import { runGraph, type ConvOp, type DenseOp, type DepthwiseOp, type Graph } from './graph';

export interface Range {
  min: number;
  max: number;
}

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

export interface Calibration {
  /** Per graph value, the range seen on the calibration images. */
  ranges: Range[];
  /**
   * Per convolution or dense op (keyed by its output value), the mean per output channel of
   * what its int8 weights lose, (W − W_int8)·x over the calibration images: the writer adds
   * it to the bias ("bias correction"). MobileNet's batch-norm folding leaves channels whose
   * large weights nearly cancel their bias, and there weight rounding shifts the whole channel.
   */
  biasCorrection: Map<number, Float32Array>;
}

type WeightedOp = ConvOp | DepthwiseOp | DenseOp;

/** Output channels of a weighted op. */
export function outChannels(op: WeightedOp): number {
  return op.kind === 'conv' ? op.outChannels : op.kind === 'depthwise' ? op.inChannels * op.multiplier : op.outUnits;
}

/**
 * int8 weights of an op in its TF.js layout, as the TFLite writer stores them: symmetric, per
 * output channel for convolutions (in every TF.js layout here the output channel is the fastest
 * axis: flat index modulo the channel count), per tensor for dense layers.
 */
export function quantizedWeights(op: WeightedOp): { data: Int8Array; scales: Float32Array } {
  if (op.kind === 'dense') return symmetricInt8(op.weights, 1, () => 0);
  const channels = outChannels(op);
  return symmetricInt8(op.filter, channels, (i) => i % channels);
}

/** weights − dequantized int8 weights, in the op's TF.js layout. */
function weightError(op: WeightedOp): Float32Array {
  const values = op.kind === 'dense' ? op.weights : op.filter;
  const { data, scales } = quantizedWeights(op);
  return Float32Array.from(values, (w, i) => w - data[i] * scales[scales.length === 1 ? 0 : i % scales.length]);
}

/** Per output channel, the mean over batch and positions of the op's output for weights `delta` and no bias. */
function meanOutputOf(op: WeightedOp, input: tf.Tensor, delta: tf.Tensor): tf.Tensor1D {
  switch (op.kind) {
    case 'conv':
      return tf.mean(tf.conv2d(input as tf.Tensor4D, delta as tf.Tensor4D, op.strides, op.padding), [0, 1, 2]);
    case 'depthwise':
      return tf.mean(tf.depthwiseConv2d(input as tf.Tensor4D, delta as tf.Tensor4D, op.strides, op.padding), [0, 1, 2]);
    case 'dense':
      return tf.mean(tf.matMul(input as tf.Tensor2D, delta as tf.Tensor2D), 0);
  }
}

/**
 * Runs the calibration batches (each [n, s, s, 3], preprocessed) through the float graph:
 * min and max of every value, and the mean error of each op's int8 weights on its float input
 * (see Calibration). Batches are run one at a time so memory stays at one batch.
 */
export async function calibrate(graph: Graph, batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>, onBatch?: () => void | Promise<void>): Promise<Calibration> {
  const ranges: Range[] = graph.shapes.map(() => ({ min: Infinity, max: -Infinity }));
  const producer = new Map(graph.ops.map((op) => [op.output, op]));
  const deltas = new Map<number, tf.Tensor>();
  for (const op of graph.ops) {
    if (op.kind !== 'conv' && op.kind !== 'depthwise' && op.kind !== 'dense') continue;
    const shape = op.kind === 'dense' ? [op.inUnits, op.outUnits] : op.kind === 'conv' ? [...op.kernel, op.inChannels, op.outChannels] : [...op.kernel, op.inChannels, op.multiplier];
    deltas.set(op.output, tf.tensor(weightError(op), shape));
  }
  const sums = new Map<number, Float64Array>();
  let count = 0;
  try {
    for await (const batch of batches) {
      const found: { value: number; minMax: tf.Tensor; shift: tf.Tensor | null }[] = [];
      const seen = new Map<number, tf.Tensor>();
      try {
        // TF.js ops take any batch size, so a whole batch runs at once (the written graph is batch 1).
        const out = runGraph(graph, batch, (value, tensor) => {
          seen.set(value, tensor);
          const op = producer.get(value);
          const delta = deltas.get(value);
          const shift = op && delta && (op.kind === 'conv' || op.kind === 'depthwise' || op.kind === 'dense') ? tf.tidy(() => meanOutputOf(op, seen.get(op.input)!, delta)) : null;
          found.push({ value, minMax: tf.keep(tf.tidy(() => tf.stack([tf.min(tensor), tf.max(tensor)]))), shift: shift && tf.keep(shift) });
        });
        out.dispose();
        const all = await Promise.all(found.map((f) => f.minMax.data()));
        const shifts = await Promise.all(found.map((f) => f.shift?.data()));
        const n = batch.shape[0];
        found.forEach(({ value }, i) => {
          ranges[value].min = Math.min(ranges[value].min, all[i][0]);
          ranges[value].max = Math.max(ranges[value].max, all[i][1]);
          const shift = shifts[i];
          if (shift) {
            const sum = sums.get(value) ?? new Float64Array(shift.length);
            for (let c = 0; c < shift.length; c++) sum[c] += shift[c] * n;
            sums.set(value, sum);
          }
        });
        count += n;
      } finally {
        tf.dispose(found.flatMap((f) => (f.shift ? [f.minMax, f.shift] : [f.minMax])));
      }
      await onBatch?.();
    }
  } finally {
    tf.dispose([...deltas.values()]);
  }
  const biasCorrection = new Map([...sums].map(([value, sum]) => [value, Float32Array.from(sum, (s) => s / Math.max(count, 1))]));
  return { ranges, biasCorrection };
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

/** Per channel of every 4-d graph value (or 2-d), the min and max over the calibration batches. */
export async function channelRanges(graph: Graph, batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>, onBatch?: () => void | Promise<void>): Promise<{ min: Float32Array; max: Float32Array }[]> {
  const result = graph.shapes.map((shape) => ({ min: new Float32Array(shape[shape.length - 1]).fill(Infinity), max: new Float32Array(shape[shape.length - 1]).fill(-Infinity) }));
  for await (const batch of batches) {
    const found: { value: number; minMax: tf.Tensor }[] = [];
    try {
      const out = runGraph(graph, batch, (value, tensor) => {
        const axes = tensor.shape.slice(0, -1).map((_, i) => i);
        found.push({ value, minMax: tf.keep(tf.tidy(() => tf.stack([tf.min(tensor, axes), tf.max(tensor, axes)]))) });
      });
      out.dispose();
      const all = await Promise.all(found.map((f) => f.minMax.data()));
      found.forEach(({ value }, i) => {
        const { min, max } = result[value];
        for (let c = 0; c < min.length; c++) {
          min[c] = Math.min(min[c], all[i][c]);
          max[c] = Math.max(max[c], all[i][min.length + c]);
        }
      });
    } finally {
      tf.dispose(found.map((f) => f.minMax));
    }
    await onBatch?.();
  }
  return result;
}

/**
 * Range equalization: where a convolution's output goes, alone (or through a zero padding), into
 * one other convolution, channel c is multiplied by s_c ≥ 1 in the producer and its weights in the
 * consumer are divided by s_c, so that every channel spans about the same range and the tensor's one
 * int8 scale resolves the small channels too. The float function is unchanged, except that a ReLU6
 * channel scaled by s_c clips at 6 / s_c of its old values (s_c is chosen so that no calibration
 * value does). Returns a new graph; ops not involved are shared with the old one.
 */
export function equalizeRanges(graph: Graph, ranges: { min: Float32Array; max: Float32Array }[], maxScale = 16): Graph {
  const readers = new Map<number, number[]>();
  graph.ops.forEach((op, k) => {
    const inputs = op.kind === 'add' ? op.inputs : [op.input];
    for (const v of inputs) readers.set(v, [...(readers.get(v) ?? []), k]);
  });
  const ops = [...graph.ops];
  ops.forEach((producer, p) => {
    if (producer.kind !== 'conv' && producer.kind !== 'depthwise') return;
    let value = producer.output;
    let next = readers.get(value) ?? [];
    if (value === graph.output || next.length !== 1) return;
    if (ops[next[0]].kind === 'pad') {
      value = ops[next[0]].output;
      next = readers.get(value) ?? [];
      if (value === graph.output || next.length !== 1) return;
    }
    const q = next[0];
    const consumer = ops[q];
    if (consumer.kind !== 'conv' && consumer.kind !== 'depthwise') return;
    if (consumer.kind === 'depthwise' && consumer.multiplier !== 1) return;
    const { min, max } = ranges[producer.output];
    const channels = min.length;
    const reach = Float64Array.from(min, (lo, c) => Math.max(Math.abs(lo), Math.abs(max[c]), 1e-6));
    const target = producer.activation === 'relu6' ? 6 : Math.max(...reach);
    const scale = Float32Array.from(reach, (r) => Math.max(1, Math.min(maxScale, target / r)));
    const current = ops[p] as typeof producer;
    const filter = Float32Array.from(current.filter, (w, i) => w * scale[i % channels]);
    const bias = Float32Array.from(current.bias, (b, c) => b * scale[c]);
    ops[p] = { ...current, filter, bias };
    // The consumer's input channel c: axis 2 of [kh, kw, in, out] (conv) or [kh, kw, in, 1] (depthwise).
    const perInput = consumer.kind === 'conv' ? consumer.outChannels : 1;
    ops[q] = { ...consumer, filter: Float32Array.from(consumer.filter, (w, i) => w / scale[Math.floor(i / perInput) % channels]) };
  });
  return { ...graph, ops };
}
