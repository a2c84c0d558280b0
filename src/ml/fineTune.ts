/**
 * Fine-tuning the last k weighted layers of a layers-model backbone.
 *
 * The feature model is cut at the latest tensor that is the only thing flowing
 * from the frozen part into the last k weighted layers (residual blocks move the
 * cut before the block). The frozen prefix shares the loaded backbone's layers and
 * is only ever run for inference; the tail is an independent COPY, so the loaded
 * backbone (and every cached embedding) stays as it was, and the copy is what
 * predictions and the export use after the run.
 */
import * as tf from '@tensorflow/tfjs';
import { augmentBatch, sampleAugmentParams } from './augment';
import { createHead, runModel, trainingOutput } from './head';
import { headFrom, type HeadWeights } from './initialWeights';
import { loadModelData, modelDataOf, saveToMemory, type ModelData } from './modelData';
import { runEpochs } from './epochLoop';
import type { AugmentSettings, EpochLogs, TrainSettings } from './settings';
import type { Split } from './split';
import { evaluateClassifier, type TrainCallbacks } from './train';
import { classWeightsFor, EarlyStopping, weightedCrossEntropy } from './trainingControl';

export interface TailSplit {
  /** Images → the cut tensor; null when the cut is the image input itself. Shares the backbone's layers: never dispose it. */
  prefix: tf.LayersModel | null;
  /** The cut tensor → pooled features, on copied layers whose last k weighted ones are trainable. Free with dispose(). */
  tail: tf.LayersModel;
  /** Names of the layers being fine-tuned, in order. */
  trainableLayers: string[];
  /** Name of the layer whose output is the cut (the input layer's name when prefix is null). */
  cutLayer: string;
  /** Frees the tail's weights (the copy they live in). */
  dispose(): void;
}

const hasWeights = (layer: tf.layers.Layer) => layer.trainableWeights.length > 0 || layer.weights.length > 0;

/** The `k` last layers that carry weights, in order. */
export function lastWeightedLayers(model: tf.LayersModel, k: number): tf.layers.Layer[] {
  return model.layers.filter(hasWeights).slice(-k);
}

type Symbolic = tf.SymbolicTensor;

function inboundTensors(layer: tf.layers.Layer): Symbolic[] {
  // Node 0 is where the layer was wired into the loaded model; later nodes are ours.
  const node = (layer as unknown as { inboundNodes: { inputTensors: Symbolic[] }[] }).inboundNodes[0];
  return node ? node.inputTensors : [];
}

/**
 * Splits a feature model (input → … → pooled features) for fine-tuning its last
 * `k` weighted layers. Throws with a reason when k is out of range.
 */
