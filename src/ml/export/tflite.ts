/**
 * Writes a Graph as a TFLite (LiteRT) flatbuffer: float32, or 8-bit post-training
 * quantized. The file layout follows what the TFLite converter writes for a Keras
 * MobileNet classifier (model_unquant.tflite / model.tflite of Teachable Machine):
 * input [1, s, s, 3], output [1, classes].
 */
import * as flatbuffers from 'flatbuffers';
import * as fb from './tflite/generated/tflite_subset_generated';
import type { Activation, Graph, GraphOp } from './graph';
import { int32Bias, int8Params, quantizedWeights, type QuantParams, type Range } from './quantize';

export interface TfliteQuantization {
  /** Per graph value, the range seen on the calibration images (see calibrate). */
  ranges: Range[];
  /** Per weighted op's output value, what to add to its bias for the int8 weights' mean error (see calibrate). */
  biasCorrection?: Map<number, Float32Array>;
  /** How uint8 input pixels map to the graph's input: real = scale · (q − zeroPoint). */
  input: QuantParams;
}

interface TensorSpec {
  shape: number[];
  type: fb.TensorType;
  name: string;
  data?: Uint8Array;
  quant?: { scale: ArrayLike<number>; zeroPoint: ArrayLike<number>; dimension?: number };
}

interface OpSpec {
  code: fb.BuiltinOperator;
  version: number;
  inputs: number[];
  outputs: number[];
  options?: { type: fb.BuiltinOptions; write: (b: flatbuffers.Builder) => flatbuffers.Offset };
}

