/**
 * A small inference graph of the trained classifier, the common source of the
 * TFLite and ONNX writers: the backbone up to its feature layer with batch norm
 * folded into the convolutions (as in foldedBackbone.ts), global average pooling,
 * the head's Dense(relu) → Dense(softmax), and for fine-tuned models the tuned
 * tail's own weights. Tensors are NHWC float32 with batch 1, as TensorFlow.js has
 * them; weights keep TensorFlow.js layouts, each writer converts to its format's.
 *
 * Built from the models' own configs (model.getConfig()), so every model is read
 * with its own wiring: the fine-tuned tail's layers are also wired into the copy
 * they came from, and the first inbound node of a layer is not necessarily its
 * node in the model being converted.
 */
import * as tf from '@tensorflow/tfjs';

export type Activation = 'none' | 'relu' | 'relu6';
export type PaddingMode = 'same' | 'valid';

export interface ConvOp {
  kind: 'conv';
  input: number;
  output: number;
  /** [kh, kw, inChannels, outChannels] (TF.js layout). */
  filter: Float32Array;
  kernel: [number, number];
  inChannels: number;
  outChannels: number;
  bias: Float32Array;
  strides: [number, number];
  padding: PaddingMode;
  activation: Activation;
}

export interface DepthwiseOp {
  kind: 'depthwise';
  input: number;
  output: number;
  /** [kh, kw, inChannels, multiplier] (TF.js layout); output channel c·m + j is filter[.., c, j]. */
  filter: Float32Array;
  kernel: [number, number];
  inChannels: number;
  multiplier: number;
  bias: Float32Array;
  strides: [number, number];
  padding: PaddingMode;
  activation: Activation;
}

export interface AddOp {
  kind: 'add';
  inputs: [number, number];
  output: number;
  activation: Activation;
}

/** Zero padding of height and width: [[top, bottom], [left, right]]. */
export interface PadOp {
  kind: 'pad';
  input: number;
  output: number;
  pads: [[number, number], [number, number]];
}

export interface ActivationOp {
  kind: 'activation';
  input: number;
  output: number;
  activation: Exclude<Activation, 'none'>;
}

/** Per-channel x · scale + shift (a batch norm that follows no convolution). */
export interface AffineOp {
  kind: 'affine';
  input: number;
  output: number;
  scale: Float32Array;
  shift: Float32Array;
  activation: Activation;
}

/** Global average pooling: [1, h, w, c] → [1, c]. */
export interface MeanOp {
  kind: 'mean';
  input: number;
  output: number;
}

export interface DenseOp {
  kind: 'dense';
  input: number;
  output: number;
  /** [in, out] (TF.js layout). */
  weights: Float32Array;
  inUnits: number;
  outUnits: number;
  bias: Float32Array;
  activation: Activation;
}

export interface SoftmaxOp {
  kind: 'softmax';
  input: number;
  output: number;
}

export type GraphOp = ConvOp | DepthwiseOp | AddOp | PadOp | ActivationOp | AffineOp | MeanOp | DenseOp | SoftmaxOp;

export interface Graph {
  /** Shape of each value (tensor) by id; 0 is the input. */
  shapes: number[][];
  ops: GraphOp[];
  input: number;
  output: number;
}

/** Why a model cannot be written as a graph, in words for the user. */
export class UnsupportedModelError extends Error {}

type Config = Record<string, unknown>;
interface LayerEntry {
  name: string;
  className: string;
  /** One entry per node; each node lists [layerName, nodeIndex, tensorIndex, kwargs]. */
  inboundNodes: [string, number, number, unknown][][];
}
interface FunctionalConfig {
  layers: LayerEntry[];
  inputLayers: [string, number, number][];
  outputLayers: [string, number, number][];
}

const pair = (value: unknown): [number, number] => (Array.isArray(value) ? [value[0], value[1]] : [Number(value), Number(value)]);

export function convOutputSize(size: number, kernel: number, stride: number, padding: PaddingMode): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.ceil((size - kernel + 1) / stride);
}

