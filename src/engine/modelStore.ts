/**
 * The trained model of a project in IndexedDB: the head, and the fine-tuned
 * backbone tail when there is one, saved as one record with its run's report,
 * and loaded back when the project is used again. Runs in the worker.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from '../ml/backbone';
import { restoreTail, tailDataOf, type TailSplit } from '../ml/fineTune';
import { loadModelData, modelDataOf } from '../ml/modelData';
import { QUOTA_MESSAGE, getHead, isQuotaError, putHeadWithReport, type SavedTraining, type StoredHead } from '../storage/db';

/** A trained model as the engine uses it. */
export interface SavedModel {
  head: tf.LayersModel;
  labels: string[];
  backboneId: string;
  /** Set when the backbone's last layers were fine-tuned: predictions and export go through this tail. */
  fineTuned?: TailSplit;
}

export function modelStore() {
  const describe = (error: unknown, what: string) =>
    isQuotaError(error) ? QUOTA_MESSAGE : `${what} could not be saved in this browser: ${error instanceof Error ? error.message : error}`;

  return {
    /**
     * Saves the model in place of the project's previous one, head and fine-tuned
     * tail in one record, together with its run's report (one transaction): when
     * storage refuses, the previous model and report stay whole and the message says why.
     */
    async saveModel(projectId: string, { head, labels, backboneId, fineTuned }: SavedModel, training: SavedTraining): Promise<string | undefined> {
      let record: StoredHead;
      try {
        record = {
          projectId,
          backboneId,
          labels,
          ...(await modelDataOf(head)),
          ...(fineTuned ? { fineTuned: await tailDataOf(fineTuned) } : {}),
          savedAt: Date.now(),
        };
      } catch (error) {
        return `The trained model could not be serialised for saving: ${error instanceof Error ? error.message : error}`;
      }
      try {
        await putHeadWithReport(record, training);
      } catch (error) {
        return describe(error, 'The trained model');
      }
      return undefined;
    },

    /**
     * The project's saved model, or null when it has none. A fine-tuned tail is put
     * back on the frozen prefix of its backbone, which `backboneFor` loads.
     */
    async loadModel(projectId: string, backboneFor: (id: string) => Promise<LoadedBackbone>): Promise<SavedModel | null> {
      const saved = await getHead(projectId);
      if (!saved) return null;
      const { labels, backboneId, fineTuned: tail } = saved;
      const head = await loadModelData(saved);
      if (!tail) return { head, labels, backboneId };
      try {
        const backbone = await backboneFor(backboneId);
        if (!backbone.featureModel) throw new Error(`The saved model has fine-tuned layers, but ${backbone.spec.title} is not a layers model.`);
        return { head, labels, backboneId, fineTuned: await restoreTail(backbone.featureModel, tail) };
      } catch (error) {
        head.dispose();
        throw error;
      }
    },
  };
}
