/** Reading a model zip exported by this app as the starting weights of later runs. */
import { BACKBONES } from '../ml/backbones';
import { loadExportedModel, type ModelMetadata } from '../ml/exportModel';
import { backboneOfExport, headWeightsOf, type HeadWeights, type ModelIdentity } from '../ml/initialWeights';
import type { ModelFilesPayload } from './api';

/** The head's weights and what they fit; throws, naming the problem, for zips that cannot be continued. */
export async function readInitialModel(files: ModelFilesPayload): Promise<{ weights: HeadWeights; identity: ModelIdentity; name: string }> {
  let metadata: ModelMetadata;
  try {
    metadata = JSON.parse(files.metadataJson) as ModelMetadata;
  } catch {
    throw new Error('metadata.json in this zip is not valid JSON.');
  }
  if (!Array.isArray(metadata.labels)) throw new Error('metadata.json in this zip has no list of labels.');
  const model = await loadExportedModel({ 'model.json': files.modelJson, 'weights.bin': files.weights }).catch((error) => {
    throw new Error(`The model in this zip could not be read: ${error instanceof Error ? error.message : error}`);
  });
  try {
    if (model.layers.some((l) => l.name === 'ts_finetuned_tail')) {
      throw new Error('This model has fine-tuned backbone layers; starting from such a model is not supported. Use one trained with a frozen backbone.');
    }
    const backboneId = backboneOfExport(metadata, model, BACKBONES);
    if (!backboneId) throw new Error('Could not tell which backbone this model was trained on; only models exported by Transfer Studio can be continued.');
    const weights = headWeightsOf(model);
    const name = metadata.modelName ?? 'model';
    return { weights, identity: { labels: metadata.labels, backboneId, embeddingSize: weights.inputSize }, name };
  } finally {
    model.dispose();
  }
}