/** TensorFlow's SAME padding of one spatial axis: [before, after] (the odd pixel goes after). */
export function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function activationOf(layer: tf.layers.Layer): Activation | null {
  const config = layer.getConfig() as Config;
  const name = layer.getClassName();
  if (name === 'ReLU') {
    if ((config.negativeSlope ?? 0) !== 0 || (config.threshold ?? 0) !== 0) return null;
    return config.maxValue == null ? 'relu' : config.maxValue === 6 ? 'relu6' : null;
  }
  if (name === 'Activation') {
    const a = config.activation;
    return a === 'relu' || a === 'relu6' ? a : a === 'linear' ? 'none' : null;
  }
  return null;
}

/** A layer's own activation setting (Conv2D(activation: 'relu'), Dense(...)). */
function ownActivation(layer: tf.layers.Layer): Activation | 'softmax' {
  const a = String((layer.getConfig() as Config).activation ?? 'linear');
  if (a === 'linear') return 'none';
  if (a === 'relu' || a === 'relu6' || a === 'softmax') return a;
  throw new UnsupportedModelError(`Layer "${layer.name}" uses the activation "${a}", which the TFLite and ONNX exports do not support.`);
}

async function values(layer: tf.layers.Layer): Promise<Float32Array[]> {
  return Promise.all(layer.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

/** Inference-mode batch norm as per-channel scale and shift. */
async function batchNormAffine(layer: tf.layers.Layer): Promise<{ scale: Float32Array; shift: Float32Array }> {
  const config = layer.getConfig() as Config;
  const axis = config.axis;
  if (axis !== -1 && axis !== 3) throw new UnsupportedModelError(`Batch norm "${layer.name}" normalises axis ${String(axis)}; only the channel axis is supported.`);
  const weights = await values(layer);
  let index = 0;
  const gamma = config.scale === false ? null : weights[index++];
  const beta = config.center === false ? null : weights[index++];
  const [mean, variance] = [weights[index], weights[index + 1]];
  const epsilon = Number(config.epsilon ?? 1e-3);
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    // Computed in float64 and rounded once: the same folding the TF converter does.
    const s = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + epsilon);
    scale[c] = s;
    shift[c] = (beta ? beta[c] : 0) - mean[c] * s;
  }
  return { scale, shift };
}

export class GraphBuilder {
  readonly shapes: number[][] = [];
  readonly ops: GraphOp[] = [];

  constructor(inputShape: number[]) {
    this.shapes.push([1, ...inputShape]);
  }

  private value(shape: number[]): number {
    this.shapes.push(shape);
    return this.shapes.length - 1;
  }

  finish(output: number): Graph {
    return { shapes: this.shapes, ops: this.ops, input: 0, output };
  }

