/**
 * The app's classifier as one Graph: image → backbone features (or, for a
 * fine-tuned model, the frozen prefix then the tuned tail) → head.
 */
import type * as tf from '@tensorflow/tfjs';
import { HEAD_LAYER_NAMES } from '../head';
import { GraphBuilder, type Graph } from './graph';

export interface ClassifierParts {
  /** Image → pooled features (LoadedBackbone.featureModel). */
  featureModel: tf.LayersModel;
  /** The trained head (createHead's Dense → Dropout → Dense). */
  head: tf.LayersModel;
  /** A fine-tuned model: the frozen prefix (null when the cut is the input) and the tuned tail, used instead of featureModel. */
  fineTuned?: { prefix: tf.LayersModel | null; tail: tf.LayersModel };
}

export async function classifierGraph({ featureModel, head, fineTuned }: ClassifierParts): Promise<Graph> {
  const builder = new GraphBuilder(featureModel.inputs[0].shape.slice(1) as number[]);
  let features: number;
  if (fineTuned) {
    const cut = fineTuned.prefix ? await builder.appendModel(fineTuned.prefix, 0) : 0;
    features = await builder.appendModel(fineTuned.tail, cut);
  } else {
    features = await builder.appendModel(featureModel, 0);
  }
  // Dropout is the identity at inference: only the two Dense layers are written.
  const hidden = await builder.dense(head.getLayer(HEAD_LAYER_NAMES.hidden), features);
  return builder.finish(await builder.dense(head.getLayer(HEAD_LAYER_NAMES.output), hidden));
}
