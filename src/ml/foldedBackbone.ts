/**
 * Faster inference for a frozen layers-model backbone.
 *
 * Keras MobileNets (and ResNets) are Conv → BatchNormalization → ReLU chains. Run
 * as layers, every link is its own kernel: in MobileNetV2 that is 289 kernels per
 * call, and batch norm alone took about a third of the time on WASM (tf.profile).
 * With the backbone frozen, batch norm is a fixed per-channel scale and shift, so
 * it folds into the convolution's weights and bias, and the ReLU into the same
 * fused kernel: one kernel per chain. The TensorFlow converter does this for graph
 * models; this does it for layers models at load time.
 *
 * A ZeroPadding2D in front of such a chain's 'valid' convolution (MobileNetV2's
 * stride-2 blocks) becomes the convolution's own explicit padding: a padded copy
 * of the activations was its own kernel and a pass over memory (PadV2, about 8%
 * of the folded pass's kernel time on WASM).
 *
 * Layers outside such a chain run as they are (`layer.apply` on concrete tensors).
 * The loaded model is left untouched: fine-tuning and the export still use it.
 */
import * as tf from '@tensorflow/tfjs';

type Symbolic = tf.SymbolicTensor;
type Activation = 'linear' | 'relu' | 'relu6';

interface Step {
  /** The symbolic tensor this step produces (the last layer of a fused chain). */
  output: Symbolic;
  inputs: Symbolic[];
  run(inputs: tf.Tensor[]): tf.Tensor;
}

export interface FoldedForward {
  /** Images → the output of the layer it was built for, with the model's own numerics up to float rounding. */
  run(images: tf.Tensor4D): tf.Tensor;
  /** Chains folded into single kernels. */
  foldedChains: number;
  /** ZeroPadding2D layers that became their convolution's padding. */
  foldedPads: number;
  /** Frees the folded weights (the model's own weights are not touched). */
  dispose(): void;
}

interface NodeWiring {
  inboundNodes: { inputTensors: Symbolic[]; outputTensors: Symbolic[] }[];
}
const wiring = (layer: tf.layers.Layer) => layer as unknown as NodeWiring;
const inputsOf = (layer: tf.layers.Layer) => wiring(layer).inboundNodes[0]?.inputTensors ?? [];
const outputOf = (layer: tf.layers.Layer) => wiring(layer).inboundNodes[0].outputTensors[0];
type Config = Record<string, unknown>;
const configOf = (layer: tf.layers.Layer) => layer.getConfig() as Config;

const pair = (value: unknown): [number, number] => (Array.isArray(value) ? [value[0], value[1]] : [Number(value), Number(value)]);

function foldableConv(layer: tf.layers.Layer): boolean {
  const name = layer.getClassName();
  if (name !== 'Conv2D' && name !== 'DepthwiseConv2D') return false;
  const config = configOf(layer);
  const dilation = pair(config.dilationRate ?? 1);
  return (
    (config.activation ?? 'linear') === 'linear' &&
    (config.dataFormat ?? 'channelsLast') === 'channelsLast' &&
    dilation[0] === 1 &&
    dilation[1] === 1 &&
    (config.padding === 'same' || config.padding === 'valid')
  );
}

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** A channels-last ZeroPadding2D's padding as a convolution's explicit padding, or null. */
function zeroPaddingOf(layer: tf.layers.Layer): ExplicitPadding | null {
  if (layer.getClassName() !== 'ZeroPadding2D') return null;
  const config = configOf(layer);
  if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') return null;
  const padding = config.padding as [[number, number], [number, number]];
  return [[0, 0], padding[0], padding[1], [0, 0]];
}

function foldableBatchNorm(layer: tf.layers.Layer): boolean {
  if (layer.getClassName() !== 'BatchNormalization') return false;
  const axis = configOf(layer).axis;
  return axis === -1 || axis === 3;
}

/** The fused activation an activation layer amounts to, or null when it is something else. */
function fusableActivation(layer: tf.layers.Layer): Activation | null {
  const config = configOf(layer);
  if (layer.getClassName() === 'ReLU') {
    if ((config.negativeSlope ?? 0) !== 0 || (config.threshold ?? 0) !== 0) return null;
    const max = config.maxValue;
    return max == null ? 'relu' : max === 6 ? 'relu6' : null;
  }
  if (layer.getClassName() === 'Activation') {
    const activation = config.activation;
    return activation === 'relu' || activation === 'relu6' ? activation : null;
  }
  return null;
}

/** Conv (+ its bias) followed by inference-mode batch norm, as one kernel's weights and bias. */
function foldWeights(conv: tf.layers.Layer, batchNorm: tf.layers.Layer): { filter: tf.Tensor4D; bias: tf.Tensor1D } {
  return tf.tidy(() => {
    const [kernel, convBias] = conv.getWeights() as [tf.Tensor4D, tf.Tensor1D | undefined];
    const config = configOf(batchNorm);
    const weights = batchNorm.getWeights();
    let index = 0;
    const gamma = config.scale === false ? null : weights[index++];
    const beta = config.center === false ? null : weights[index++];
    const [mean, variance] = [weights[index], weights[index + 1]];
    const epsilon = Number(config.epsilon ?? 1e-3);
    let scale = tf.rsqrt(tf.add(variance, epsilon));
    if (gamma) scale = tf.mul(scale, gamma);
    let bias = tf.neg(tf.mul(mean, scale));
    if (beta) bias = tf.add(bias, beta);
    if (configOf(conv).useBias !== false && convBias) bias = tf.add(bias, tf.mul(convBias, scale));
    // Output channel c of a depthwise conv with multiplier m is kernel[..., c / m, c % m].
    const [, , inChannels, perInput] = kernel.shape;
    const scaleShape = conv.getClassName() === 'DepthwiseConv2D' ? [1, 1, inChannels, perInput] : [1, 1, 1, perInput];
    return { filter: tf.mul(kernel, tf.reshape(scale, scaleShape)) as tf.Tensor4D, bias: bias as tf.Tensor1D };
  });
}