export async function splitForFineTuning(featureModel: tf.LayersModel, k: number): Promise<TailSplit> {
  const weighted = featureModel.layers.filter(hasWeights);
  if (k < 1 || k > weighted.length) {
    throw new Error(`Fine-tuning ${k} layers is not possible: this backbone has ${weighted.length} layers with weights.`);
  }
  // Work on a copy: rewiring adds nodes to layers, and the loaded backbone must stay untouched.
  const copy = await copyModel(featureModel, 'ts_finetune_copy');
  const layers = copy.layers;
  const outputOf = (layer: tf.layers.Layer) => (layer as unknown as { inboundNodes: { outputTensors: Symbolic[] }[] }).inboundNodes[0].outputTensors[0];
  const firstTrainable = layers.findIndex((l) => l.name === weighted[weighted.length - k].name);
  // Walk the cut back until exactly one tensor crosses it (residual connections may cross a later cut).
  let cut = firstTrainable - 1;
  for (; cut >= 0; cut--) {
    const cutTensor = outputOf(layers[cut]);
    const inside = new Set(layers.slice(cut + 1).map((l) => l.name));
    const crossing = layers.slice(cut + 1).some((l) =>
      inboundTensors(l).some((t) => t.id !== cutTensor.id && !inside.has(t.sourceLayer.name)),
    );
    if (!crossing) break;
  }
  if (cut < 0) {
    copy.dispose();
    throw new Error('No single cut point was found in this backbone for fine-tuning.');
  }
  const cutLayer = layers[cut];
  const cutTensor = outputOf(cutLayer);
  const isInput = cutLayer.getClassName() === 'InputLayer';

  // Rewire the copy's tail layers on a fresh input.
  const tailInput = tf.input({ shape: cutTensor.shape.slice(1) as number[], name: 'ts_tail_input' });
  const mapped = new Map<number, Symbolic>([[cutTensor.id, tailInput]]);
  for (const layer of layers.slice(cut + 1)) {
    const inputs = inboundTensors(layer).map((t) => mapped.get(t.id)!);
    const output = layer.apply(inputs.length === 1 ? inputs[0] : inputs) as Symbolic;
    mapped.set(outputOf(layer).id, output);
  }
  const tail = tf.model({ name: 'ts_finetuned_tail', inputs: tailInput, outputs: mapped.get(copy.outputs[0].id)! });
  const trainableNames = new Set(weighted.slice(-k).map((l) => l.name));
  for (const layer of tail.layers) layer.trainable = trainableNames.has(layer.name);
  return {
    prefix: isInput ? null : prefixModel(featureModel, cutLayer.name),
    tail,
    trainableLayers: [...trainableNames],
    cutLayer: cutLayer.name,
    dispose: weightFreer(copy),
  };
}

/**
 * Frees a model's weights outright, once. LayersModel.dispose() counts uses, and
 * every symbolic apply adds one (the tail re-applies the copy's layers, the export
 * applies the tail), so it would keep them.
 */
function weightFreer(model: tf.LayersModel): () => void {
  let freed = false;
  return () => {
    if (freed) return;
    freed = true;
    tf.dispose(model.weights.map((w) => w.read()));
  };
}

/**
 * The frozen part: images → the cut layer's output, on the (shared) backbone's layers.
 * Rebuilt from whichever copy of the backbone is loaded, so a reloaded backbone works too.
 */
export function prefixModel(featureModel: tf.LayersModel, cutLayer: string): tf.LayersModel {
  return tf.model({ name: 'ts_frozen_prefix', inputs: featureModel.inputs, outputs: featureModel.getLayer(cutLayer).output as Symbolic });
}

/**
 * What it takes to rebuild a fine-tuned backbone: the tail alone (topology and
 * weights) and where it was cut. The frozen prefix is not stored: it is rebuilt
 * from the loaded backbone by the cut layer's name (see restoreTail).
 */
export interface TailData extends ModelData {
  cutLayer: string;
  trainableLayers: string[];
}

export async function tailDataOf(split: TailSplit): Promise<TailData> {
  return { ...(await modelDataOf(split.tail)), cutLayer: split.cutLayer, trainableLayers: [...split.trainableLayers] };
}

/**
 * A TailSplit from stored tail data on a loaded backbone: the same predictions
 * and export as the split it was saved from. Throws with a reason when the tail
 * does not fit this backbone (no such cut layer, or a different cut shape).
 */
export async function restoreTail(featureModel: tf.LayersModel, data: TailData): Promise<TailSplit> {
  const cut = featureModel.layers.find((l) => l.name === data.cutLayer);
  if (!cut) throw new Error(`The saved fine-tuned layers do not fit this backbone: it has no layer "${data.cutLayer}". Train again.`);
  const tail = await loadModelData(data);
  const cutShape = JSON.stringify((cut.output as Symbolic).shape.slice(1));
  const tailShape = JSON.stringify(tail.inputs[0].shape.slice(1));
  if (cutShape !== tailShape) {
    tail.dispose();
    throw new Error(`The saved fine-tuned layers do not fit this backbone: they take ${tailShape}, "${data.cutLayer}" gives ${cutShape}. Train again.`);
  }
  const trainable = new Set(data.trainableLayers);
  for (const layer of tail.layers) layer.trainable = trainable.has(layer.name);
  return {
    prefix: cut.getClassName() === 'InputLayer' ? null : prefixModel(featureModel, data.cutLayer),
    tail,
    trainableLayers: [...data.trainableLayers],
    cutLayer: data.cutLayer,
    dispose: weightFreer(tail),
  };
}

