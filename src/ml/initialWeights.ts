/**
 * Weight initialisation: start a run from an earlier head (the current model, or
 * one read back from a model zip this app exported) instead of random weights.
 */
import * as tf from '@tensorflow/tfjs';
import { createHead, HEAD_LAYER_NAMES } from './head';
import type { ModelMetadata } from './exportModel';

/** A head's weights and shape, independent of whatever model they were read from. */
export interface HeadWeights {
  inputSize: number;
  hiddenUnits: number;
  numClasses: number;
  /** [hidden kernel, hidden bias, output kernel, output bias] */
  weights: tf.Tensor[];
}

/** Copies the head's dense weights out of a head or a whole exported classifier. */
export function headWeightsOf(model: tf.LayersModel): HeadWeights {
  let hidden: tf.Tensor[];
  let output: tf.Tensor[];
  try {
    hidden = model.getLayer(HEAD_LAYER_NAMES.hidden).getWeights();
    output = model.getLayer(HEAD_LAYER_NAMES.output).getWeights();
  } catch {
    throw new Error('This model has no Transfer Studio classifier layers (ts_head_hidden, ts_head_output); only models exported by this app can be continued.');
  }
  const [inputSize, hiddenUnits] = hidden[0].shape as [number, number];
  return { inputSize, hiddenUnits, numClasses: output[0].shape[1] as number, weights: [...hidden, ...output].map((w) => w.clone()) };
}

/** A trainable head with these weights; dropout and seed come from the run's settings. */
export function headFrom(initial: HeadWeights, inputSize: number, numClasses: number, dropout: number, seed: number): tf.Sequential {
  if (initial.inputSize !== inputSize || initial.numClasses !== numClasses) {
    throw new Error(
      `The starting model maps ${initial.inputSize} features to ${initial.numClasses} classes; this run needs ${inputSize} features and ${numClasses} classes.`,
    );
  }
  const head = createHead({ inputSize: initial.inputSize, numClasses: initial.numClasses, hiddenUnits: initial.hiddenUnits, dropout, seed });
  head.getLayer(HEAD_LAYER_NAMES.hidden).setWeights(initial.weights.slice(0, 2));
  head.getLayer(HEAD_LAYER_NAMES.output).setWeights(initial.weights.slice(2));
  return head;
}

export interface ModelIdentity {
  labels: string[];
  backboneId: string;
  embeddingSize: number;
}

/**
 * Why a model cannot be the starting point of this project's run, naming the
 * mismatch; null when it can.
 */
export function initialisationProblem(source: string, found: ModelIdentity, wanted: ModelIdentity): string | null {
  if (found.backboneId !== wanted.backboneId) {
    return `${source} was trained on the backbone "${found.backboneId}", but this project uses "${wanted.backboneId}". Switch the backbone or train from fresh weights.`;
  }
  if (found.embeddingSize !== wanted.embeddingSize) {
    return `${source} expects ${found.embeddingSize} features from the backbone, but "${wanted.backboneId}" gives ${wanted.embeddingSize}.`;
  }
  const same = found.labels.length === wanted.labels.length && found.labels.every((l, i) => l === wanted.labels[i]);
  if (!same) {
    return `${source} has the classes ${quote(found.labels)}, but this project has ${quote(wanted.labels)}. The classes (and their order) must match to continue training.`;
  }
  return null;
}

const quote = (labels: string[]) => labels.map((l) => `"${l}"`).join(', ');

/** The backbone a zip from this app was trained on: recorded by newer exports, else inferred from its layers. */
export function backboneOfExport(metadata: ModelMetadata, model: tf.LayersModel, candidates: readonly { id: string; featureNode: string }[]): string | null {
  if (metadata.transferStudio?.backboneId) return metadata.transferStudio.backboneId;
  if (metadata.backbone?.id) return metadata.backbone.id;
  const names = new Set(model.layers.map((l) => l.name));
  return candidates.find((c) => names.has(c.featureNode))?.id ?? null;
}
