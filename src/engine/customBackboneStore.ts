/**
 * Custom backbones that outlive the page: when a feature layer of a custom model
 * is chosen, the model's source (its URL, or the dropped model.json and weight
 * files) is stored in IndexedDB under the model id that the backbone id
 * `custom:<modelId>:<layer>:<scaling>` carries. A project saved with that
 * backbone id rebuilds the spec from it when the backbone is next needed.
 * Runs in the worker.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackboneSpec } from '../ml/backbones';
import { customSpec, describeGraphModel, describeLayersModel, type CustomModelInfo } from '../ml/customBackbone';
import { parseCustomSpecId } from '../ml/customSpecId';
import { openStudioDb, type StoredCustomBackbone } from '../storage/db';
import type { CustomBackboneSource } from './api';
import { loadCustomModel } from './customModels';

export async function saveCustomBackbone(id: string, title: string, source: CustomBackboneSource): Promise<void> {
  const record: StoredCustomBackbone = {
    id,
    title,
    source: 'url' in source ? { url: source.url } : { files: source.files.map((f) => ({ name: f.name, file: f.file })) },
    savedAt: Date.now(),
  };
  await (await openStudioDb()).put('customBackbones', record);
}

export async function storedCustomBackbone(id: string): Promise<StoredCustomBackbone | undefined> {
  return (await openStudioDb()).get('customBackbones', id);
}

/** A custom model loaded again from its stored source, with the spec of one feature-layer choice. */
export interface RestoredCustomBackbone {
  modelId: string;
  model: tf.LayersModel | tf.GraphModel;
  info: CustomModelInfo;
  title: string;
  where: string;
  source: CustomBackboneSource;
  spec: BackboneSpec;
}

/**
 * Loads the custom backbone a stored project names by its backbone id. Errors
 * say which backbone cannot be loaded and that the project's images are not lost.
 */
export async function restoreCustomBackbone(backboneId: string): Promise<RestoredCustomBackbone> {
  const parts = parseCustomSpecId(backboneId);
  if (!parts) throw new Error(`"${backboneId}" is not a custom backbone.`);
  const stored = await storedCustomBackbone(parts.modelId);
  const keep = 'The images of this project are kept: load the model again under "Custom backbone…", or choose another backbone.';
  if (!stored) throw new Error(`This project's custom backbone (layer "${parts.featureNode}") is not stored in this browser. ${keep}`);
  const source: CustomBackboneSource = stored.source;
  let loaded;
  try {
    loaded = await loadCustomModel(source);
  } catch (error) {
    throw new Error(`This project's custom backbone "${stored.title}" cannot be loaded any more: ${error instanceof Error ? error.message : error} ${keep}`);
  }
  try {
    const info = loaded.model instanceof tf.GraphModel ? describeGraphModel(loaded.model) : describeLayersModel(loaded.model);
    const spec = customSpec({ ...parts, title: stored.title }, info);
    return { modelId: parts.modelId, model: loaded.model, info, title: stored.title, where: loaded.where, source, spec };
  } catch (error) {
    loaded.model.dispose();
    throw new Error(`This project's custom backbone "${stored.title}" no longer fits its saved choice: ${error instanceof Error ? error.message : error} ${keep}`);
  }
}