/** Padding absorbed from a ZeroPadding2D layer: the conv reads that layer's input instead. */
interface AbsorbedPadding {
  input: Symbolic;
  padding: ExplicitPadding;
}

function fusedStep(
  conv: tf.layers.Layer,
  batchNorm: tf.layers.Layer,
  activationLayer: tf.layers.Layer | null,
  absorbed: AbsorbedPadding | undefined,
): Step & { weights: tf.Tensor[] } {
  const { filter, bias } = foldWeights(conv, batchNorm);
  const config = configOf(conv);
  const strides = pair(config.strides ?? 1);
  // tfjs computes the same conv info for explicit padding in depthwise convolutions; only its typing omits it.
  const pad = (absorbed?.padding ?? config.padding) as 'same' | 'valid';
  const activation = activationLayer ? fusableActivation(activationLayer)! : 'linear';
  const depthwise = conv.getClassName() === 'DepthwiseConv2D';
  return {
    output: outputOf(activationLayer ?? batchNorm),
    inputs: absorbed ? [absorbed.input] : inputsOf(conv),
    weights: [filter, bias],
    run: ([x]) =>
      depthwise
        ? tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter, strides, pad, bias, activation })
        : tf.fused.conv2d({ x: x as tf.Tensor4D, filter, strides, pad, bias, activation }),
  };
}

/**
 * Builds the folded forward pass of `model` up to the output of `outputLayer`.
 * Only layers that the output depends on are run.
 */
export function foldedForward(model: tf.LayersModel, outputLayer: string): FoldedForward {
  if (model.inputs.length !== 1) throw new Error('Folding supports single-input models only.');
  const target = outputOf(model.getLayer(outputLayer));
  // Which layers the output needs, and how many of those consume each tensor.
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const needed = new Set<string>();
  const stack = [target.sourceLayer.name];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    for (const t of inputsOf(byName.get(name)!)) stack.push(t.sourceLayer.name);
  }
  const layers = model.layers.filter((l) => needed.has(l.name));
  const consumers = new Map<number, tf.layers.Layer[]>();
  for (const layer of layers) {
    for (const t of inputsOf(layer)) consumers.set(t.id, [...(consumers.get(t.id) ?? []), layer]);
  }
  const soleConsumer = (t: Symbolic) => {
    const list = consumers.get(t.id) ?? [];
    return list.length === 1 && t.id !== target.id ? list[0] : null;
  };

  const steps: Step[] = [];
  const owned: tf.Tensor[] = [];
  const absorbed = new Set<string>();
  // Padding layers whose only consumer is a 'valid' conv that will be folded with its batch norm.
  const paddingFor = new Map<string, AbsorbedPadding>();
  for (const layer of layers) {
    const padding = zeroPaddingOf(layer);
    const conv = padding ? soleConsumer(outputOf(layer)) : null;
    if (!padding || !conv || !foldableConv(conv) || configOf(conv).padding !== 'valid') continue;
    const batchNorm = soleConsumer(outputOf(conv));
    if (!batchNorm || !foldableBatchNorm(batchNorm)) continue;
    paddingFor.set(conv.name, { input: inputsOf(layer)[0], padding });
    absorbed.add(layer.name);
  }
  let foldedChains = 0;
  for (const layer of layers) {
    if (absorbed.has(layer.name) || layer.getClassName() === 'InputLayer') continue;
    const next = foldableConv(layer) ? soleConsumer(outputOf(layer)) : null;
    if (next && foldableBatchNorm(next)) {
      const after = soleConsumer(outputOf(next));
      const activation = after && fusableActivation(after) ? after : null;
      const step = fusedStep(layer, next, activation, paddingFor.get(layer.name));
      owned.push(...step.weights);
      steps.push(step);
      absorbed.add(next.name);
      if (activation) absorbed.add(activation.name);
      foldedChains++;
      continue;
    }
    steps.push({
      output: outputOf(layer),
      inputs: inputsOf(layer),
      run: (inputs) => layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor,
    });
  }
  const inputId = model.inputs[0].id;
  const uses = new Map<number, number>();
  for (const step of steps) for (const t of step.inputs) uses.set(t.id, (uses.get(t.id) ?? 0) + 1);
  return {
    foldedChains,
    foldedPads: paddingFor.size,
    run: (images) =>
      tf.tidy(() => {
        const values = new Map<number, tf.Tensor>([[inputId, images]]);
        const left = new Map(uses);
        for (const step of steps) {
          values.set(step.output.id, step.run(step.inputs.map((t) => values.get(t.id)!)));
          // Free each activation after its last use, so memory peaks at a block's worth, not the whole pass.
          for (const t of step.inputs) {
            const remaining = left.get(t.id)! - 1;
            left.set(t.id, remaining);
            if (remaining > 0 || t.id === inputId) continue;
            const value = values.get(t.id)!;
            values.delete(t.id);
            // Identity-like layers may hand back their input object; keep it while anything still holds it.
            if (![...values.values()].includes(value)) value.dispose();
          }
        }
        return values.get(target.id)!;
      }),
    dispose: () => tf.dispose(owned),
  };
}
