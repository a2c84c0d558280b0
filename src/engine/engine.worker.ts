/// <reference lib="webworker" />
/**
 * The engine: the only place TensorFlow.js runs. Owns the backbone, the
 * samples' original bytes, the embedding cache and the trained model; the page
 * talks to it through the EngineApi (comlink).
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_BACKBONE_ID, getBackbone, localModelUrl, type BackboneSpec } from '../ml/backbones';
import { headWeightsOf, initialisationProblem, type HeadWeights, type ModelIdentity } from '../ml/initialWeights';
import { readInitialModel } from './initialModel';
import { loadBackbone, wrapBackbone, type LoadedBackbone } from '../ml/backbone';
import { customSpec, describeGraphModel, describeLayersModel, type CustomChoice, type CustomModelInfo } from '../ml/customBackbone';
import { loadCustomModel } from './customModels';
import { exportClassifier } from '../ml/exportModel';
import { rgbaBatchToTensor } from '../ml/preprocess';
import { DEFAULT_GRID, neutralValue, occlusionSaliency, regionName } from '../ml/saliency';
import { stratifiedSplit, trainingProblem, type Split } from '../ml/split';
import type { AugmentSettings } from '../ml/settings';
import { augmentationKey, augmentationPreview, embedAugmentedViews } from './augmentedEmbeddings';
import { runFineTune } from './fineTuneRun';
import { validationReportOf } from './report';
import { prefixModel, type TailSplit } from '../ml/fineTune';
import { foldedForward, type FoldedForward } from '../ml/foldedBackbone';
import { trainHead } from '../ml/train';
import { BACKBONES } from '../ml/backbones';
import { cachedModelJson, fetchModelJson, resolveBackboneSources } from '../ml/backboneSources';
import { compareBackbones, type ComparedModel } from './compareBackbones';
import { ImagenetLabels } from './imagenetLabels';
import type { BackboneComparison, BackboneSource, ClassImagenetView, CompareProgress, CompareRequest, ImagenetView } from './backboneTypes';
import type {
  AcceptedSample,
  BatchPrediction,
  ClassProbability,
  Explanation,
  ExplainRequest,
  EngineApi,
  EngineOptions,
  CustomBackboneSource,
  EngineStatus,
  EpochLogs,
  ImportResult,
  IncomingFile,
  IncomingFrame,
  ModelFilesPayload,
  OpenedProject,
  ProjectFileReading,
  ProjectFileSummary,
  Progress,
  TrainCallbacks,
  TrainOutcome,
  TrainRequest,
} from './api';
import { activate, backendDetail, deviceKey, measureBackends, useForcedBackend, withKernelFallback } from './backend';
import { centerSquarePixels, dataUrlOf, decodeImage, frameAsJpeg, ImageRejected, modelPixels, previewOf, thumbnailOf } from './images';
import { exclusive, yieldToEventLoop } from './scheduling';
import { projectStorage, readProjectFile, type NewSample, type SavedModel } from './projectStorage';

const EMBED_BATCH = 8;
const APP_VERSION = import.meta.env.PACKAGE_VERSION ?? '0.0.0';

type TrainedModel = SavedModel;

class Engine implements EngineApi {
  private options: EngineOptions | null = null;
  private starting: Promise<EngineStatus> | null = null;
  private status: EngineStatus | null = null;
  private backbone: LoadedBackbone | null = null;
  private readonly samples = new Map<string, Blob>();
  /** backboneId → sampleId → embedding. Survives backbone switches so switching back is free. */
  private readonly embeddings = new Map<string, Map<string, Float32Array>>();
  private trained: TrainedModel | null = null;
  /** The current fine-tuned model's folded frozen prefix (see foldedPrefix). */
  private prefixCache: { tuned: TailSplit; backbone: LoadedBackbone; prefix: FoldedForward } | null = null;
  /** augmentationKey → sampleId → embeddings of its augmented views (only the latest key is kept). */
  private augmentedViews: { key: string; views: Map<string, Float32Array[]> } | null = null;
  private cancelRequested = false;
  /** Saves samples, embeddings and the trained model of the open project in IndexedDB. */
  private readonly storage = projectStorage();
  /** The project file last checked by readProjectZip, imported from here chunk by chunk. */
  private pendingProjectFile: Extract<ProjectFileReading, { ok: true }> | null = null;
  /** Custom models the user loaded, by the engine's id; kept so switching back to them is free. */
  private readonly customModels = new Map<string, { model: tf.LayersModel | tf.GraphModel; info: CustomModelInfo; title: string; source: string }>();
  /** Spec id → spec, for each feature-layer choice made on a custom model. */
  private readonly customSpecs = new Map<string, { spec: BackboneSpec; modelId: string }>();
  /** A model zip's head, imported to start runs from (settings.initialWeights = 'imported'). */
  private importedHead: { weights: HeadWeights; identity: ModelIdentity; name: string } | null = null;
  /** Explanations are numbered as requested; those numbered up to `explanationsCancelled` stop (or never start). */
  private explanationsRequested = 0;
  private explanationsCancelled = 0;
  /** Heads trained by the last Compare backbones, by backbone id ("Use this backbone"). */
  private comparedModels = new Map<string, ComparedModel>();
  /** ImageNet labels of images ("what the backbone sees"); its fallback labeller loads on first use. */
  private readonly imagenet = new ImagenetLabels({
    loadSideModel: (id) => loadBackbone(getBackbone(id), { localUrl: this.localUrlOf(getBackbone(id)) }),
    pixels: (image, size) => modelPixels(image, size),
  });

  start(options: EngineOptions): Promise<EngineStatus> {
    this.options ??= options;
    this.starting ??= this.activateBackend(options).catch((error) => {
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  /**
   * Resolves once start() has a backend running. Everything that makes tensors waits
   * for it: the page may ask for a prediction (restoring the saved model) while the
   * backend is still initialising, and tfjs throws if a tensor is made before that.
   */
  private async backendStarted(): Promise<void> {
    if (!this.starting) throw new Error('The engine has not been started');
    await this.starting;
  }

  private async activateBackend(options: EngineOptions): Promise<EngineStatus> {
    if (this.status) return this.status;
    if (options.backend) {
      this.status = await useForcedBackend(options.backend);
      return this.status;
    }
    const key = await deviceKey();
    const remembered = options.rememberedMeasurements?.find((m) => m.key === key);
    if (remembered && (await activate(remembered.chosen)) === null) {
      this.status = { backend: remembered.chosen, notes: [], detail: backendDetail(remembered.chosen), measurement: remembered, remembered: true };
      return this.status;
    }
    this.status = await this.measureAndActivate(key);
    return this.status;
  }

  remeasureBackends(): Promise<EngineStatus> {
    return exclusive(async () => {
      if (!this.options) throw new Error('The engine has not been started');
      // Models live on a backend; drop the backbone (reloaded on next use). The head's
      // variables move to the new backend by themselves when first read there.
      this.backbone?.dispose();
      this.backbone = null;
      this.status = await this.measureAndActivate(await deviceKey());
      return this.status;
    });
  }

  private async measureAndActivate(key: string): Promise<EngineStatus> {
    const spec = getBackbone(this.options?.backboneId ?? DEFAULT_BACKBONE_ID);
    const measurement = await measureBackends(key, () => loadBackbone(spec, { localUrl: this.localUrlOf(spec) }));
    const reason = await activate(measurement.chosen);
    if (reason) throw new Error(`The fastest backend (${measurement.chosen}) failed to start again: ${reason}`);
    return { backend: measurement.chosen, notes: [], detail: backendDetail(measurement.chosen), measurement };
  }

  private localUrlOf(spec: BackboneSpec): string {
    return new URL(localModelUrl(spec, this.options?.appBase ?? '/'), self.location.origin).href;
  }

  useBackbone(id: string, onProgress?: (progress: Progress) => void): Promise<{ source: string }> {
    return exclusive(async () => ({ source: (await this.loadBackbone(id, onProgress)).source }));
  }

  private async loadBackbone(id: string, onProgress?: (progress: Progress) => void): Promise<LoadedBackbone> {
    if (this.backbone?.spec.id === id) return this.backbone;
    await this.backendStarted();
    const custom = this.customSpecs.get(id);
    if (custom) {
      const stored = this.customModels.get(custom.modelId)!;
      this.backbone?.dispose();
      // The stored model outlives this wrapper: switching away must not dispose it.
      this.backbone = { ...wrapBackbone(custom.spec, stored.model, stored.source), dispose: () => {} };
      return this.backbone;
    }
    const spec = getBackbone(id);
    this.backbone?.dispose();
    this.backbone = null;
    const report = (fraction: number) => onProgress?.({ phase: 'loading-backbone', done: Math.round(fraction * 100), total: 100 });
    report(0);
    const loaded = await loadBackbone(spec, {
      localUrl: this.localUrlOf(spec),
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
          result.accepted.push(await this.storeSample(file, bitmap, name, toStore));
        } finally {
          bitmap.close();
        }
      } catch (error) {
        const reason = error instanceof ImageRejected ? error.message : `it could not be read: ${String(error)}`;
        result.rejected.push({ name, reason });
      }
    }
    return this.persistImport(result, toStore);
  }

  async importFrames(frames: IncomingFrame[]): Promise<ImportResult> {
    const result: ImportResult = { accepted: [], rejected: [] };
    const toStore: NewSample[] = [];
    for (const { bitmap, name } of frames) {
      try {
        result.accepted.push(await this.storeSample(await frameAsJpeg(bitmap), bitmap, name, toStore));
      } catch (error) {
        result.rejected.push({ name, reason: `the frame could not be stored: ${String(error)}` });
      } finally {
        bitmap.close();
      }
    }
    return this.persistImport(result, toStore);
  }

  /** Keeps a sample's file, makes its thumbnail from the already decoded bitmap and queues it for saving. */
  private async storeSample(file: Blob, bitmap: ImageBitmap, name: string, toStore: NewSample[]): Promise<AcceptedSample> {
    const id = crypto.randomUUID();
    const thumbnail = await thumbnailOf(bitmap);
    const { width, height } = bitmap;
    this.samples.set(id, file);
    toStore.push({ id, name, bytes: file, thumbnail, width, height });
    return { id, name, thumbUrl: await dataUrlOf(thumbnail), width, height };
  }

  /** Saves an import chunk in one transaction; if storage is full, the chunk is dropped and earlier ones stay. */
  private async persistImport(result: ImportResult, toStore: NewSample[]): Promise<ImportResult> {
    const storageProblem = await this.storage.saveSamples(toStore);
    if (!storageProblem) return result;
    result.accepted.forEach((a) => this.samples.delete(a.id));
    return { accepted: [], rejected: result.rejected, storageProblem };
  }

  async removeSamples(ids: string[]): Promise<void> {
    for (const id of ids) {
      this.samples.delete(id);
      for (const cache of this.embeddings.values()) cache.delete(id);
      this.augmentedViews?.views.delete(id);
    }
    await this.storage.removeSamples(ids);
  }

  embedSamples(ids: string[], backboneId: string, onProgress?: (progress: Progress) => void): Promise<boolean> {
    return exclusive(async () => {
      const unknown = ids.filter((id) => !this.samples.has(id));
      if (unknown.length > 0) throw new Error(`${unknown.length} images are no longer available; add them again.`);
      this.cancelRequested = false;
      const backbone = await this.loadBackbone(backboneId, onProgress);
      return this.embedAll(backbone, ids, onProgress ?? (() => undefined));
    });
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
    // Continuing from the saved model: load it first, it may need its own backbone.
    if (settings.initialWeights === 'current') await this.savedOrTrained();
    const backbone = await this.loadBackbone(request.backboneId, callbacks.onProgress);
    const ids = classes.flatMap((c) => c.sampleIds);
    const notes: string[] = [];
    const initial = this.initialHeadFor(settings.initialWeights, classes.map((c) => c.name), backbone);
    if (typeof initial === 'string') return { status: 'refused', message: initial };
    if (initial) notes.push(`Started from the ${settings.initialWeights === 'current' ? 'current model' : `imported model "${this.importedHead?.name}"`}'s weights.`);
    if (settings.fineTuneLayers > 0) {
      if (backbone.featureModel) {
        try {
          return await this.fineTuneNow(request, callbacks, backbone, started, initial ?? undefined, notes);
        } finally {
          if (initial) tf.dispose(initial.weights);
        }
      }
      notes.push(`Fine-tuning needs a layers-model backbone; ${backbone.spec.title} is a graph model, so its layers stayed frozen.`);
    }
    const embedded = await this.embedAll(backbone, ids, callbacks.onProgress);
    if (!embedded) {
      if (initial) tf.dispose(initial.weights);
      return { status: 'cancelled' };
    }

    const labels = classes.flatMap((c, label) => c.sampleIds.map(() => label));
    const cache = this.embeddings.get(backbone.spec.id)!;
    const dims = backbone.spec.embeddingSize;
    const matrix = new Float32Array(ids.length * dims);
    ids.forEach((id, row) => matrix.set(cache.get(id)!, row * dims));
    const embeddings = tf.tensor2d(matrix, [ids.length, dims]);
    const split = stratifiedSplit(labels, settings.validationSplit, settings.seed);
    let extraTraining: { embeddings: tf.Tensor2D; labels: number[] } | undefined;
    try {
      if (settings.augment && settings.augmentViews > 0) {
        extraTraining = await this.augmentedTrainingRows(backbone, split.train.map((i) => ids[i]), split.train.map((i) => labels[i]), request, callbacks);
        if (!extraTraining) return { status: 'cancelled' };
      }
      callbacks.onProgress({ phase: 'training', done: 0, total: settings.epochs });
      const result = await withKernelFallback(
        () =>
          trainHead(
            embeddings,
            labels,
            classes.length,
            settings,
            {
              onEpoch: (logs) => {
                callbacks.onEpoch(logs);
                callbacks.onProgress({ phase: 'training', done: logs.epoch, total: settings.epochs });
              },
              shouldStop: () => this.cancelRequested,
              yieldBetweenBatches: yieldToEventLoop,
            },
            { split, extraTraining, initialHead: initial ?? undefined },
          ),
        (note) => notes.push(note),
      );
      if (result.stopped) {
        result.head.dispose();
        return { status: 'cancelled' };
      }
      return await this.finishRun(
        { head: result.head, labels: classes.map((c) => c.name), backboneId: backbone.spec.id },
        { result, ids, labels, split: result.split, started, augmentedViews: extraTraining?.labels.length ?? 0, notes },
      );
    } finally {
      embeddings.dispose();
      extraTraining?.embeddings.dispose();
      if (initial) tf.dispose(initial.weights);
    }
  }

  /**
   * The head weights a run starts from: null for fresh weights, a refusal message
   * when the chosen model does not fit this project (naming the mismatch).
   */
  private initialHeadFor(choice: TrainRequest['settings']['initialWeights'], labels: string[], backbone: LoadedBackbone): HeadWeights | null | string {
    if (choice === 'fresh') return null;
    const wanted: ModelIdentity = { labels, backboneId: backbone.spec.id, embeddingSize: backbone.spec.embeddingSize };
    if (choice === 'current') {
      const trained = this.trained;
      if (!trained) return 'There is no current model to continue from yet: train once with fresh weights first.';
      if (trained.fineTuned) return 'The current model has fine-tuned backbone layers; continuing from it is not supported. Choose fresh weights.';
      const weights = headWeightsOf(trained.head);
      const problem = initialisationProblem('The current model', { labels: trained.labels, backboneId: trained.backboneId, embeddingSize: weights.inputSize }, wanted);
      if (problem) {
        tf.dispose(weights.weights);
        return problem;
      }
      return weights;
    }
    const imported = this.importedHead;
    if (!imported) return 'No model zip has been imported to start from: import one, or choose fresh weights.';
    const problem = initialisationProblem(`The imported model "${imported.name}"`, imported.identity, wanted);
    return problem ?? { ...imported.weights, weights: imported.weights.weights.map((w) => w.clone()) };
  }

  importInitialModel(files: ModelFilesPayload): Promise<{ modelName: string; labels: string[]; backboneId: string }> {
    return exclusive(async () => {
      const read = await readInitialModel(files);
      if (this.importedHead) tf.dispose(this.importedHead.weights.weights);
      this.importedHead = read;
      return { modelName: read.name, labels: read.identity.labels, backboneId: read.identity.backboneId };
    });
  }

  inspectCustomBackbone(source: CustomBackboneSource): Promise<{ modelId: string; title: string; info: CustomModelInfo }> {
    return exclusive(async () => {
      const { model, title, where } = await loadCustomModel(source);
      try {
        const info = model instanceof tf.GraphModel ? describeGraphModel(model) : describeLayersModel(model);
        const modelId = crypto.randomUUID().slice(0, 8);
        this.customModels.set(modelId, { model, info, title, source: where });
        return { modelId, title, info };
      } catch (error) {
        model.dispose();
        throw error;
      }
    });
  }

  useCustomBackbone(choice: CustomChoice): Promise<BackboneSpec> {
    return exclusive(async () => {
      const stored = this.customModels.get(choice.modelId);
      if (!stored) throw new Error('That custom model is no longer loaded; load it again.');
      const spec = customSpec({ ...choice, title: stored.title }, stored.info);
      this.customSpecs.set(spec.id, { spec, modelId: choice.modelId });
      const loaded = await this.loadBackbone(spec.id);
      // Run once now: a bad feature choice fails here, not in the middle of training.
      tf.tidy(() => loaded.embed(tf.zeros([1, spec.inputSize, spec.inputSize, 3]))).dispose();
      return spec;
    });
  }

  /** The fine-tuned tail with a prefix on the backbone as loaded now (it may have been reloaded since training). */
  private fineTunedParts(tuned: TailSplit, backbone: LoadedBackbone) {
    return { prefix: tuned.prefix && prefixModel(backbone.featureModel!, tuned.cutLayer), tail: tuned.tail, trainableLayers: tuned.trainableLayers };
  }

  /** Makes `next` the model in use and saves it with the project; returns why it could not be saved, if so. */
  private async replaceTrained(next: TrainedModel): Promise<string | undefined> {
    this.replaceTrainedWithoutSaving(next);
    return this.storage.saveModel(next);
  }

  /** Trains the head together with the backbone's last layers (settings.fineTuneLayers). */
  private async fineTuneNow(
    request: TrainRequest,
    callbacks: TrainCallbacks,
    backbone: LoadedBackbone,
    started: number,
    initialHead: HeadWeights | undefined,
    notesSoFar: string[],
  ): Promise<TrainOutcome> {
    const { settings } = request;
    const classes = request.classes.filter((c) => c.sampleIds.length > 0);
    const ids = classes.flatMap((c) => c.sampleIds);
    const labels = classes.flatMap((c, label) => c.sampleIds.map(() => label));
    const split = stratifiedSplit(labels, settings.validationSplit, settings.seed);
    const run = await runFineTune({
      backbone,
      ids,
      labels,
      numClasses: classes.length,
      split,
      settings,
      sample: (id) => this.samples.get(id)!,
      onProgress: callbacks.onProgress,
      shouldStop: () => this.cancelRequested,
      initialHead,
      callbacks: {
        onEpoch: (logs) => {
          callbacks.onEpoch(logs);
          callbacks.onProgress({ phase: 'training', done: logs.epoch, total: settings.epochs });
        },
        shouldStop: () => this.cancelRequested,
        yieldBetweenBatches: yieldToEventLoop,
      },
    });
    if (!run) return { status: 'cancelled' };
    const { result, tailSplit, notes } = run;
    return this.finishRun(
      { head: result.head, labels: classes.map((c) => c.name), backboneId: backbone.spec.id, fineTuned: tailSplit },
      { result, ids, labels, split, started, augmentedViews: 0, notes: [...notesSoFar, ...notes] },
    );
  }

  /** Makes a finished run's model the one in use (and saved), and reports the run. */
  private async finishRun(
    model: TrainedModel,
    run: {
      result: { history: EpochLogs[]; validationPredictions: number[]; validationConfidences: number[]; bestEpoch: number; classWeights: number[] | null };
      ids: string[];
      labels: number[];
      split: Split;
      started: number;
      augmentedViews: number;
      notes: string[];
    },
  ): Promise<TrainOutcome> {
    const { result, ids, labels, split } = run;
    const saveProblem = await this.replaceTrained(model);
    return {
      status: 'trained',
      history: result.history,
      labels: model.labels,
      seconds: (performance.now() - run.started) / 1000,
      ...(saveProblem ? { saveProblem } : {}),
      validation: validationReportOf(ids, labels, split, result.validationPredictions, result.validationConfidences, model.labels.length),
      details: { bestEpoch: result.bestEpoch, classWeights: result.classWeights, augmentedViews: run.augmentedViews, notes: run.notes },
    };
  }

  /** Embeddings of K augmented views per training sample (cached per augmentation settings), as extra training rows. */
  private async augmentedTrainingRows(
    backbone: LoadedBackbone,
    trainIds: string[],
    trainLabels: number[],
    request: TrainRequest,
    callbacks: TrainCallbacks,
  ): Promise<{ embeddings: tf.Tensor2D; labels: number[] } | undefined> {
    const { augmentation, augmentViews, seed } = request.settings;
    const key = augmentationKey(backbone.spec.id, augmentation, augmentViews, seed);
    if (this.augmentedViews?.key !== key) this.augmentedViews = { key, views: new Map() };
    const cache = this.augmentedViews.views;
    const done = await embedAugmentedViews({
      backbone,
      ids: trainIds,
      sample: (id) => this.samples.get(id)!,
      augmentation,
      views: augmentViews,
      seed,
      cache,
      onProgress: callbacks.onProgress,
      shouldStop: () => this.cancelRequested,
    });
    if (!done) return undefined;
    const dims = backbone.spec.embeddingSize;
    const matrix = new Float32Array(trainIds.length * augmentViews * dims);
    const labels: number[] = [];
    trainIds.forEach((id, i) =>
      cache.get(id)!.forEach((view) => {
        matrix.set(view, labels.length * dims);
        labels.push(trainLabels[i]);
      }),
    );
    return { embeddings: tf.tensor2d(matrix, [labels.length, dims]), labels };
  }

  previewAugmentation(sampleId: string, augmentation: AugmentSettings, count: number, seed: number): Promise<Blob[]> {
    return exclusive(async () => {
      const sample = this.samples.get(sampleId);
      if (!sample) throw new Error('That image is no longer available.');
      return augmentationPreview(sample, augmentation, count, seed);
    });
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
    const decode = (start: number) =>
      Promise.all(
        todo.slice(start, start + EMBED_BATCH).map((id) => {
          const blob = this.samples.get(id);
          if (!blob) throw new Error('Some images were removed while they were being embedded; press Train again');
          return modelPixels(blob, backbone.spec.inputSize);
        }),
      );
    // The next batch decodes (on the browser's image-decoding threads) while this one runs the backbone.
    let next = total > 0 ? decode(0) : null;
    try {
      for (let start = 0; start < total; start += EMBED_BATCH) {
        const pixels = await next!;
        next = start + EMBED_BATCH < total ? decode(start + EMBED_BATCH) : null;
        if (this.cancelRequested) return false;
        const batchIds = todo.slice(start, start + EMBED_BATCH);
        const vectors = await this.embedPixels(backbone, pixels);
        batchIds.forEach((id, i) => cache.set(id, vectors[i]));
        await this.storage.saveEmbeddings(cacheKey, batchIds, vectors);
        onProgress({ phase: 'embedding', done: Math.min(total, start + EMBED_BATCH), total });
        await yieldToEventLoop();
      }
    } finally {
      // A batch still decoding when the loop stops early is abandoned; its failure is nobody's.
      next?.catch(() => undefined);
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
    return this.classify((size) => testImagePixels(image, size));
  }

  explain(image: Blob, request: ExplainRequest, onProgress?: (done: number, total: number) => void): Promise<Explanation | null> {
    const ticket = ++this.explanationsRequested;
    const cancelled = () => ticket <= this.explanationsCancelled;
    return exclusive(async () => {
      if (cancelled()) return null;
      const started = performance.now();
      const trained = await this.restoredOrTrained();
      const backbone = await this.loadBackbone(trained.backboneId);
      const { inputSize, scaling } = backbone.spec;
      const target = request.label === undefined ? undefined : trained.labels.indexOf(request.label);
      if (target === -1) throw new Error(`The model has no class "${request.label}"; its classes are ${trained.labels.join(', ')}.`);
      const cells = Math.round(Math.min(28, Math.max(2, request.cells ?? DEFAULT_GRID)));
      const input = rgbaBatchToTensor([await testImagePixels(image, inputSize)], inputSize, scaling);
      try {
        const map = await occlusionSaliency(this.classifierFor(trained, backbone), input, {
          targetClass: target,
          stride: Math.ceil(inputSize / cells),
          fill: neutralValue(scaling),
          onProgress,
          shouldStop: cancelled,
          yieldBetweenBatches: yieldToEventLoop,
        });
        if (!map) return null;
        const { probabilities, targetClass, drops, heat, maxDrop, hottest, rows, cols } = map;
        return {
          labels: trained.labels,
          probabilities,
          label: trained.labels[targetClass],
          probability: probabilities[targetClass],
          predictedLabel: trained.labels[probabilities.indexOf(Math.max(...probabilities))],
          rows,
          cols,
          stride: map.stride,
          patchSize: map.patchSize,
          inputSize,
          drops,
          heat,
          maxDrop,
          hottest,
          region: regionName(hottest.row, hottest.col, rows, cols),
          evaluations: map.evaluations,
          milliseconds: Math.round(performance.now() - started),
          backend: tf.getBackend(),
        };
      } finally {
        input.dispose();
      }
    });
  }

  cancelExplanations(): void {
    this.explanationsCancelled = this.explanationsRequested;
  }

  predictFrame(frame: ImageBitmap): Promise<ClassProbability[]> {
    return this.classify(async (size) => centerSquarePixels(frame, size)).finally(() => frame.close());
  }

  /** Runs backbone + head on one image's model-sized pixels; shared by images and video frames. */
  private classify(pixelsAt: (size: number) => Promise<Uint8ClampedArray>): Promise<ClassProbability[]> {
    return exclusive(async () => {
      const trained = await this.restoredOrTrained();
      const backbone = await this.loadBackbone(trained.backboneId);
      const pixels = await pixelsAt(backbone.spec.inputSize);
      const [probabilities] = await this.classifyPixels(trained, backbone, [pixels]);
      return trained.labels
        .map((label, i) => ({ label, probability: probabilities[i] }))
        .sort((a, b) => b.probability - a.probability);
    });
  }

  async previewImage(image: Blob, maxSide: number): Promise<Blob> {
    return previewOf(image, maxSide).catch((error) => {
      throw new Error(`This image cannot be shown: ${error instanceof Error ? error.message : error}`);
    });
  }

  predictBatch(images: Blob[]): Promise<BatchPrediction> {
    return exclusive(async () => {
      const trained = await this.restoredOrTrained();
      const backbone = await this.loadBackbone(trained.backboneId);
      const result: BatchPrediction = { labels: trained.labels, probabilities: images.map(() => []), failed: [] };
      for (let start = 0; start < images.length; start += EMBED_BATCH) {
        const decoded: { index: number; pixels: Uint8ClampedArray }[] = [];
        for (let index = start; index < Math.min(images.length, start + EMBED_BATCH); index++) {
          try {
            decoded.push({ index, pixels: await modelPixels(images[index], backbone.spec.inputSize) });
          } catch (error) {
            result.failed.push({ index, reason: error instanceof Error ? error.message : String(error) });
          }
        }
        if (decoded.length === 0) continue;
        const rows = await this.classifyPixels(trained, backbone, decoded.map((d) => d.pixels));
        decoded.forEach((d, i) => (result.probabilities[d.index] = rows[i]));
      }
      return result;
    });
  }

  /**
   * The trained model as one function: preprocessed images [N, s, s, 3] → class probabilities [N, C],
   * through the backbone (or its frozen prefix and fine-tuned tail) and the head. Call it inside tf.tidy.
   */
  private classifierFor(trained: TrainedModel, backbone: LoadedBackbone): (input: tf.Tensor4D) => tf.Tensor2D {
    const tuned = trained.fineTuned;
    const prefix = tuned ? this.foldedPrefix(tuned, backbone) : null;
    return (input) => {
      const features = tuned ? (tuned.tail.predict(prefix ? prefix.run(input) : input) as tf.Tensor) : backbone.embed(input);
      return trained.head.predict(features) as tf.Tensor2D;
    };
  }

  /**
   * The fine-tuned model's frozen prefix as a folded pass, built once per model and
   * backbone rather than per prediction (the live preview classifies every frame).
   */
  private foldedPrefix(tuned: TailSplit, backbone: LoadedBackbone): FoldedForward | null {
    if (!tuned.prefix) return null;
    if (this.prefixCache?.tuned !== tuned || this.prefixCache.backbone !== backbone) {
      this.prefixCache?.prefix.dispose();
      this.prefixCache = { tuned, backbone, prefix: foldedForward(backbone.featureModel!, tuned.cutLayer) };
    }
    return this.prefixCache.prefix;
  }

  /** Backbone + head on model-sized pixels; one row of class probabilities per image. */
  private async classifyPixels(trained: TrainedModel, backbone: LoadedBackbone, pixels: Uint8ClampedArray[]): Promise<number[][]> {
    const classifier = this.classifierFor(trained, backbone);
    const output = tf.tidy(() => classifier(rgbaBatchToTensor(pixels, backbone.spec.inputSize, backbone.spec.scaling)));
    const rows = (await output.array()) as number[][];
    output.dispose();
    return rows;
  }

  exportModel(modelName: string): Promise<ModelFilesPayload> {
    return exclusive(async () => {
      const trained = await this.restoredOrTrained();
      const backbone = await this.loadBackbone(trained.backboneId);
      const files = await exportClassifier({
        backbone,
        head: trained.head,
        labels: trained.labels,
        modelName,
        appVersion: APP_VERSION,
        fineTuned: trained.fineTuned && this.fineTunedParts(trained.fineTuned, backbone),
      });
      const payload = { modelJson: files['model.json'], weights: files['weights.bin'], metadataJson: files['metadata.json'] };
      return Comlink.transfer(payload, [payload.weights.buffer as ArrayBuffer]);
    });
  }

  /** The trained model, or null; the project's saved model is loaded on first use (tfjs needs the backend chosen first). */
  private async savedOrTrained(): Promise<TrainedModel | null> {
    await this.backendStarted();
    if (!this.trained) this.trained = await this.storage.loadModel((id) => this.loadBackbone(id));
    return this.trained;
  }

  private async restoredOrTrained(): Promise<TrainedModel> {
    await this.savedOrTrained();
    return this.requireTrained();
  }

  openProject(projectId: string): Promise<OpenedProject> {
    return exclusive(async () => {
      this.samples.clear();
      this.embeddings.clear();
      this.augmentedViews = null;
      this.discardComparedModels();
      this.replaceTrainedWithoutSaving(null);
      const opened = await this.storage.open(projectId);
      for (const [id, bytes] of opened.bytes) this.samples.set(id, bytes);
      const samples = await Promise.all(opened.samples.map(async (s) => ({ id: s.id, name: s.name, thumbUrl: await dataUrlOf(s.thumbnail) })));
      return { samples, hasModel: opened.hasModel };
    });
  }

  async readProjectZip(data: Uint8Array): Promise<ProjectFileSummary> {
    const reading = readProjectFile(data);
    this.pendingProjectFile = reading.ok ? reading : null;
    if (!reading.ok) return reading;
    return { ...reading, classes: reading.classes.map((c) => ({ name: c.name, samples: c.samples.map((f) => ({ name: f.name })) })) };
  }

  importFromProjectFile(classIndex: number, start: number, count: number): Promise<ImportResult> {
    const pending = this.pendingProjectFile?.classes[classIndex];
    if (!pending) throw new Error('The project file is no longer loaded; import it again.');
    return this.importFiles(pending.samples.slice(start, start + count));
  }

  async discardProjectFile(): Promise<void> {
    this.pendingProjectFile = null;
  }

  private replaceTrainedWithoutSaving(next: TrainedModel | null): void {
    this.prefixCache?.prefix.dispose();
    this.prefixCache = null;
    this.trained?.head.dispose();
    this.trained?.fineTuned?.dispose();
    this.trained = next;
  }

  private requireTrained(): TrainedModel {
    if (!this.trained) throw new Error('There is no trained model yet: add images to two classes and press Train.');
    return this.trained;
  }

  async backboneSources(): Promise<BackboneSource[]> {
    // Offline the network is not asked at all: what the service worker cached is what can load.
    const probe = self.navigator.onLine || typeof caches === 'undefined' ? fetchModelJson() : cachedModelJson(caches);
    return resolveBackboneSources(BACKBONES, self.location.origin, this.options?.appBase ?? '/', probe);
  }

  imagenetLabels(image: Blob, backboneId: string): Promise<ImagenetView> {
    return exclusive(async () => this.imagenet.ofImage(await this.loadBackbone(backboneId), image));
  }

  classImagenetLabels(sampleIds: string[], backboneId: string): Promise<ClassImagenetView> {
    return exclusive(async () => {
      const images = sampleIds.flatMap((id) => this.samples.get(id) ?? []);
      if (images.length === 0) throw new Error('This class has no images to label yet.');
      return this.imagenet.ofClass(await this.loadBackbone(backboneId), images);
    });
  }

  compareBackbones(request: CompareRequest, onProgress: (progress: CompareProgress) => void): Promise<BackboneComparison | { refused: string } | null> {
    return exclusive(async () => {
      const missing = request.classes.flatMap((c) => c.sampleIds).filter((id) => !this.samples.has(id));
      if (missing.length > 0) return { refused: `${missing.length} images are no longer available; add them again.` };
      this.cancelRequested = false;
      const outcome = await compareBackbones(
        {
          spec: getBackbone,
          loadBackbone: (id, progress) => this.loadBackbone(id, (p) => p.phase === 'loading-backbone' && progress(p.done / p.total)),
          embedAll: (backbone, ids, progress) => this.embedAll(backbone, ids, (p) => progress(p.done, p.total)),
          cachedEmbeddings: (backboneId, ids) => {
            const cache = this.embeddings.get(backboneId)!;
            const dims = getBackbone(backboneId).embeddingSize;
            const matrix = new Float32Array(ids.length * dims);
            ids.forEach((id, row) => matrix.set(cache.get(id)!, row * dims));
            return matrix;
          },
          pixels: (id, size) => modelPixels(this.samples.get(id)!, size),
          shouldStop: () => this.cancelRequested,
          yieldBetweenBatches: yieldToEventLoop,
          backend: tf.getBackend(),
        },
        request,
        onProgress,
      );
      if (!outcome || 'refused' in outcome) return outcome;
      this.discardComparedModels();
      this.comparedModels = outcome.models;
      return outcome.comparison;
    });
  }

  /** Makes the head Compare backbones trained on this backbone the model in use (and saved); null when it is no longer held. */
  useComparedModel(backboneId: string, labels: string[]): Promise<TrainOutcome | null> {
    return exclusive(async () => {
      const compared = this.comparedModels.get(backboneId);
      if (!compared || compared.labels.join('\n') !== labels.join('\n')) return null;
      // The model in use is disposed when replaced: hand the head over, do not share it.
      this.comparedModels.delete(backboneId);
      await this.loadBackbone(backboneId);
      const saveProblem = await this.replaceTrained({ head: compared.head, labels: compared.labels, backboneId });
      return saveProblem ? { ...compared.outcome, saveProblem } : compared.outcome;
    });
  }

  private discardComparedModels(): void {
    for (const m of this.comparedModels.values()) m.head.dispose();
    this.comparedModels.clear();
  }

  async memory() {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  }
}

/** A test image's model-sized pixels, with a message saying the test image is the problem. */
function testImagePixels(image: Blob, size: number): Promise<Uint8ClampedArray> {
  return modelPixels(image, size).catch((error) => {
    throw new Error(`This test image cannot be used: ${error instanceof Error ? error.message : error}`);
  });
}

Comlink.expose(new Engine());
