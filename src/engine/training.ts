/**
 * Training: the head on cached embeddings, or the head with the backbone's last
 * layers (fine-tuning); the trained model in use, saved with its report and
 * restored when its project opens again.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from '../ml/backbone';
import { headWeightsOf, initialisationProblem, type HeadWeights, type ModelIdentity } from '../ml/initialWeights';
import { stratifiedSplit, trainingProblem, type Split } from '../ml/split';
import { batchSizeFor, trainHead, type EmbeddingRows } from '../ml/train';
import type { EpochLogs } from '../ml/settings';
import type { ModelFilesPayload, TrainCallbacks, TrainOutcome, TrainRequest } from './api';
import { augmentationKey, embedAugmentedViews } from './augmentedEmbeddings';
import { withKernelFallback } from './backend';
import type { Backbones } from './backbones';
import type { Embeddings } from './embeddings';
import { runFineTune } from './fineTuneRun';
import { readInitialModel } from './initialModel';
import { modelStore, type SavedModel } from './modelStore';
import { yieldEvery } from './operations';
import type { Projects } from './projects';
import { validationReportOf } from './report';

export type TrainedModel = SavedModel;

/** The model in use: trained in this session, or the open project's saved one (restored on first use). */
export class ModelHolder {
  private trained: TrainedModel | null = null;
  private restoredFor: string | null = null;
  private readonly listeners: (() => void)[] = [];
  readonly store = modelStore();

  constructor(
    private readonly backbones: Backbones,
    private readonly projectId: () => string | null,
  ) {}

  /** Called whenever the model in use changes (caches built on it must go). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The trained model, or null; the project's saved model is loaded on first use (tfjs needs the backend chosen first). */
  async current(): Promise<TrainedModel | null> {
    await this.backbones.backendStarted();
    const projectId = this.projectId();
    if (!this.trained && projectId && this.restoredFor !== projectId) {
      this.restoredFor = projectId;
      this.replace(await this.store.loadModel(projectId, (id) => this.backbones.load(id)));
    }
    return this.trained;
  }

  async require(): Promise<TrainedModel> {
    const trained = await this.current();
    if (!trained) throw new Error('There is no trained model yet: add images to two classes and press Train.');
    return trained;
  }

  /** The model in memory, without restoring (for choices made before a run). */
  get inMemory(): TrainedModel | null {
    return this.trained;
  }

  /** Drops the model in use (another project opened). */
  clear(): void {
    this.replace(null);
    this.restoredFor = null;
  }

  replace(next: TrainedModel | null): void {
    if (next !== this.trained) {
      this.trained?.head.dispose();
      this.trained?.fineTuned?.dispose();
    }
    this.trained = next;
    this.listeners.forEach((listener) => listener());
  }
}

export interface TrainingDeps {
  backbones: Backbones;
  embeddings: Embeddings;
  projects: Projects;
  models: ModelHolder;
}

/** What both kinds of run start from. */
interface RunContext {
  backbone: LoadedBackbone;
  ids: string[];
  labels: number[];
  names: string[];
  started: number;
  initial: HeadWeights | null;
  notes: string[];
}

/** The loop's callbacks for a run: epochs and progress to the page, stop on the run's signal. */
function epochCallbacks(callbacks: TrainCallbacks, epochs: number, signal: AbortSignal) {
  return {
    onEpoch: (logs: EpochLogs) => {
      callbacks.onEpoch(logs);
      callbacks.onProgress({ phase: 'training' as const, done: logs.epoch, total: epochs });
    },
    shouldStop: () => signal.aborted,
    yieldBetweenBatches: yieldEvery(),
  };
}

type RunResult = { history: EpochLogs[]; validationPredictions: number[]; validationConfidences: number[]; bestEpoch: number; classWeights: number[] | null };

export class Training {
  /** A model zip's head, imported to start runs from (settings.initialWeights = 'imported'). */
  private importedHead: { weights: HeadWeights; identity: ModelIdentity; name: string } | null = null;
  /** augmentationKey → sampleId → embeddings of its augmented views (only the latest key is kept). */
  private augmentedViews: { key: string; views: Map<string, Float32Array[]> } | null = null;

  constructor(private readonly deps: TrainingDeps) {}

  reset(): void {
    this.augmentedViews = null;
  }

  forget(ids: string[]): void {
    ids.forEach((id) => this.augmentedViews?.views.delete(id));
  }

