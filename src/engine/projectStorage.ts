/**
 * The engine's side of auto-save: the open project's sample bytes,
 * embeddings (per backbone) and trained model (head, and the fine-tuned
 * backbone tail when there is one) go to IndexedDB as they are made, and come
 * back when the project is opened again. Runs in the worker.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from '../ml/backbone';
import { restoreTail, tailDataOf, type TailSplit } from '../ml/fineTune';
import { loadModelData, modelDataOf } from '../ml/modelData';
import {
  QUOTA_MESSAGE,
  embeddingKey,
  embeddingsOf,
  deleteSamples,
  getHead,
  isQuotaError,
  putEmbeddings,
  putHead,
  putSamples,
  samplesOf,
  type StoredHead,
} from '../storage/db';

export interface NewSample {
  id: string;
  name: string;
  bytes: Blob;
  thumbnail: Blob;
  width: number;
  height: number;
}

/** A trained model as the engine uses it. */
export interface SavedModel {
  head: tf.LayersModel;
  labels: string[];
  backboneId: string;
  /** Set when the backbone's last layers were fine-tuned: predictions and export go through this tail. */
  fineTuned?: TailSplit;
}

export function projectStorage() {
  let projectId: string | null = null;
  let savedHead: StoredHead | null = null;
  /** Backbones whose stored embeddings were already read into the in-memory cache. */
  const restoredBackbones = new Set<string>();

  const describe = (error: unknown, what: string) =>
    isQuotaError(error) ? QUOTA_MESSAGE : `${what} could not be saved in this browser: ${error instanceof Error ? error.message : error}`;

  return {
    async open(id: string) {
      projectId = id;
      restoredBackbones.clear();
      const stored = await samplesOf(id);
      savedHead = (await getHead(id)) ?? null;
      return {
        bytes: new Map(stored.map((s) => [s.id, s.bytes] as const)),
        samples: stored.map((s) => ({ id: s.id, name: s.name, thumbnail: s.thumbnail })),
        hasModel: savedHead !== null,
      };
    },

    /** Stores all of one import call or none; returns a message when storage refused. */
    async saveSamples(samples: NewSample[]): Promise<string | undefined> {
      if (!projectId || samples.length === 0) return undefined;
      const owner = projectId;
      try {
        await putSamples(samples.map((s) => ({ ...s, projectId: owner })));
      } catch (error) {
        return describe(error, 'The images');
      }
      return undefined;
    },

    async removeSamples(ids: string[]): Promise<void> {
      if (projectId && ids.length > 0) await deleteSamples(ids);
    },

    async restoreEmbeddings(backboneId: string, cache: Map<string, Float32Array>): Promise<void> {
      if (!projectId || restoredBackbones.has(backboneId)) return;
      restoredBackbones.add(backboneId);
      for (const row of await embeddingsOf(projectId, backboneId)) if (!cache.has(row.sampleId)) cache.set(row.sampleId, row.vector);
    },

    /** Embeddings are a cache: when storage is full they are simply recomputed next time. */
    async saveEmbeddings(backboneId: string, sampleIds: string[], vectors: Float32Array[]): Promise<void> {
      if (!projectId) return;
      const owner = projectId;
      await putEmbeddings(
        sampleIds.map((sampleId, i) => ({ key: embeddingKey(backboneId, sampleId), projectId: owner, sampleId, backboneId, vector: vectors[i] })),
      ).catch((error) => console.warn('Embeddings not saved:', error));
    },

    /**
     * Saves the model in place of the project's previous one, head and fine-tuned
     * tail in one record (one put): when storage refuses, the previous model stays
     * whole and the message says why.
     */
    async saveModel({ head, labels, backboneId, fineTuned }: SavedModel): Promise<string | undefined> {
      if (!projectId) return undefined;
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
        await putHead(record);
        savedHead = record;
      } catch (error) {
        return describe(error, 'The trained model');
      }
      return undefined;
    },

    /**
     * The saved model, or null when the project has none. A fine-tuned tail is put
     * back on the frozen prefix of its backbone, which `backboneFor` loads.
     */
    async loadModel(backboneFor: (id: string) => Promise<LoadedBackbone>): Promise<SavedModel | null> {
      if (!savedHead) return null;
      const { labels, backboneId, fineTuned: tail } = savedHead;
      const head = await loadModelData(savedHead);
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
