/// <reference lib="webworker" />
/**
 * The engine: the only place TensorFlow.js runs. Owns the backbone, the
 * samples' original bytes, the embedding cache and the trained head; the page
 * talks to it through the EngineApi (comlink).
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { getBackbone, localModelUrl } from '../ml/backbones';
import { loadBackbone, type LoadedBackbone } from '../ml/backbone';
import { exportClassifier } from '../ml/exportModel';
import { confusionMatrix, perClassAccuracy, accuracy } from '../ml/metrics';
import { rgbaBatchToTensor } from '../ml/preprocess';
import { trainingProblem } from '../ml/split';
import { trainHead } from '../ml/train';
import type {
  ClassProbability,
  EngineApi,
  EngineOptions,
  EngineStatus,
  ImportResult,
  IncomingFile,
  ModelFilesPayload,
  OpenedProject,
  ProjectFileReading,
  Progress,
  TrainCallbacks,
  TrainOutcome,
  TrainRequest,
} from './api';
import { chooseBackend } from './backend';
import { decodeImage, ImageRejected, modelPixels, thumbnailOf } from './images';
import { exclusive, yieldToEventLoop } from './scheduling';
import { projectStorage, readProjectFile, type NewSample } from './projectStorage';

const EMBED_BATCH = 8;
const APP_VERSION = import.meta.env.PACKAGE_VERSION ?? '0.0.0';

interface TrainedModel {
  head: tf.LayersModel;
  labels: string[];
  backboneId: string;
}

class Engine implements EngineApi {
  private options: EngineOptions | null = null;
  private status: EngineStatus | null = null;
  private backbone: LoadedBackbone | null = null;
  private readonly samples = new Map<string, Blob>();
  /** backboneId → sampleId → embedding. Survives backbone switches so switching back is free. */
  private readonly embeddings = new Map<string, Map<string, Float32Array>>();
  private trained: TrainedModel | null = null;
  private cancelRequested = false;
  /** Saves samples, embeddings and heads of the open project in IndexedDB. */
  private readonly storage = projectStorage();

  async start(options: EngineOptions): Promise<EngineStatus> {
    if (this.status) return this.status;
    this.options = options;
    this.status = await chooseBackend(options.backend);
    return this.status;
  }

  useBackbone(id: string, onProgress?: (progress: Progress) => void): Promise<{ source: string }> {
    return exclusive(async () => ({ source: (await this.loadBackbone(id, onProgress)).source }));
  }

  private async loadBackbone(id: string, onProgress?: (progress: Progress) => void): Promise<LoadedBackbone> {
    if (this.backbone?.spec.id === id) return this.backbone;
    if (!this.options) throw new Error('The engine has not been started');
    const spec = getBackbone(id);
    this.backbone?.dispose();
    this.backbone = null;
    const report = (fraction: number) => onProgress?.({ phase: 'loading-backbone', done: Math.round(fraction * 100), total: 100 });
    report(0);
    const loaded = await loadBackbone(spec, {
      localUrl: new URL(localModelUrl(spec, this.options.appBase), self.location.origin).href,
      onProgress: report,
    });
    // The first run compiles shaders (seconds on WebGPU); do it now, not in the first batch.
    tf.tidy(() => loaded.embed(tf.zeros([1, spec.inputSize, spec.inputSize, 3]))).dispose();
    report(1);
    this.backbone = loaded;
    return loaded;
  }

  async importFiles(files: IncomingFile[]): Promise<ImportResult> {
    const result: ImportResult = { accepted: [], rejected: [] };
    const toStore: NewSample[] = [];
    for (const { file, name } of files) {
      try {
        const bitmap = await decodeImage(file);
        try {
          const id = crypto.randomUUID();
          result.accepted.push({ id, name, thumbnail: await thumbnailOf(bitmap), width: bitmap.width, height: bitmap.height });
          this.samples.set(id, file);
          toStore.push({ id, name, bytes: file, thumbnail: result.accepted.at(-1)!.thumbnail, width: bitmap.width, height: bitmap.height });
        } finally {
          bitmap.close();
        }
      } catch (error) {
        const reason = error instanceof ImageRejected ? error.message : `it could not be read: ${String(error)}`;
        result.rejected.push({ name, reason });
      }
    }
    const storageProblem = await this.storage.saveSamples(toStore);
    if (storageProblem) {
      result.accepted.forEach((a) => this.samples.delete(a.id));
      return { accepted: [], rejected: result.rejected, storageProblem };
    }
    return result;
  }

  async removeSamples(ids: string[]): Promise<void> {
    for (const id of ids) {
      this.samples.delete(id);
      for (const cache of this.embeddings.values()) cache.delete(id);
    }
    await this.storage.removeSamples(ids);
  }

  cancel(): void {
    this.cancelRequested = true;
  }

  train(request: TrainRequest, callbacks: TrainCallbacks): Promise<TrainOutcome> {
    return exclusive(() => this.trainNow(request, callbacks));
  }

  private async trainNow(request: TrainRequest, callbacks: TrainCallbacks): Promise<TrainOutcome> {
    const { settings } = request;
    const classes = request.classes.filter((c) => c.sampleIds.length > 0);
    const problem = trainingProblem(
      request.classes.map((c) => ({ name: c.name, count: c.sampleIds.length })),
      settings.validationSplit,
    );
    if (problem) return { status: 'refused', message: problem };
    const missing = classes.flatMap((c) => c.sampleIds).filter((id) => !this.samples.has(id));
    if (missing.length > 0) return { status: 'refused', message: `${missing.length} images are no longer available; add them again.` };

    this.cancelRequested = false;
    const started = performance.now();
    const backbone = await this.loadBackbone(request.backboneId, callbacks.onProgress);
    const ids = classes.flatMap((c) => c.sampleIds);
    const embedded = await this.embedAll(backbone, ids, callbacks.onProgress);
    if (!embedded) return { status: 'cancelled' };

    const labels = classes.flatMap((c, label) => c.sampleIds.map(() => label));
    const cache = this.embeddings.get(backbone.spec.id)!;
    const dims = backbone.spec.embeddingSize;
    const matrix = new Float32Array(ids.length * dims);
    ids.forEach((id, row) => matrix.set(cache.get(id)!, row * dims));
    const embeddings = tf.tensor2d(matrix, [ids.length, dims]);
    try {
      callbacks.onProgress({ phase: 'training', done: 0, total: settings.epochs });
      const result = await trainHead(embeddings, labels, classes.length, settings, {
        onEpoch: (logs) => {
          callbacks.onEpoch(logs);
          callbacks.onProgress({ phase: 'training', done: logs.epoch, total: settings.epochs });
        },
        shouldStop: () => this.cancelRequested,
        yieldBetweenBatches: yieldToEventLoop,
      });
      if (result.stopped) {
        result.head.dispose();
        return { status: 'cancelled' };
      }
      this.trained?.head.dispose();
      const names = classes.map((c) => c.name);
      this.trained = { head: result.head, labels: names, backboneId: backbone.spec.id };
      const saveProblem = await this.storage.saveHead(this.trained);
      const actual = result.split.validation.map((i) => labels[i]);
      const confusion = confusionMatrix(result.validationPredictions, actual, classes.length);
      return {
        status: 'trained',
        history: result.history,
        labels: names,
        seconds: (performance.now() - started) / 1000,
        ...(saveProblem ? { saveProblem } : {}),
        validation:
          actual.length > 0
            ? {
                accuracy: accuracy(result.validationPredictions, actual),
                confusion,
                perClassAccuracy: perClassAccuracy(confusion),
                count: actual.length,
              }
            : null,
      };
    } finally {
      embeddings.dispose();
    }
  }

  /** Embeds every sample not yet cached for this backbone, in batches. False when cancelled. */
  private async embedAll(backbone: LoadedBackbone, ids: string[], onProgress: (p: Progress) => void): Promise<boolean> {
    const cacheKey = backbone.spec.id;
    if (!this.embeddings.has(cacheKey)) this.embeddings.set(cacheKey, new Map());
    const cache = this.embeddings.get(cacheKey)!;
    await this.storage.restoreEmbeddings(cacheKey, cache);
    const todo = ids.filter((id) => !cache.has(id));
    const total = todo.length;
    onProgress({ phase: 'embedding', done: 0, total });
    for (let start = 0; start < total; start += EMBED_BATCH) {
      if (this.cancelRequested) return false;
      const batchIds = todo.slice(start, start + EMBED_BATCH);
      const pixels = await Promise.all(batchIds.map((id) => modelPixels(this.samples.get(id)!, backbone.spec.inputSize)));
      const vectors = await this.embedPixels(backbone, pixels);
      batchIds.forEach((id, i) => cache.set(id, vectors[i]));
      await this.storage.saveEmbeddings(cacheKey, batchIds, vectors);
      onProgress({ phase: 'embedding', done: Math.min(total, start + EMBED_BATCH), total });
      await yieldToEventLoop();
    }
    return !this.cancelRequested;
  }

  private async embedPixels(backbone: LoadedBackbone, pixels: Uint8ClampedArray[]): Promise<Float32Array[]> {
    const { inputSize, scaling, embeddingSize } = backbone.spec;
    const output = tf.tidy(() => backbone.embed(rgbaBatchToTensor(pixels, inputSize, scaling)));
    const flat = (await output.data()) as Float32Array;
    output.dispose();
    return pixels.map((_, i) => flat.slice(i * embeddingSize, (i + 1) * embeddingSize));
  }

  predict(image: Blob): Promise<ClassProbability[]> {
    return exclusive(async () => {
      const trained = await this.restoredOrTrained();
      const backbone = await this.loadBackbone(trained.backboneId);
      const pixels = await modelPixels(image, backbone.spec.inputSize).catch((error) => {
        throw new Error(`This test image cannot be used: ${error instanceof Error ? error.message : error}`);
      });
      const output = tf.tidy(() => {
        const input = rgbaBatchToTensor([pixels], backbone.spec.inputSize, backbone.spec.scaling);
        return trained.head.predict(backbone.embed(input)) as tf.Tensor;
      });
      const probabilities = await output.data();
      output.dispose();
      return trained.labels
        .map((label, i) => ({ label, probability: probabilities[i] }))
        .sort((a, b) => b.probability - a.probability);
    });
  }

  exportModel(modelName: string): Promise<ModelFilesPayload> {
    return exclusive(async () => {
      const trained = await this.restoredOrTrained();
      const backbone = await this.loadBackbone(trained.backboneId);
      const files = await exportClassifier({ backbone, head: trained.head, labels: trained.labels, modelName, appVersion: APP_VERSION });
      const payload = { modelJson: files['model.json'], weights: files['weights.bin'], metadataJson: files['metadata.json'] };
      return Comlink.transfer(payload, [payload.weights.buffer as ArrayBuffer]);
    });
  }

  /** The trained model, loading the project's saved head on first use (tfjs needs the backend chosen first). */
  private async restoredOrTrained(): Promise<TrainedModel> {
    if (!this.trained) this.trained = await this.storage.loadHead();
    return this.requireTrained();
  }

  openProject(projectId: string): Promise<OpenedProject> {
    return exclusive(async () => {
      this.samples.clear();
      this.embeddings.clear();
      this.trained?.head.dispose();
      this.trained = null;
      const opened = await this.storage.open(projectId);
      for (const [id, bytes] of opened.bytes) this.samples.set(id, bytes);
      return { samples: opened.samples, hasModel: opened.hasModel };
    });
  }

  async readProjectZip(data: Uint8Array): Promise<ProjectFileReading> {
    return readProjectFile(data);
  }

  private requireTrained(): TrainedModel {
    if (!this.trained) throw new Error('There is no trained model yet: add images to two classes and press Train.');
    return this.trained;
  }

  async memory() {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  }
}

Comlink.expose(new Engine());