  /** Reads samples' bytes for the fine-tuning and augmentation paths; a missing one means it was removed meanwhile. */
  private async sampleBlob(id: string): Promise<Blob> {
    const [blob] = await this.deps.projects.bytes([id]);
    if (!blob) throw new Error('Some images were removed while training read them; press Train again.');
    return blob;
  }

  async train(request: TrainRequest, callbacks: TrainCallbacks, signal: AbortSignal): Promise<TrainOutcome> {
    const { settings } = request;
    const classes = request.classes.filter((c) => c.sampleIds.length > 0);
    const problem = trainingProblem(
      request.classes.map((c) => ({ name: c.name, count: c.sampleIds.length })),
      settings.validationSplit,
    );
    if (problem) return { status: 'refused', message: problem };
    const known = new Set(this.deps.projects.sampleIds());
    const missing = classes.flatMap((c) => c.sampleIds).filter((id) => !known.has(id));
    if (missing.length > 0) return { status: 'refused', message: `${missing.length} images are no longer available; add them again.` };

    const started = performance.now();
    // Continuing from the saved model: load it first, it may need its own backbone.
    if (settings.initialWeights === 'current') await this.deps.models.current();
    const backbone = await this.deps.backbones.load(request.backboneId, callbacks.onProgress);
    const ids = classes.flatMap((c) => c.sampleIds);
    const labels = classes.flatMap((c, label) => c.sampleIds.map(() => label));
    const names = classes.map((c) => c.name);
    const notes: string[] = [];
    const initial = this.initialHeadFor(settings.initialWeights, names, backbone);
    if (typeof initial === 'string') return { status: 'refused', message: initial };
    if (initial) notes.push(`Started from the ${settings.initialWeights === 'current' ? 'current model' : `imported model "${this.importedHead?.name}"`}'s weights.`);
    try {
      if (settings.fineTuneLayers > 0) {
        if (backbone.featureModel) return await this.fineTune(request, callbacks, signal, { backbone, ids, labels, names, started, initial, notes });
        notes.push(`Fine-tuning needs a layers-model backbone; ${backbone.spec.title} is a graph model, so its layers stayed frozen.`);
      }
      return await this.trainHeadOnly(request, callbacks, signal, { backbone, ids, labels, names, started, initial, notes });
    } finally {
      if (initial) tf.dispose(initial.weights);
    }
  }

  private async trainHeadOnly(
    request: TrainRequest,
    callbacks: TrainCallbacks,
    signal: AbortSignal,
    run: RunContext,
  ): Promise<TrainOutcome> {
    const { settings } = request;
    const { backbone, ids, labels, notes } = run;
    if (!(await this.deps.embeddings.embedMissing(backbone, ids, signal, callbacks.onProgress))) return { status: 'cancelled' };
    const table = await this.deps.embeddings.table(backbone.spec);
    // Rows in memory, not a tensor: training packs its batches from them.
    const embeddings: EmbeddingRows = { values: table.matrix(ids), dims: backbone.spec.embeddingSize };
    const split = stratifiedSplit(labels, settings.validationSplit, settings.seed);
    let extraTraining: { embeddings: EmbeddingRows; labels: number[] } | undefined;
    if (settings.augment && settings.augmentViews > 0) {
      extraTraining = await this.augmentedTrainingRows(backbone, split.train.map((i) => ids[i]), split.train.map((i) => labels[i]), request, callbacks, signal);
      if (!extraTraining) return { status: 'cancelled' };
    }
    const rows = split.train.length + (extraTraining?.labels.length ?? 0);
    const batchSize = batchSizeFor(settings.batchSize, rows);
    if (batchSize !== settings.batchSize) {
      notes.push(`Batches of ${batchSize} instead of ${settings.batchSize}: with ${rows.toLocaleString('en')} training rows, larger batches keep each epoch short.`);
    }
    callbacks.onProgress({ phase: 'training', done: 0, total: settings.epochs });
    const result = await withKernelFallback(
      () =>
        trainHead(
          embeddings,
          labels,
          run.names.length,
          { ...settings, batchSize },
          epochCallbacks(callbacks, settings.epochs, signal),
          { split, extraTraining, initialHead: run.initial ?? undefined },
        ),
      (note) => notes.push(note),
    );
    if (result.stopped) {
      result.head.dispose();
      return { status: 'cancelled' };
    }
    return await this.finish(request, { head: result.head, labels: run.names, backboneId: backbone.spec.id }, {
      result,
      ids,
      labels,
      split: result.split,
      started: run.started,
      augmentedViews: extraTraining?.labels.length ?? 0,
      notes,
    });
  }