const bytesOf = (a: Float32Array | Int32Array | Int8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const ACTIVATION: Record<Activation, fb.ActivationFunctionType> = {
  none: fb.ActivationFunctionType.NONE,
  relu: fb.ActivationFunctionType.RELU,
  relu6: fb.ActivationFunctionType.RELU6,
};

/** TF.js conv filter [kh, kw, in, out] → TFLite's [out, kh, kw, in]. */
function ohwi(filter: Float32Array, kh: number, kw: number, inC: number, outC: number): Float32Array {
  const out = new Float32Array(filter.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < inC; i++)
        for (let o = 0; o < outC; o++) out[((o * kh + y) * kw + x) * inC + i] = filter[((y * kw + x) * inC + i) * outC + o];
  return out;
}

/** Dense weights [in, out] → TFLite's [out, in]. */
function transpose2d(weights: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(weights.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = weights[r * cols + c];
  return out;
}

class ModelParts {
  readonly tensors: TensorSpec[] = [];
  readonly ops: OpSpec[] = [];

  tensor(spec: TensorSpec): number {
    this.tensors.push(spec);
    return this.tensors.length - 1;
  }
}

/** Writes `graph` as a .tflite file; with `quantization`, as an int8 model with uint8 input and output. */
export function writeTflite(graph: Graph, quantization?: TfliteQuantization, description = 'Transfer Studio classifier'): Uint8Array {
  const parts = new ModelParts();
  const q = quantization;
  const params = q ? graph.shapes.map((_, v) => int8Params(q.ranges[v])) : [];
  // The int8 input is the uint8 pixels re-centred: q − 128 at the same scale.
  if (q) params[graph.input] = { scale: q.input.scale, zeroPoint: q.input.zeroPoint - 128 };
  // Values that must share their input's quantization (TFLite's PAD keeps it; so do pass-through ops).
  for (const op of graph.ops) if (q && op.kind === 'pad') params[op.output] = params[op.input];
  const softmaxParams: QuantParams = { scale: 1 / 256, zeroPoint: -128 };
  for (const op of graph.ops) if (q && op.kind === 'softmax') params[op.output] = softmaxParams;

  const valueTensor = graph.shapes.map((shape, v) =>
    parts.tensor({
      shape,
      type: q ? fb.TensorType.INT8 : fb.TensorType.FLOAT32,
      name: q ? `value_${v}` : v === graph.input ? 'input' : v === graph.output ? 'output' : `value_${v}`,
      ...(q ? { quant: { scale: [params[v].scale], zeroPoint: [params[v].zeroPoint] } } : {}),
    }),
  );
  let input = valueTensor[graph.input];
  let output = valueTensor[graph.output];
  if (q) {
    // uint8 pixels in: a QUANTIZE op re-centres them to the int8 graph (q − 128, same scale).
    input = parts.tensor({ shape: graph.shapes[graph.input], type: fb.TensorType.UINT8, name: 'input', quant: { scale: [q.input.scale], zeroPoint: [q.input.zeroPoint] } });
    parts.ops.push({ code: fb.BuiltinOperator.QUANTIZE, version: 2, inputs: [input], outputs: [valueTensor[graph.input]] });
  }
  for (const op of graph.ops) addOp(parts, op, valueTensor, q ? params : null, q?.biasCorrection?.get(op.output));
  if (q) {
    const p = params[graph.output];
    output = parts.tensor({ shape: graph.shapes[graph.output], type: fb.TensorType.UINT8, name: 'output', quant: { scale: [p.scale], zeroPoint: [p.zeroPoint + 128] } });
    parts.ops.push({ code: fb.BuiltinOperator.QUANTIZE, version: 2, inputs: [valueTensor[graph.output]], outputs: [output] });
  }
  return serialize(parts, input, output, description);
}

/** The bias with the calibrated correction for int8 weights added (see Calibration.biasCorrection). */
function correctedBias(bias: Float32Array, correction: Float32Array | undefined): Float32Array {
  return correction ? Float32Array.from(bias, (b, c) => b + correction[c]) : bias;
}

function addOp(parts: ModelParts, op: GraphOp, t: number[], params: QuantParams[] | null, biasCorrection?: Float32Array): void {
  const constant = (name: string, shape: number[], data: Float32Array | Int32Array | Int8Array, type: fb.TensorType, quant?: TensorSpec['quant']) =>
    parts.tensor({ shape, type, name, data: bytesOf(data), quant });
  const int32 = (name: string, shape: number[], values: number[]) => constant(name, shape, Int32Array.from(values), fb.TensorType.INT32);
  const v = (name: number) => t[name];
  switch (op.kind) {
    case 'conv':
    case 'depthwise': {
      const [kh, kw] = op.kernel;
      const depthwise = op.kind === 'depthwise';
      const outC = depthwise ? op.inChannels * op.multiplier : op.outChannels;
      // Depthwise filters are [1, kh, kw, in·m]: the TF.js layout as it is.
      const filter = depthwise ? op.filter : ohwi(op.filter, kh, kw, op.inChannels, outC);
      const filterShape = depthwise ? [1, kh, kw, outC] : [outC, kh, kw, op.inChannels];
      let filterTensor: number;
      let biasTensor: number;
      if (params) {
        // Per output channel: dimension 0 for conv filters, 3 for depthwise ones.
        const w = quantizedWeights(op);
        const data = depthwise ? w.data : Int8Array.from(ohwi(Float32Array.from(w.data), kh, kw, op.inChannels, outC));
        const b = int32Bias(correctedBias(op.bias, biasCorrection), params[op.input].scale, w.scales);
        filterTensor = constant(`w_${op.output}`, filterShape, data, fb.TensorType.INT8, { scale: w.scales, zeroPoint: new Array(outC).fill(0), dimension: depthwise ? 3 : 0 });
        biasTensor = constant(`b_${op.output}`, [outC], b.data, fb.TensorType.INT32, { scale: b.scales, zeroPoint: new Array(outC).fill(0), dimension: 0 });
      } else {
        filterTensor = constant(`w_${op.output}`, filterShape, filter, fb.TensorType.FLOAT32);
        biasTensor = constant(`b_${op.output}`, [outC], op.bias, fb.TensorType.FLOAT32);
      }
      const padding = op.padding === 'same' ? fb.Padding.SAME : fb.Padding.VALID;
      const activation = ACTIVATION[op.activation];
      const [strideH, strideW] = op.strides;
      parts.ops.push(
        depthwise
          ? {
              code: fb.BuiltinOperator.DEPTHWISE_CONV_2D,
              version: params ? 3 : 1,
              inputs: [v(op.input), filterTensor, biasTensor],
              outputs: [v(op.output)],
              options: {
                type: fb.BuiltinOptions.DepthwiseConv2DOptions,
                write: (b) => fb.DepthwiseConv2DOptions.createDepthwiseConv2DOptions(b, padding, strideW, strideH, op.multiplier, activation, 1, 1),
              },
            }
          : {
              code: fb.BuiltinOperator.CONV_2D,
              version: params ? 3 : 1,
              inputs: [v(op.input), filterTensor, biasTensor],
              outputs: [v(op.output)],
              options: { type: fb.BuiltinOptions.Conv2DOptions, write: (b) => fb.Conv2DOptions.createConv2DOptions(b, padding, strideW, strideH, activation, 1, 1) },
            },
      );
      return;
    }
    case 'dense': {
      const weights = transpose2d(op.weights, op.inUnits, op.outUnits);
      let wTensor: number;
      let bTensor: number;
      if (params) {
        // Per-tensor weights: every TFLite FULLY_CONNECTED int8 kernel takes them.
        const w = quantizedWeights(op);
        const b = int32Bias(correctedBias(op.bias, biasCorrection), params[op.input].scale, w.scales);
        wTensor = constant(`w_${op.output}`, [op.outUnits, op.inUnits], Int8Array.from(transpose2d(Float32Array.from(w.data), op.inUnits, op.outUnits)), fb.TensorType.INT8, { scale: w.scales, zeroPoint: [0] });
        bTensor = constant(`b_${op.output}`, [op.outUnits], b.data, fb.TensorType.INT32, { scale: [b.scales[0]], zeroPoint: [0] });
      } else {
        wTensor = constant(`w_${op.output}`, [op.outUnits, op.inUnits], weights, fb.TensorType.FLOAT32);
        bTensor = constant(`b_${op.output}`, [op.outUnits], op.bias, fb.TensorType.FLOAT32);
      }
      const activation = ACTIVATION[op.activation];
      parts.ops.push({
        code: fb.BuiltinOperator.FULLY_CONNECTED,
        version: params ? 4 : 1,
        inputs: [v(op.input), wTensor, bTensor],
        outputs: [v(op.output)],
        options: { type: fb.BuiltinOptions.FullyConnectedOptions, write: (b) => fb.FullyConnectedOptions.createFullyConnectedOptions(b, activation, 0, false) },
      });
      return;
    }
    case 'add': {
      const activation = ACTIVATION[op.activation];
      parts.ops.push({
        code: fb.BuiltinOperator.ADD,
        version: params ? 2 : 1,
        inputs: [v(op.inputs[0]), v(op.inputs[1])],
        outputs: [v(op.output)],
        options: { type: fb.BuiltinOptions.AddOptions, write: (b) => fb.AddOptions.createAddOptions(b, activation) },
      });
      return;
    }
    case 'pad': {
      const paddings = int32(`pad_${op.output}`, [4, 2], [0, 0, ...op.pads[0], ...op.pads[1], 0, 0]);
      parts.ops.push({ code: fb.BuiltinOperator.PAD, version: params ? 2 : 1, inputs: [v(op.input), paddings], outputs: [v(op.output)] });
      return;
    }
    case 'activation':
      parts.ops.push({ code: op.activation === 'relu' ? fb.BuiltinOperator.RELU : fb.BuiltinOperator.RELU6, version: params ? 2 : 1, inputs: [v(op.input)], outputs: [v(op.output)] });
      return;
    case 'affine': {
      if (params) throw new Error('A batch norm that follows no convolution cannot be quantized by this export.');
      const channels = op.scale.length;
      const mulOut = parts.tensor({ shape: [1, 1], type: fb.TensorType.FLOAT32, name: `scaled_${op.output}` });
      parts.tensors[mulOut].shape = [...parts.tensors[v(op.input)].shape];
      parts.ops.push({
        code: fb.BuiltinOperator.MUL,
        version: 1,
        inputs: [v(op.input), constant(`scale_${op.output}`, [channels], op.scale, fb.TensorType.FLOAT32)],
        outputs: [mulOut],
        options: { type: fb.BuiltinOptions.MulOptions, write: (b) => fb.MulOptions.createMulOptions(b, fb.ActivationFunctionType.NONE) },
      });
      const activation = ACTIVATION[op.activation];
      parts.ops.push({
        code: fb.BuiltinOperator.ADD,
        version: 1,
        inputs: [mulOut, constant(`shift_${op.output}`, [channels], op.shift, fb.TensorType.FLOAT32)],
        outputs: [v(op.output)],
        options: { type: fb.BuiltinOptions.AddOptions, write: (b) => fb.AddOptions.createAddOptions(b, activation) },
      });
      return;
    }
    case 'mean': {
      const axes = int32(`axes_${op.output}`, [2], [1, 2]);
      parts.ops.push({
        code: fb.BuiltinOperator.MEAN,
        version: params ? 2 : 1,
        inputs: [v(op.input), axes],
        outputs: [v(op.output)],
        options: { type: fb.BuiltinOptions.ReducerOptions, write: (b) => fb.ReducerOptions.createReducerOptions(b, false) },
      });
      return;
    }
    case 'softmax':
      parts.ops.push({
        code: fb.BuiltinOperator.SOFTMAX,
        version: params ? 2 : 1,
        inputs: [v(op.input)],
        outputs: [v(op.output)],
        options: { type: fb.BuiltinOptions.SoftmaxOptions, write: (b) => fb.SoftmaxOptions.createSoftmaxOptions(b, 1) },
      });
      return;
  }
}

/** A byte vector aligned to 16 bytes, as the schema asks of buffers (mmap-friendly weights). */
function alignedBytes(builder: flatbuffers.Builder, bytes: Uint8Array): flatbuffers.Offset {
  builder.startVector(1, bytes.length, 16);
  for (let i = bytes.length - 1; i >= 0; i--) builder.addInt8(bytes[i]);
  return builder.endVector();
}

function serialize(parts: ModelParts, input: number, output: number, description: string): Uint8Array {
  const dataBytes = parts.tensors.reduce((sum, t) => sum + (t.data?.length ?? 0) + 32, 0);
  const builder = new flatbuffers.Builder(dataBytes + 64 * 1024);

  // Buffer 0 is the empty sentinel every tensor without data points at.
  const buffers: flatbuffers.Offset[] = [fb.Buffer.createBuffer(builder, 0)];
  const bufferIndex = parts.tensors.map((t) => {
    if (!t.data) return 0;
    const data = alignedBytes(builder, t.data);
    fb.Buffer.startBuffer(builder);
    fb.Buffer.addData(builder, data);
    buffers.push(fb.Buffer.endBuffer(builder));
    return buffers.length - 1;
  });

  // Zero points are int64 in the schema, one per channel for per-channel tensors, and nearly all
  // are vectors of zeros: identical vectors are written once and shared by every tensor that has
  // them (a flatbuffer table may point at any earlier vector), which saves 16 bytes per channel.
  const zeroPointVectors = new Map<string, flatbuffers.Offset>();
  const zeroPointVector = (values: ArrayLike<number>) => {
    const key = Array.from(values).join(',');
    let offset = zeroPointVectors.get(key);
    if (offset === undefined) {
      offset = fb.QuantizationParameters.createZeroPointVector(builder, Array.from(values, (z) => BigInt(z)));
      zeroPointVectors.set(key, offset);
    }
    return offset;
  };

  const tensors = parts.tensors.map((t, i) => {
    const name = builder.createString(t.name);
    const shape = fb.Tensor.createShapeVector(builder, t.shape);
    let quant = 0;
    if (t.quant) {
      const scale = fb.QuantizationParameters.createScaleVector(builder, Array.from(t.quant.scale));
      const zeroPoint = zeroPointVector(t.quant.zeroPoint);
      fb.QuantizationParameters.startQuantizationParameters(builder);
      fb.QuantizationParameters.addScale(builder, scale);
      fb.QuantizationParameters.addZeroPoint(builder, zeroPoint);
      fb.QuantizationParameters.addQuantizedDimension(builder, t.quant.dimension ?? 0);
      quant = fb.QuantizationParameters.endQuantizationParameters(builder);
    }
    fb.Tensor.startTensor(builder);
    fb.Tensor.addShape(builder, shape);
    fb.Tensor.addType(builder, t.type);
    fb.Tensor.addBuffer(builder, bufferIndex[i]);
    fb.Tensor.addName(builder, name);
    if (quant) fb.Tensor.addQuantization(builder, quant);
    return fb.Tensor.endTensor(builder);
  });

  // One operator code per (operator, version), in order of first use.
  const codes: { code: fb.BuiltinOperator; version: number }[] = [];
  const codeIndex = (op: OpSpec) => {
    let index = codes.findIndex((c) => c.code === op.code && c.version === op.version);
    if (index < 0) index = codes.push({ code: op.code, version: op.version }) - 1;
    return index;
  };
  const operators = parts.ops.map((op) => {
    const opcode = codeIndex(op);
    const inputs = fb.Operator.createInputsVector(builder, op.inputs);
    const outputs = fb.Operator.createOutputsVector(builder, op.outputs);
    const options = op.options ? op.options.write(builder) : 0;
    fb.Operator.startOperator(builder);
    fb.Operator.addOpcodeIndex(builder, opcode);
    fb.Operator.addInputs(builder, inputs);
    fb.Operator.addOutputs(builder, outputs);
    if (op.options) {
      fb.Operator.addBuiltinOptionsType(builder, op.options.type);
      fb.Operator.addBuiltinOptions(builder, options);
    }
    return fb.Operator.endOperator(builder);
  });
  const operatorCodes = codes.map(({ code, version }) => {
    fb.OperatorCode.startOperatorCode(builder);
    fb.OperatorCode.addDeprecatedBuiltinCode(builder, Math.min(code, 127));
    fb.OperatorCode.addVersion(builder, version);
    fb.OperatorCode.addBuiltinCode(builder, code);
    return fb.OperatorCode.endOperatorCode(builder);
  });

  const subgraphName = builder.createString('main');
  const subgraph = fb.SubGraph.createSubGraph(
    builder,
    fb.SubGraph.createTensorsVector(builder, tensors),
    fb.SubGraph.createInputsVector(builder, [input]),
    fb.SubGraph.createOutputsVector(builder, [output]),
    fb.SubGraph.createOperatorsVector(builder, operators),
    subgraphName,
  );
  const model = fb.Model.createModel(
    builder,
    3,
    fb.Model.createOperatorCodesVector(builder, operatorCodes),
    fb.Model.createSubgraphsVector(builder, [subgraph]),
    builder.createString(description),
    fb.Model.createBuffersVector(builder, buffers),
  );
  fb.Model.finishModelBuffer(builder, model);
  return builder.asUint8Array().slice();
}
