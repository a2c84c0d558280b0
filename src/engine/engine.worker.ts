/// <reference lib="webworker" />
/**
 * The engine: the only place TensorFlow.js runs and the only writer of the
 * project database. This file only composes the capability modules and maps
 * the EngineApi onto them:
 *   backbones.ts   backend choice, catalog and custom backbones
 *   projects.ts    project documents, samples, thumbnails, import
 *   embeddings.ts  the packed embedding cache and the background embedder
 *   training.ts    head training, fine-tuning, the model in use
 *   inference.ts   predictions, heatmaps, export
 *   imagenetLabels.ts  what the backbone sees (pretrained ImageNet labels)
 *   compareBackbones.ts  Compare backbones and its heads
 *   operations.ts  one-at-a-time ordering and cancellation
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { putEmbeddingBlock, readEmbeddings } from '../storage/db';
import type {
  BenchEngineApi,
  CustomBackboneSource,
  EmbeddingStatus,
  EngineOptions,
  ExplainRequest,
  ImportResult,
  ImportTarget,
  IncomingFile,
  IncomingFrame,
  ModelFilesPayload,
  ProjectDoc,
  ProjectEdits,
  DatasetExportRequest,
  DeployFormatId,
  ExportProgress,
  ProjectExportRequest,
  ProjectFileSummary,
  Progress,
  TrainCallbacks,
  TrainRequest,
  CompareProgress,
  CompareRequest,
} from './api';
import type { AugmentSettings } from '../ml/settings';
import type { CustomChoice } from '../ml/customBackbone';
import { augmentationPreview } from './augmentedEmbeddings';
import { Backbones } from './backbones';
import { Comparisons } from './compareBackbones';
import { Embeddings } from './embeddings';
import { ImagenetLabels } from './imagenetLabels';
import { modelPixels } from './images';
import { decodingWorker } from './importDecoding';
import { Inference } from './inference';
import { exclusive, Operations } from './operations';
import { checkProjectFile, exportProjectFile, writeDatasetFile, type PendingProjectFile } from './projectFiles';
import { Projects } from './projects';
import { ModelHolder, Training } from './training';

const operations = new Operations();
/** Imports and stored images are decoded on a thread of their own: this one is busy running the backbone. */
const decoding = decodingWorker(() => new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: 'transfer-studio-decode' }));
const backbones = new Backbones();
const embeddingListeners: ((status: EmbeddingStatus) => void)[] = [];
let projects: Projects;
const embeddings = new Embeddings({
  store: {
    read: readEmbeddings,
    save: (projectId, backboneId, sampleIds, vectors) => putEmbeddingBlock({ projectId, backboneId, sampleIds, vectors }),
  },
  bytes: (ids) => projects.bytes(ids),
  pixels: decoding.pixels,
  project: () => (projects.current ? { id: projects.current.id, sampleIds: () => projects.sampleIds() } : null),
  backbone: (id) => backbones.load(id),
  onStatus: (status) => embeddingListeners.forEach((listener) => listener(status)),
  // Training and Compare backbones embed what they need themselves (and hold the backbone).
  paused: () => operations.isRunning('training') || operations.isRunning('comparison'),
});
projects = new Projects(() => embeddings.backgroundInputSize(), decoding.decode);
const models = new ModelHolder(backbones, () => projects.current?.id ?? null);
const training = new Training({ backbones, embeddings, projects, models });
const inference = new Inference(backbones, models);
const comparisons = new Comparisons({ backbones, embeddings, projects, models, pixels: modelPixels });
/** What the backbone sees; the model that labels for backbones without an ImageNet top loads on first use. */
const imagenet = new ImagenetLabels({
  loadSideModel: (id) => backbones.loadSide(id),
  pixels: modelPixels,
  bytes: (ids) => projects.bytes(ids),
});
/** The project file last checked by readProjectZip, imported from here chunk by chunk. */
let pendingProjectFile: PendingProjectFile | null = null;

/** After an import chunk is stored: its images go to the background embedder, pixels and all (decoded once). */
async function imported(outcome: Awaited<ReturnType<Projects['importFiles']>>): Promise<ImportResult> {
  await embeddings.queueImported(outcome.decoded.map((d) => ({ id: d.stored.id, pixels: d.pixels })));
  return outcome.result;
}