/** An independent copy of a layers model (own weights), through an in-memory save and load. */
export async function copyModel(model: tf.LayersModel, name: string): Promise<tf.LayersModel> {
  const artifacts = await saveToMemory(model);
  const topology = artifacts.modelTopology as { config: { name: string } };
  topology.config.name = name;
  return tf.loadLayersModel(tf.io.fromMemory({ ...artifacts, modelTopology: topology }));
}

/** Where the tail's inputs come from, per batch. */
export interface TailInputs {
  /** Tail inputs for these training rows; may augment. Called inside tf.tidy. */
  trainBatch(rows: number[], rng: () => number): tf.Tensor;
  /** Tail inputs of all validation rows, or null when nothing is held out. Owned by the caller. */
  validation: tf.Tensor | null;
}

/** Cut-tensor activations cached once: the cheap path when nothing is augmented. */
export function cachedTailInputs(trainActivations: tf.Tensor, validation: tf.Tensor | null): TailInputs {
  return { trainBatch: (rows) => tf.gather(trainActivations, rows), validation };
}

/**
 * Augmented views cached once: `all` holds the frozen prefix's output for every
 * sample row, followed by `viewsPerRow` augmented views of each training row (in
 * `trainRows` order). Every batch draws, per row, the original or one of its views
 * at random, so epochs cost what unaugmented ones do while still varying.
 */
export function cachedViewTailInputs(
  all: tf.Tensor,
  trainRows: readonly number[],
  viewsPerRow: number,
  validation: tf.Tensor | null,
): TailInputs {
  const sampleCount = all.shape[0] - trainRows.length * viewsPerRow;
  const position = new Map(trainRows.map((row, i) => [row, i]));
  return {
    trainBatch: (rows, rng) =>
      tf.gather(
        all,
        rows.map((row) => {
          const version = Math.floor(rng() * (viewsPerRow + 1));
          return version === 0 ? row : sampleCount + position.get(row)! * viewsPerRow + version - 1;
        }),
      ),
    validation,
  };
}

/**
 * Per-batch augmentation: the batch's images are augmented, then run through the
 * frozen prefix (inference only) to reach the tail. `images(rows)` returns the
 * batch as a model-range tensor [n, s, s, 3].
 */
export function augmentedTailInputs(
  images: (rows: number[]) => tf.Tensor4D,
  prefix: ((images: tf.Tensor4D) => tf.Tensor) | null,
  augmentation: AugmentSettings,
  range: readonly [number, number],
  validation: tf.Tensor | null,
): TailInputs {
  return {
    trainBatch: (rows, rng) => {
      const params = rows.map(() => sampleAugmentParams(augmentation, rng));
      const augmented = augmentBatch(images(rows), params, range);
      return prefix ? prefix(augmented) : augmented;
    },
    validation,
  };
}

export interface FineTuneResult {
  head: tf.Sequential;
  tail: tf.LayersModel;
  history: EpochLogs[];
  stopped: boolean;
  validationPredictions: number[];
  validationConfidences: number[];
  bestEpoch: number;
  classWeights: number[] | null;
}

/**
 * Trains a fresh head together with the tail's trainable layers. The head uses
 * `learningRate`, the tail `fineTuneLearningRate`. Batch norm in the tail runs in
 * inference mode (its gamma/beta still learn): small batches would wreck its statistics.
 */
