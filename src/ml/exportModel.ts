import * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from './backbone';
import { HEAD_LAYER_NAMES, headOptionsOf } from './head';
import { saveToMemory } from './modelData';

/** The three files a Teachable Machine image model consists of. */
export interface ModelFiles {
  'model.json': string;
  'weights.bin': Uint8Array;
  'metadata.json': string;
}

/** Teachable Machine's metadata.json fields, plus where a graph backbone must come from. */
export interface ModelMetadata {
  tfjsVersion: string;
  tmVersion: string;
  packageVersion: string;
  packageName: string;
  timeStamp: string;
  userMetadata: Record<string, unknown>;
  modelName: string;
  labels: string[];
  imageSize: number;
  modelSettings?: { mobilenet?: { version: number; alpha: number } };
  /** How this app made the model, so it can be continued later (older exports lack it). */
  transferStudio?: { backboneId: string; fineTunedLayers: string[] };
  /** Only for graph-model backbones: model.json is the head alone and needs these embeddings as input. */
  backbone?: {
    id: string;
    url: string;
    format: 'graph';
    featureNode: string;
    /** For @tensorflow-models/mobilenet backbones: `mobilenet.load(loadConfig)`, then `infer(image, true)`. */
    mobilenetPackage?: { version: 1 | 2; alpha: number };
    inputSize: number;
    preprocessing: string;
  };
}

export interface ExportOptions {
  backbone: LoadedBackbone;
  head: tf.LayersModel;
  labels: string[];
  modelName: string;
  appVersion: string;
  /** A fine-tuned tail (see fineTune.ts) that replaces the backbone's layers after `prefix`. */
  fineTuned?: { prefix: tf.LayersModel | null; tail: tf.LayersModel; trainableLayers: string[] };
  /** Free-form data a user attaches; kept verbatim in metadata.json. */
  userMetadata?: Record<string, unknown>;
  now?: Date;
}

/** The Teachable Machine format version these files follow (metadata fields and model layout). */
export const TM_FORMAT_VERSION = '2.4.10';

/**
 * For layers backbones: ONE layers model, image [N,224,224,3] (x/127-1) → class
 * probabilities: backbone up to the feature layer, global average pooling, then
 * the trained head, so `tf.loadLayersModel` alone reproduces the app's predictions.
 * For graph backbones: the head alone, with the backbone named in metadata.json.
 */
export async function exportClassifier(options: ExportOptions): Promise<ModelFiles> {
  const { backbone, head, labels } = options;
  const spec = backbone.spec;
  const owned: tf.layers.Layer[] = [];
  let model: tf.LayersModel = head;
  if (backbone.featureModel) {
    const { hiddenUnits, dropout, numClasses } = headOptionsOf(head);
    const copy = (name: string) => head.getLayer(name).getWeights();
    owned.push(
      tf.layers.dense({ name: HEAD_LAYER_NAMES.hidden, units: hiddenUnits, activation: 'relu', weights: copy(HEAD_LAYER_NAMES.hidden) }),
      tf.layers.dropout({ name: HEAD_LAYER_NAMES.dropout, rate: dropout }),
      tf.layers.dense({ name: HEAD_LAYER_NAMES.output, units: numClasses, activation: 'softmax', weights: copy(HEAD_LAYER_NAMES.output) }),
    );
    let output = backbone.featureModel.outputs[0];
    if (options.fineTuned) {
      // The tail is a nested model: its fine-tuned weights are saved with the rest.
      const { prefix, tail } = options.fineTuned;
      output = tail.apply(prefix ? prefix.outputs[0] : backbone.featureModel.inputs[0]) as tf.SymbolicTensor;
    }
    for (const layer of owned) output = layer.apply(output) as tf.SymbolicTensor;
    model = tf.model({ name: 'transfer_studio_classifier', inputs: backbone.featureModel.inputs, outputs: output });
  }
  try {
    const artifacts = await saveToMemory(model);
    const modelJson: tf.io.ModelJSON = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology as object,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
    };
    const metadata: ModelMetadata = {
      tfjsVersion: tf.version.tfjs,
      tmVersion: TM_FORMAT_VERSION,
      packageVersion: options.appVersion,
      packageName: 'transfer-studio',
      timeStamp: (options.now ?? new Date()).toISOString(),
      userMetadata: options.userMetadata ?? {},
      modelName: options.modelName,
      labels,
      imageSize: spec.inputSize,
      transferStudio: { backboneId: spec.id, fineTunedLayers: options.fineTuned ? options.fineTuned.trainableLayers : [] },
      ...(spec.teachableMachine ? { modelSettings: { mobilenet: { ...spec.teachableMachine } } } : {}),
      ...(backbone.featureModel
        ? {}
        : {
            backbone: {
              id: spec.id,
              url: spec.publicUrl,
              format: 'graph' as const,
              featureNode: spec.featureNode,
              ...(spec.mobilenetPackage ? { mobilenetPackage: spec.mobilenetPackage } : {}),
              inputSize: spec.inputSize,
              preprocessing: describePreprocessing(spec.scaling, spec.inputSize),
            },
          }),
    };
    return {
      'model.json': JSON.stringify(modelJson),
      'weights.bin': new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!)),
      'metadata.json': JSON.stringify(metadata, null, 2),
    };
  } finally {
    for (const layer of owned) layer.dispose();
  }
}

export function describePreprocessing(scaling: LoadedBackbone['spec']['scaling'], size: number): string {
  const range =
    scaling === 'teachable-machine' ? 'x / 127 - 1 (range [-1, 1])' : scaling === 'pixels' ? 'x / 255 (range [0, 1], as @tensorflow-models/mobilenet feeds it)' : 'x / 255 (range [0, 1])';
  return `RGB, centre square crop, resize to ${size}×${size}, then ${range}`;
}

/** Loads files produced by exportClassifier back into a layers model (tests, "continue training"). */
export async function loadExportedModel(files: Pick<ModelFiles, 'model.json' | 'weights.bin'>): Promise<tf.LayersModel> {
  const json = JSON.parse(files['model.json']) as tf.io.ModelJSON;
  const bytes = files['weights.bin'];
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    }),
  );
}
