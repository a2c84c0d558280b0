/**
 * Writes a Graph as an ONNX model (opset 13) with the protobuf classes of
 * `onnx-proto`. The input is NHWC [batch, s, s, 3] like the TF.js and TFLite
 * models (the same preprocessed pixels); a Transpose inside turns it into ONNX's
 * NCHW. The output is [batch, classes] probabilities.
 */
import onnxProto from 'onnx-proto';
import { samePadding, type Activation, type Graph } from './graph';

const { onnx } = onnxProto;

export const ONNX_OPSET = 13;

/** TF.js conv filter [kh, kw, in, out] → ONNX's [out, in, kh, kw]. */
function oihw(filter: Float32Array, kh: number, kw: number, inC: number, outC: number): Float32Array {
  const out = new Float32Array(filter.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < inC; i++)
        for (let o = 0; o < outC; o++) out[((o * inC + i) * kh + y) * kw + x] = filter[((y * kw + x) * inC + i) * outC + o];
  return out;
}

/** TF.js depthwise filter [kh, kw, in, m] → ONNX's grouped [in·m, 1, kh, kw]. */
function depthwiseOihw(filter: Float32Array, kh: number, kw: number, channels: number): Float32Array {
  const out = new Float32Array(filter.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < channels; c++) out[(c * kh + y) * kw + x] = filter[(y * kw + x) * channels + c];
  return out;
}

const littleEndian = (a: Float32Array | BigInt64Array) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

export function writeOnnx(graph: Graph, options: { producerVersion?: string; docString?: string } = {}): Uint8Array {
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  const name = (v: number) => (v === graph.input ? 'input_nchw' : v === graph.output ? 'output' : `v${v}`);
  const floats = (id: string, dims: number[], data: Float32Array) => {
    initializers.push(onnx.TensorProto.create({ name: id, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: littleEndian(data) }));
    return id;
  };
  const int64s = (id: string, data: number[]) => {
    initializers.push(onnx.TensorProto.create({ name: id, dims: [data.length], dataType: onnx.TensorProto.DataType.INT64, rawData: littleEndian(BigInt64Array.from(data, BigInt)) }));
    return id;
  };
  const ints = (key: string, values: number[]) => onnx.AttributeProto.create({ name: key, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const int = (key: string, value: number) => onnx.AttributeProto.create({ name: key, type: onnx.AttributeProto.AttributeType.INT, i: value });
  const node = (opType: string, inputs: string[], outputs: string[], attribute: InstanceType<typeof onnx.AttributeProto>[] = []) =>
    nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: outputs, name: `${opType}_${nodes.length}`, attribute }));
  // Clip's bounds are inputs from opset 11 on.
  const zero = floats('clip_min', [], new Float32Array([0]));
  const six = floats('clip_max', [], new Float32Array([6]));
  /** Applies an activation to `pre`, writing `out`. */
  const activate = (activation: Activation, pre: string, out: string) => {
    if (activation === 'relu') node('Relu', [pre], [out]);
    else if (activation === 'relu6') node('Clip', [pre, zero, six], [out]);
  };
  const target = (activation: Activation, out: string) => (activation === 'none' ? out : `${out}_pre`);

  node('Transpose', ['input'], [name(graph.input)], [ints('perm', [0, 3, 1, 2])]);
  for (const op of graph.ops) {
    const out = name(op.output);
    switch (op.kind) {
      case 'conv':
      case 'depthwise': {
        const [kh, kw] = op.kernel;
        const depthwise = op.kind === 'depthwise';
        const outC = depthwise ? op.inChannels * op.multiplier : op.outChannels;
        const weights = depthwise ? depthwiseOihw(op.filter, kh, kw, outC) : oihw(op.filter, kh, kw, op.inChannels, outC);
        const [, h, w] = graph.shapes[op.input];
        const [top, bottom] = op.padding === 'same' ? samePadding(h, kh, op.strides[0]) : [0, 0];
        const [left, right] = op.padding === 'same' ? samePadding(w, kw, op.strides[1]) : [0, 0];
        const pre = target(op.activation, out);
        node(
          'Conv',
          [name(op.input), floats(`w${op.output}`, [outC, depthwise ? 1 : op.inChannels, kh, kw], weights), floats(`b${op.output}`, [outC], op.bias)],
          [pre],
          [ints('kernel_shape', [kh, kw]), ints('strides', op.strides), ints('pads', [top, left, bottom, right]), int('group', depthwise ? op.inChannels : 1), ints('dilations', [1, 1])],
        );
        activate(op.activation, pre, out);
        break;
      }
      case 'add': {
        const pre = target(op.activation, out);
        node('Add', [name(op.inputs[0]), name(op.inputs[1])], [pre]);
        activate(op.activation, pre, out);
        break;
      }
      case 'pad':
        node('Pad', [name(op.input), int64s(`pads${op.output}`, [0, 0, op.pads[0][0], op.pads[1][0], 0, 0, op.pads[0][1], op.pads[1][1]])], [out], [
          onnx.AttributeProto.create({ name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('constant') }),
        ]);
        break;
      case 'activation':
        activate(op.activation, name(op.input), out);
        break;
      case 'affine': {
        const channels = op.scale.length;
        const pre = target(op.activation, out);
        node('Mul', [name(op.input), floats(`scale${op.output}`, [channels, 1, 1], op.scale)], [`${out}_scaled`]);
        node('Add', [`${out}_scaled`, floats(`shift${op.output}`, [channels, 1, 1], op.shift)], [pre]);
        activate(op.activation, pre, out);
        break;
      }
      case 'mean':
        node('GlobalAveragePool', [name(op.input)], [`${out}_pooled`]);
        node('Flatten', [`${out}_pooled`], [out], [int('axis', 1)]);
        break;
      case 'dense': {
        const pre = target(op.activation, out);
        node('Gemm', [name(op.input), floats(`w${op.output}`, [op.inUnits, op.outUnits], op.weights), floats(`b${op.output}`, [op.outUnits], op.bias)], [pre]);
        activate(op.activation, pre, out);
        break;
      }
      case 'softmax':
        node('Softmax', [name(op.input)], [out], [int('axis', -1)]);
        break;
    }
  }

  const [, height, width, channels] = graph.shapes[graph.input];
  const classes = graph.shapes[graph.output][1];
  const tensorType = (dims: (number | string)[]) =>
    onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
        }),
      }),
    });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: ONNX_OPSET })],
    producerName: 'transfer-studio',
    producerVersion: options.producerVersion ?? '',
    docString: options.docString ?? '',
    graph: onnx.GraphProto.create({
      name: 'classifier',
      node: nodes,
      initializer: initializers,
      input: [onnx.ValueInfoProto.create({ name: 'input', type: tensorType(['batch', height, width, channels]) })],
      output: [onnx.ValueInfoProto.create({ name: 'output', type: tensorType(['batch', classes]) })],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