export async function fineTuneTail(
  tail: tf.LayersModel,
  inputs: TailInputs,
  labels: readonly number[],
  split: Split,
  numClasses: number,
  settings: TrainSettings,
  callbacks: TrainCallbacks = {},
  initialHead?: HeadWeights,
): Promise<FineTuneResult> {
  const featureSize = tail.outputs[0].shape[1] as number;
  const head = initialHead
    ? headFrom(initialHead, featureSize, numClasses, settings.dropout, settings.seed)
    : createHead({ inputSize: featureSize, numClasses, hiddenUnits: settings.hiddenUnits, dropout: settings.dropout, seed: settings.seed });
  const headOptimizer = tf.train.adam(settings.learningRate);
  const tailOptimizer = tf.train.adam(settings.fineTuneLearningRate);
  const trainLabels = split.train.map((i) => labels[i]);
  const classWeights = classWeightsFor(trainLabels, numClasses, settings.classWeights);
  const weightsTensor = classWeights ? tf.tensor1d(classWeights) : null;
  const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(labels as number[], 'int32'), numClasses).toFloat());
  const yVal = split.validation.length > 0 ? tf.gather(oneHot, split.validation) : null;
  const earlyStopping =
    settings.earlyStopping && yVal ? new EarlyStopping(() => [head, tail], Math.max(1, settings.patience)) : null;
  const headVariables = () => head.trainableWeights.map((w) => w.read() as tf.Variable);
  const tailVariables = tail.trainableWeights.map((w) => w.read() as tf.Variable);
  try {
    const { history, bestEpoch, stopped } = await runEpochs({
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      rows: split.train.length,
      seed: settings.seed,
      earlyStopping,
      callbacks,
      validate: async () => (inputs.validation && yVal ? evaluateTail(tail, head, inputs.validation, yVal) : null),
      step: (rows, rng) =>
        tf.tidy(() => {
          const sampleRows = rows.map((r) => split.train[r]);
          const x = inputs.trainBatch(sampleRows, rng);
          const y = tf.gather(oneHot, sampleRows) as tf.Tensor2D;
          const hv = headVariables();
          let correct: tf.Tensor | undefined;
          const { value, grads } = tf.variableGrads(() => {
            const features = tail.apply(x, { training: false }) as tf.Tensor;
            const predictions = trainingOutput(head, features, rng) as tf.Tensor2D;
            correct = tf.keep(tf.equal(tf.argMax(predictions, 1), tf.argMax(y, 1)).sum());
            return weightedCrossEntropy(y, predictions, weightsTensor);
          }, [...hv, ...tailVariables]);
          const named = (vs: tf.Variable[]) => vs.map((v) => ({ name: v.name, tensor: grads[v.name] }));
          headOptimizer.applyGradients(named(hv));
          tailOptimizer.applyGradients(named(tailVariables));
          return [value.mul(rows.length) as tf.Scalar, correct as tf.Scalar];
        }),
    });
    const final = inputs.validation && yVal && !stopped ? await evaluateTail(tail, head, inputs.validation, yVal) : null;
    return {
      head,
      tail,
      history,
      stopped,
      validationPredictions: final?.predictions ?? [],
      validationConfidences: final?.confidences ?? [],
      bestEpoch,
      classWeights,
    };
  } catch (error) {
    head.dispose();
    throw error;
  } finally {
    tf.dispose([oneHot, ...(yVal ? [yVal] : [])]);
    weightsTensor?.dispose();
    earlyStopping?.dispose();
    headOptimizer.dispose();
    tailOptimizer.dispose();
  }
}

function evaluateTail(tail: tf.LayersModel, head: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) {
  return evaluateClassifier((input) => runModel(head, runModel(tail, input)) as tf.Tensor2D, x, y);
}

/** The name of a backward kernel missing on the active backend, from a tfjs error; null for other errors. */
export function missingKernelOf(error: unknown): string | null {
  const match = /Kernel '([^']+)' not registered for backend/.exec(error instanceof Error ? error.message : String(error));
  return match ? match[1] : null;
}