  /** Appends a functional layers model (nested models included) applied to `input`; returns its output value. */
  async appendModel(model: tf.LayersModel, input: number): Promise<number> {
    const config = model.getConfig() as unknown as FunctionalConfig;
    if (config.inputLayers.length !== 1 || config.outputLayers.length !== 1) {
      throw new UnsupportedModelError(`Model "${model.name}" has several inputs or outputs; only single-input, single-output models can be exported.`);
    }
    const key = (name: string, node: number) => `${name}/${node}`;
    const produced = new Map<string, number>([[key(config.inputLayers[0][0], config.inputLayers[0][1]), input]]);
    // How many nodes consume each layer output: batch norm and activations fold only into a sole consumer.
    const consumers = new Map<string, string[]>();
    for (const entry of config.layers) {
      for (const node of entry.inboundNodes) for (const [name, index] of node) consumers.set(key(name, index), [...(consumers.get(key(name, index)) ?? []), entry.name]);
    }
    const outputKey = key(config.outputLayers[0][0], config.outputLayers[0][1]);
    const byName = new Map(config.layers.map((entry) => [entry.name, entry]));
    const absorbed = new Set<string>();
    const soleConsumer = (name: string): LayerEntry | null => {
      const list = consumers.get(key(name, 0)) ?? [];
      return list.length === 1 && key(name, 0) !== outputKey ? byName.get(list[0])! : null;
    };
    for (const entry of config.layers) {
      if (entry.className === 'InputLayer' || absorbed.has(entry.name)) continue;
      if (entry.inboundNodes.length !== 1) throw new UnsupportedModelError(`Layer "${entry.name}" is used more than once; shared layers are not supported by the export.`);
      const inputs = entry.inboundNodes[0].map(([name, index]) => {
        const value = produced.get(key(name, index));
        if (value === undefined) throw new UnsupportedModelError(`Layer "${entry.name}" reads "${name}", which comes later; the model cannot be exported.`);
        return value;
      });
      const layer = model.getLayer(entry.name);
      let output: number;
      let last = entry.name;
      if (entry.className === 'Conv2D' || entry.className === 'DepthwiseConv2D') {
        // Conv → BatchNormalization → ReLU, each the sole consumer of the last: one op.
        let affine: { scale: Float32Array; shift: Float32Array } | null = null;
        let activation = ownActivation(layer);
        if (activation === 'softmax') throw new UnsupportedModelError(`Convolution "${entry.name}" ends in softmax; not supported.`);
        const next = activation === 'none' ? soleConsumer(entry.name) : null;
        if (next && next.className === 'BatchNormalization') {
          affine = await batchNormAffine(model.getLayer(next.name));
          absorbed.add(next.name);
          last = next.name;
        }
        const after = activation === 'none' ? soleConsumer(last) : null;
        const fused = after ? activationOf(model.getLayer(after.name)) : null;
        if (after && fused) {
          activation = fused;
          absorbed.add(after.name);
          last = after.name;
        }
        output = await this.conv(layer, inputs[0], affine, activation);
      } else {
        output = await this.single(entry, layer, inputs);
      }
      produced.set(key(last, 0), output);
      if (last !== entry.name) produced.set(key(entry.name, 0), output);
    }
    const result = produced.get(outputKey);
    if (result === undefined) throw new UnsupportedModelError(`Model "${model.name}" has no output the export could reach.`);
    return result;
  }

  private async conv(layer: tf.layers.Layer, input: number, affine: { scale: Float32Array; shift: Float32Array } | null, activation: Activation): Promise<number> {
    const config = layer.getConfig() as Config;
    const depthwise = layer.getClassName() === 'DepthwiseConv2D';
    if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') throw new UnsupportedModelError(`Convolution "${layer.name}" is channels-first; not supported.`);
    const dilation = pair(config.dilationRate ?? 1);
    if (dilation[0] !== 1 || dilation[1] !== 1) throw new UnsupportedModelError(`Convolution "${layer.name}" is dilated; not supported.`);
    const padding = config.padding as PaddingMode;
    if (padding !== 'same' && padding !== 'valid') throw new UnsupportedModelError(`Convolution "${layer.name}" uses "${String(padding)}" padding; not supported.`);
    const weights = await values(layer);
    const kernelTensor = layer.getWeights()[0];
    const [kh, kw, inChannels, perInput] = kernelTensor.shape;
    const filter = Float32Array.from(weights[0]);
    const outChannels = depthwise ? inChannels * perInput : perInput;
    const bias = config.useBias !== false && weights[1] ? Float32Array.from(weights[1]) : new Float32Array(outChannels);
    if (affine) {
      // Output channel o of a depthwise conv with multiplier m sits at filter[.., o / m, o % m]: i.e. flat index % outChannels == o in both layouts.
      for (let i = 0; i < filter.length; i++) filter[i] *= affine.scale[i % outChannels];
      for (let o = 0; o < outChannels; o++) bias[o] = bias[o] * affine.scale[o] + affine.shift[o];
    }
    const strides = pair(config.strides ?? 1);
    const [, h, w] = this.shapes[input];
    const output = this.value([1, convOutputSize(h, kh, strides[0], padding), convOutputSize(w, kw, strides[1], padding), outChannels]);
    const common = { input, output, filter, kernel: [kh, kw] as [number, number], inChannels, bias, strides, padding, activation };
    this.ops.push(depthwise ? { kind: 'depthwise', ...common, multiplier: perInput } : { kind: 'conv', ...common, outChannels });
    return output;
  }

