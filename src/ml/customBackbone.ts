/**
 * Custom backbones: any TF.js layers or graph model, loaded by URL or from
 * dropped files. Lists its layers (or graph nodes) with output shapes, proposes
 * a feature layer, and turns the choice into a BackboneSpec the app trains on.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackboneSpec, PixelScaling } from './backbones';
import { CUSTOM_PREFIX, customSpecId } from './customSpecId';

export interface FeatureCandidate {
  name: string;
  /** Layer class (layers models) or op (graph models). */
  kind: string;
  /** Output shape without the batch dimension; null where unknown. */
  shape: (number | null)[] | null;
}

export interface CustomModelInfo {
  format: 'layers' | 'graph';
  inputSize: number;
  layers: FeatureCandidate[];
  /** The proposed feature layer: the last spatial or pooled layer before the classifier. */
  defaultFeature: string;
}

export { CUSTOM_PREFIX };

/** Reads the format from model.json's contents (TF.js converter output or a Keras-style save). */
export function formatOfModelJson(json: { format?: string; modelTopology?: { node?: unknown; class_name?: string; config?: unknown } }): 'layers' | 'graph' {
  if (json.format === 'graph-model' || Array.isArray(json.modelTopology?.node)) return 'graph';
  if (json.format === 'layers-model' || json.modelTopology?.class_name || json.modelTopology?.config) return 'layers';
  throw new Error('This model.json is neither a TF.js layers model nor a graph model.');
}

/** Square input side of a model: [null, s, s, 3]; a model with free spatial dimensions gets 224. */
export function inputSizeOf(shape: readonly (number | null)[] | undefined): number {
  if (!shape || shape.length !== 4 || shape[3] !== 3) throw new Error(`The model's input must be an RGB image [batch, height, width, 3]; it is [${shape?.join(', ')}].`);
  const [, h, w] = shape;
  if (h !== null && w !== null && h !== w) throw new Error(`Only square inputs are supported; this model takes ${h}×${w}.`);
  return h ?? w ?? 224;
}

const CLASSIFIER_KINDS = new Set(['Dense', 'Dropout', 'Activation', 'Softmax', 'Flatten', 'Reshape']);
const POOLING_KINDS = new Set(['GlobalAveragePooling2D', 'GlobalMaxPooling2D']);

/** Layers and their output shapes, and the default feature layer. */
export function describeLayersModel(model: tf.LayersModel): CustomModelInfo {
  const layers = model.layers
    .filter((l) => l.getClassName() !== 'InputLayer')
    .map((l) => {
      const shape = (l.outputShape as (number | null)[]).slice(1);
      return { name: l.name, kind: l.getClassName(), shape };
    });
  return { format: 'layers', inputSize: inputSizeOf(model.inputs[0].shape), layers, defaultFeature: defaultFeatureLayer(layers) };
}

/** Scanning back from the output, skip the classifier; take the first pooled or spatial layer. */
export function defaultFeatureLayer(layers: readonly FeatureCandidate[]): string {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (POOLING_KINDS.has(layer.kind) || layer.shape?.length === 3) return layer.name;
    if (!CLASSIFIER_KINDS.has(layer.kind) && !/softmax|logits|predictions/i.test(layer.name)) return layer.name;
  }
  if (layers.length === 0) throw new Error('This model has no layers to take features from.');
  return layers[layers.length - 1].name;
}

/** Graph nodes are many; shapes are found by running one blank image through the last ones. */
const GRAPH_NODES_SHOWN = 60;

export function describeGraphModel(model: tf.GraphModel): CustomModelInfo {
  const inputShape = model.inputs[0].shape;
  const inputSize = inputSizeOf(inputShape?.map((d) => (d === -1 ? null : d)));
  const skip = new Set(['Const', 'Placeholder', 'Identity', 'NoOp']);
  const nodes = (model as unknown as { executor: { graph: { nodes: Record<string, { name: string; op: string }> } } }).executor.graph.nodes;
  const candidates = Object.values(nodes).filter((n) => !skip.has(n.op)).slice(-GRAPH_NODES_SHOWN);
  const outputs = tf.tidy(() => model.execute(tf.zeros([1, inputSize, inputSize, 3]), candidates.map((n) => n.name)) as tf.Tensor[]);
  const layers = candidates.map((n, i) => ({ name: n.name, kind: n.op, shape: outputs[i].shape.slice(1) }));
  tf.dispose(outputs);
  return { format: 'graph', inputSize, layers, defaultFeature: defaultFeatureLayer(layers.map((l) => ({ ...l, kind: graphKind(l.kind) }))) };
}

/** Maps graph ops onto the layer kinds defaultFeatureLayer knows. */
function graphKind(op: string): string {
  if (op === 'MatMul' || op === 'BiasAdd') return 'Dense';
  if (op === 'Softmax') return 'Softmax';
  if (op === 'Mean') return 'GlobalAveragePooling2D';
  if (op === 'Squeeze' || op === 'Reshape') return 'Reshape';
  return op;
}

export interface CustomChoice {
  /** The engine's id for the loaded model. */
  modelId: string;
  title: string;
  featureNode: string;
  scaling: PixelScaling;
}

/** A spec for the chosen feature layer; its id changes with the choice, so embeddings are cached per choice. */
export function customSpec(choice: CustomChoice, info: CustomModelInfo): BackboneSpec {
  const layer = info.layers.find((l) => l.name === choice.featureNode);
  if (!layer || !layer.shape) throw new Error(`The model has no layer "${choice.featureNode}" with a known output shape.`);
  if (layer.shape.some((d) => d === null)) throw new Error(`Layer "${layer.name}" has an open output shape [${layer.shape.join(', ')}].`);
  const dims = layer.shape as number[];
  const pooled = dims.length === 3;
  return {
    id: customSpecId(choice),
    title: `${choice.title} · ${choice.featureNode}`,
    format: info.format,
    inputSize: info.inputSize,
    scaling: choice.scaling,
    featureNode: choice.featureNode,
    pooled,
    embeddingSize: pooled ? dims[2] : dims.reduce((a, b) => a * b, 1),
    publicUrl: '',
    sourceDir: '',
  };
}