const engine: BenchEngineApi = {
  start: (options: EngineOptions) => backbones.start(options),
  remeasureBackends: () =>
    exclusive(() => {
      // Its model lives on the old backend; loaded again on next use.
      imagenet.dispose();
      return backbones.remeasure();
    }),
  useBackbone: (id: string, onProgress?: (progress: Progress) => void) =>
    exclusive(async () => {
      const loaded = await backbones.load(id, onProgress);
      void embeddings.embedInBackground(loaded.spec);
      return { source: loaded.source };
    }),
  watchEmbedding: (listener) => void embeddingListeners.push(listener),

  listProjects: () => projects.list(),
  lastProjectId: () => projects.lastOpened(),
  createProject: (doc: ProjectDoc) => projects.create(doc),
  openProject: (id: string) =>
    exclusive(async () => {
      operations.cancel('background');
      embeddings.reset();
      training.reset();
      comparisons.discard();
      models.clear();
      return projects.open(id);
    }),
  editProject: (id: string, edits: Partial<ProjectEdits>) => projects.edit(id, edits),
  deleteProject: (id: string) =>
    exclusive(async () => {
      if (projects.current?.id === id) {
        embeddings.reset();
        comparisons.discard();
        models.clear();
      }
      await projects.delete(id);
    }),
  duplicateProject: (id: string, name: string) => projects.duplicate(id, name),

  importFiles: async (files: IncomingFile[], target: ImportTarget) => imported(await projects.importFiles(files, target)),
  importFrames: async (frames: IncomingFrame[], target: ImportTarget) => imported(await projects.importFrames(frames, target)),
  removeSamples: async (ids: string[]) => {
    embeddings.forget(ids);
    training.forget(ids);
    await projects.remove(ids);
  },
  moveSamples: (ids: string[], toClassId: string) => projects.move(ids, toClassId),
  thumbnails: (ids: string[]) => projects.thumbnails(ids),
  sampleFiles: (ids: string[]) => projects.bytes(ids),

  train: (request: TrainRequest, callbacks: TrainCallbacks) =>
    operations.run('training', (signal) => exclusive(() => training.train(request, callbacks, signal))),
  cancel: () => operations.cancel('training'),
  predict: (image: Blob) => exclusive(() => inference.predict(image)),
  predictFrame: (frame: ImageBitmap) => exclusive(() => inference.predictFrame(frame)),
  previewImage: (image: Blob, maxSide: number) => inference.previewImage(image, maxSide),
  explain: (image: Blob, request: ExplainRequest, onProgress?: (done: number, total: number) => void) =>
    operations.run('explanation', (signal) => exclusive(() => inference.explain(image, request, signal, onProgress))),
  cancelExplanations: () => operations.cancel('explanation'),
  exportModel: (modelName: string) => exclusive(() => inference.exportModel(modelName)),
  exportModelAs: (format: DeployFormatId, modelName: string, onProgress?: (progress: ExportProgress) => void) =>
    exclusive(() =>
      inference.exportModelAs(format, modelName, {
        // Calibration images for the quantized file: the project's own, read from storage.
        sampleIds: projects.sampleIds(),
        pixelsOf: async (id, size) => {
          const [blob] = await projects.bytes([id]);
          if (!blob) throw new Error('An image was removed while the model was being exported; export again.');
          return modelPixels(blob, size);
        },
        onProgress,
      }),
    ),
  previewAugmentation: (sampleId: string, augmentation: AugmentSettings, count: number, seed: number) =>
    exclusive(async () => {
      const [sample] = await projects.bytes([sampleId]);
      if (!sample) throw new Error('That image is no longer available.');
      return augmentationPreview(sample, augmentation, count, seed);
    }),
  importInitialModel: (files: ModelFilesPayload) => exclusive(() => training.importInitialModel(files)),
  inspectCustomBackbone: (source: CustomBackboneSource) => exclusive(() => backbones.inspectCustom(source)),
  useCustomBackbone: (choice: CustomChoice) =>
    exclusive(async () => {
      const spec = await backbones.useCustom(choice);
      void embeddings.embedInBackground(spec);
      return spec;
    }),
  readProjectZip: async (file: Blob, onProgress?: (done: number, total: number) => void): Promise<ProjectFileSummary> => {
    const { summary, pending } = await checkProjectFile(file, onProgress);
    pendingProjectFile = pending;
    return summary;
  },
  exportProject: (request: ProjectExportRequest, onProgress?: (done: number, total: number) => void) => exportProjectFile(request, onProgress),
  exportDataset: (request: DatasetExportRequest, onProgress?: (done: number, total: number) => void) => writeDatasetFile(request, onProgress),
  importFromProjectFile: async (classIndex: number, start: number, count: number, target: ImportTarget) => {
    if (!pendingProjectFile) throw new Error('The project file is no longer loaded; import it again.');
    return imported(await projects.importFiles(await pendingProjectFile.samples(classIndex, start, count), target));
  },
  discardProjectFile: async () => {
    pendingProjectFile = null;
  },

  backboneSources: (pageOnline: boolean) => backbones.sources(pageOnline),
  imagenetLabels: (image: Blob, backboneId: string) => exclusive(async () => imagenet.ofImage(await backbones.load(backboneId), image)),
  classImagenetLabels: (sampleIds: string[], backboneId: string) => exclusive(async () => imagenet.ofClass(await backbones.load(backboneId), sampleIds)),
  compareBackbones: (request: CompareRequest, onProgress: (progress: CompareProgress) => void) =>
    operations.run('comparison', (signal) => exclusive(() => comparisons.run(request, signal, onProgress))),
  cancelComparison: () => operations.cancel('comparison'),
  useComparedModel: (backboneId: string, labels: string[], revision: number) =>
    exclusive(async () => {
      const outcome = await comparisons.use(backboneId, labels, revision);
      if (outcome) void embeddings.embedInBackground(backbones.spec(backboneId));
      return outcome;
    }),

  // Benchmark harness only (BenchEngineApi).
  embedSamples: (ids: string[], backboneId: string, onProgress?: (progress: Progress) => void) =>
    operations.run('training', (signal) =>
      exclusive(async () => embeddings.embedMissing(await backbones.load(backboneId, onProgress), ids, signal, onProgress)),
    ),
  predictBatch: (images: Blob[]) => exclusive(() => inference.predictBatch(images)),
  memory: async () => {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  },
};

Comlink.expose(engine);