  private async single(entry: LayerEntry, layer: tf.layers.Layer, inputs: number[]): Promise<number> {
    const config = layer.getConfig() as Config;
    const shape = this.shapes[inputs[0]];
    switch (entry.className) {
      case 'Dropout':
        return inputs[0];
      case 'Functional':
      case 'Model':
        return this.appendModel(layer as unknown as tf.LayersModel, inputs[0]);
      case 'BatchNormalization': {
        const { scale, shift } = await batchNormAffine(layer);
        const output = this.value([...shape]);
        this.ops.push({ kind: 'affine', input: inputs[0], output, scale, shift, activation: 'none' });
        return output;
      }
      case 'ReLU':
      case 'Activation': {
        const activation = activationOf(layer);
        if (entry.className === 'Activation' && config.activation === 'softmax') return this.softmax(inputs[0]);
        if (activation === null) throw new UnsupportedModelError(`Activation layer "${entry.name}" is not supported by the export (only relu, relu6 and softmax are).`);
        if (activation === 'none') return inputs[0];
        const output = this.value([...shape]);
        this.ops.push({ kind: 'activation', input: inputs[0], output, activation });
        return output;
      }
      case 'Add': {
        if (inputs.length !== 2) throw new UnsupportedModelError(`Add layer "${entry.name}" has ${inputs.length} inputs; only 2 are supported.`);
        const output = this.value([...shape]);
        this.ops.push({ kind: 'add', inputs: [inputs[0], inputs[1]], output, activation: 'none' });
        return output;
      }
      case 'ZeroPadding2D': {
        const raw = config.padding as unknown;
        const pads: [[number, number], [number, number]] = Array.isArray(raw)
          ? Array.isArray(raw[0])
            ? [pair(raw[0]), pair(raw[1])]
            : [[raw[0], raw[0]], [raw[1], raw[1]]]
          : [[Number(raw), Number(raw)], [Number(raw), Number(raw)]];
        const output = this.value([1, shape[1] + pads[0][0] + pads[0][1], shape[2] + pads[1][0] + pads[1][1], shape[3]]);
        this.ops.push({ kind: 'pad', input: inputs[0], output, pads });
        return output;
      }
      case 'GlobalAveragePooling2D': {
        if (config.keepDims) throw new UnsupportedModelError(`Pooling layer "${entry.name}" keeps its dimensions; not supported.`);
        const output = this.value([1, shape[3]]);
        this.ops.push({ kind: 'mean', input: inputs[0], output });
        return output;
      }
      case 'Flatten':
      case 'Reshape': {
        // Only as a no-op on [1, C] or [1, 1, 1, C] data (MobileNet V1's top has these).
        const size = shape.slice(1).reduce((a, b) => a * b, 1);
        if (shape.slice(1, -1).some((d) => d !== 1)) throw new UnsupportedModelError(`Layer "${entry.name}" reshapes spatial data; not supported.`);
        const target = (layer.outputShape as number[]).slice(1);
        if (target.reduce((a, b) => a * b, 1) !== size) throw new UnsupportedModelError(`Layer "${entry.name}" has an unexpected shape.`);
        if (target.length !== 1) throw new UnsupportedModelError(`Layer "${entry.name}" reshapes to ${JSON.stringify(target)}; only to a vector is supported.`);
        if (shape.length === 2) return inputs[0];
        throw new UnsupportedModelError(`Layer "${entry.name}" reshapes a 4-d tensor; not supported.`);
      }
      case 'Dense':
        return this.dense(layer, inputs[0]);
      default:
        throw new UnsupportedModelError(`Layer "${entry.name}" (${entry.className}) is not supported by the TFLite and ONNX exports.`);
    }
  }

