/**
 * Layers models as plain data and back: the tf.io model artifacts an in-memory
 * save produces, with the weights joined into one ArrayBuffer so the result can
 * be structured-cloned (IndexedDB, postMessage).
 */
import * as tf from '@tensorflow/tfjs';

/** A layers model's topology, weight manifest and weights, as plain data. */
export interface ModelData {
  modelTopology: unknown;
  weightSpecs: unknown;
  weightData: ArrayBuffer;
}

/** The model's artifacts, saved to memory (nothing leaves the page). */
export async function saveToMemory(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!saved?.weightData) throw new Error(`The model "${model.name}" could not be serialised.`);
  return saved;
}

export async function modelDataOf(model: tf.LayersModel): Promise<ModelData> {
  const artifacts = await saveToMemory(model);
  return {
    modelTopology: artifacts.modelTopology,
    weightSpecs: artifacts.weightSpecs,
    weightData: tf.io.CompositeArrayBuffer.join(artifacts.weightData!),
  };
}

/** A new model (own weights) from data made by modelDataOf. */
export function loadModelData(data: ModelData): Promise<tf.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: data.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: data.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: data.weightData,
    }),
  );
}