  /** Trains the head together with the backbone's last layers (settings.fineTuneLayers). */
  private async fineTune(
    request: TrainRequest,
    callbacks: TrainCallbacks,
    signal: AbortSignal,
    run: RunContext,
  ): Promise<TrainOutcome> {
    const { settings } = request;
    const { backbone, ids, labels } = run;
    const split = stratifiedSplit(labels, settings.validationSplit, settings.seed);
    const tuned = await runFineTune({
      backbone,
      ids,
      labels,
      numClasses: run.names.length,
      split,
      settings,
      sample: (id) => this.sampleBlob(id),
      onProgress: callbacks.onProgress,
      shouldStop: () => signal.aborted,
      initialHead: run.initial ?? undefined,
      callbacks: epochCallbacks(callbacks, settings.epochs, signal),
    });
    if (!tuned) return { status: 'cancelled' };
    const { result, tailSplit, notes } = tuned;
    return this.finish(request, { head: result.head, labels: run.names, backboneId: backbone.spec.id, fineTuned: tailSplit }, {
      result,
      ids,
      labels,
      split,
      started: run.started,
      augmentedViews: 0,
      notes: [...run.notes, ...notes],
    });
  }

  /** Makes a finished run's model the one in use, saves it with its report, and reports the run. */
  private async finish(
    request: TrainRequest,
    model: TrainedModel,
    run: { result: RunResult; ids: string[]; labels: number[]; split: Split; started: number; augmentedViews: number; notes: string[] },
  ): Promise<TrainOutcome> {
    const { result, ids, labels, split } = run;
    this.deps.models.replace(model);
    const outcome: Extract<TrainOutcome, { status: 'trained' }> = {
      status: 'trained',
      history: result.history,
      labels: model.labels,
      seconds: (performance.now() - run.started) / 1000,
      validation: validationReportOf(ids, labels, split, result.validationPredictions, result.validationConfidences, model.labels.length),
      details: { bestEpoch: result.bestEpoch, classWeights: result.classWeights, augmentedViews: run.augmentedViews, notes: run.notes },
    };
    const projectId = this.deps.projects.current?.id;
    const saveProblem = projectId
      ? await this.deps.models.store.saveModel(projectId, model, { result: outcome, revision: request.revision ?? 0, backboneId: model.backboneId })
      : undefined;
    return saveProblem ? { ...outcome, saveProblem } : outcome;
  }

  /** Embeddings of K augmented views per training sample (cached per augmentation settings), as extra training rows. */
  private async augmentedTrainingRows(
    backbone: LoadedBackbone,
    trainIds: string[],
    trainLabels: number[],
    request: TrainRequest,
    callbacks: TrainCallbacks,
    signal: AbortSignal,
  ): Promise<{ embeddings: EmbeddingRows; labels: number[] } | undefined> {
    const { augmentation, augmentViews, seed } = request.settings;
    const key = augmentationKey(backbone.spec.id, augmentation, augmentViews, seed);
    if (this.augmentedViews?.key !== key) this.augmentedViews = { key, views: new Map() };
    const cache = this.augmentedViews.views;
    const done = await embedAugmentedViews({
      backbone,
      ids: trainIds,
      sample: (id) => this.sampleBlob(id),
      augmentation,
      views: augmentViews,
      seed,
      cache,
      onProgress: callbacks.onProgress,
      shouldStop: () => signal.aborted,
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
    return { embeddings: { values: matrix, dims }, labels };
  }

  /**
   * The head weights a run starts from: null for fresh weights, a refusal message
   * when the chosen model does not fit this project (naming the mismatch).
   */
  private initialHeadFor(choice: TrainRequest['settings']['initialWeights'], labels: string[], backbone: LoadedBackbone): HeadWeights | null | string {
    if (choice === 'fresh') return null;
    const wanted: ModelIdentity = { labels, backboneId: backbone.spec.id, embeddingSize: backbone.spec.embeddingSize };
    if (choice === 'current') {
      const trained = this.deps.models.inMemory;
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

  async importInitialModel(files: ModelFilesPayload): Promise<{ modelName: string; labels: string[]; backboneId: string }> {
    const read = await readInitialModel(files);
    if (this.importedHead) tf.dispose(this.importedHead.weights.weights);
    this.importedHead = read;
    return { modelName: read.name, labels: read.identity.labels, backboneId: read.identity.backboneId };
  }
}