  async dense(layer: tf.layers.Layer, input: number): Promise<number> {
    const shape = this.shapes[input];
    if (shape.length !== 2) throw new UnsupportedModelError(`Dense layer "${layer.name}" gets a ${shape.length}-d input; only vectors are supported.`);
    const config = layer.getConfig() as Config;
    const weights = await values(layer);
    const [inUnits, outUnits] = layer.getWeights()[0].shape;
    const bias = config.useBias !== false && weights[1] ? Float32Array.from(weights[1]) : new Float32Array(outUnits);
    const activation = ownActivation(layer);
    const output = this.value([1, outUnits]);
    this.ops.push({ kind: 'dense', input, output, weights: Float32Array.from(weights[0]), inUnits, outUnits, bias, activation: activation === 'softmax' ? 'none' : activation });
    return activation === 'softmax' ? this.softmax(output) : output;
  }

  private softmax(input: number): number {
    if (this.shapes[input].length !== 2) throw new UnsupportedModelError('Softmax is only supported on class scores (a vector).');
    const output = this.value([...this.shapes[input]]);
    this.ops.push({ kind: 'softmax', input, output });
    return output;
  }
}

/**
 * Runs a graph with TensorFlow.js ops, as the writers' formats will run it.
 * `observe` sees every value (calibration records activation ranges with it).
 */
export function runGraph(graph: Graph, input: tf.Tensor4D, observe?: (value: number, tensor: tf.Tensor) => void): tf.Tensor {
  return tf.tidy(() => {
    const values = new Map<number, tf.Tensor>([[graph.input, input]]);
    observe?.(graph.input, input);
    const act = (x: tf.Tensor, a: Activation) => (a === 'relu' ? tf.relu(x) : a === 'relu6' ? tf.relu6(x) : x);
    for (const op of graph.ops) {
      let y: tf.Tensor;
      switch (op.kind) {
        case 'conv': {
          const filter = tf.tensor4d(op.filter, [...op.kernel, op.inChannels, op.outChannels]);
          y = tf.fused.conv2d({ x: values.get(op.input) as tf.Tensor4D, filter, strides: op.strides, pad: op.padding, bias: tf.tensor1d(op.bias), activation: op.activation === 'none' ? 'linear' : op.activation });
          break;
        }
        case 'depthwise': {
          const filter = tf.tensor4d(op.filter, [...op.kernel, op.inChannels, op.multiplier]);
          y = tf.fused.depthwiseConv2d({ x: values.get(op.input) as tf.Tensor4D, filter, strides: op.strides, pad: op.padding, bias: tf.tensor1d(op.bias), activation: op.activation === 'none' ? 'linear' : op.activation });
          break;
        }
        case 'add':
          y = act(tf.add(values.get(op.inputs[0])!, values.get(op.inputs[1])!), op.activation);
          break;
        case 'pad':
          y = tf.pad(values.get(op.input)!, [[0, 0], op.pads[0], op.pads[1], [0, 0]]);
          break;
        case 'activation':
          y = act(values.get(op.input)!, op.activation);
          break;
        case 'affine':
          y = act(tf.add(tf.mul(values.get(op.input)!, tf.tensor1d(op.scale)), tf.tensor1d(op.shift)), op.activation);
          break;
        case 'mean':
          y = tf.mean(values.get(op.input)!, [1, 2]);
          break;
        case 'dense':
          y = act(tf.add(tf.matMul(values.get(op.input) as tf.Tensor2D, tf.tensor2d(op.weights, [op.inUnits, op.outUnits])), tf.tensor1d(op.bias)), op.activation);
          break;
        case 'softmax':
          y = tf.softmax(values.get(op.input)!);
          break;
      }
      values.set(op.output, y);
      observe?.(op.output, y);
    }
    return values.get(graph.output)!;
  });
}
