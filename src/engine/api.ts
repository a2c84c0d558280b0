/**
 * The one typed contract between the page and the engine worker. Types and
 * plain data only: importing this never pulls tfjs into the main bundle.
 */
import type { AugmentSettings, EpochLogs, TrainSettings } from '../ml/settings';

export type { AugmentSettings, AugmentToggle, ClassWeightMode, EpochLogs, InitialWeights, TrainSettings } from '../ml/settings';
export { DEFAULT_TRAIN_SETTINGS } from '../ml/settings';
export { BACKBONES, DEFAULT_BACKBONE_ID, type BackboneId, type BackboneSpec, type PixelScaling } from '../ml/backbones';
import type { BackboneSpec } from '../ml/backbones';
import type { BackboneComparison, BackboneSource, ClassImagenetView, CompareProgress, CompareRequest, ImagenetView } from './backboneTypes';
export type * from './backboneTypes';

export type { CustomChoice, CustomModelInfo, FeatureCandidate } from '../ml/customBackbone';

/** Where a custom backbone comes from: a model.json URL, or model.json with its weight files. */
export type CustomBackboneSource = { url: string } | { files: IncomingFile[] };

export const BACKEND_NAMES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}

export interface EngineOptions {
  /** Force one backend (the `?backend=` query); otherwise the measured fastest. */
  backend?: BackendName;
  /** Base URL under which `models/<id>/model.json` is served (the app's base). */
  appBase: string;
  /** The backbone the backend measurement runs (the project's). */
  backboneId?: string;
  /** Earlier measurements (kept by the page); one whose device key matches is reused. */
  rememberedMeasurements?: BackendMeasurement[];
}

/** The result of timing each backend on this browser and GPU. */
export interface BackendMeasurement {
  /** Browser + GPU adapter/renderer string the result belongs to. */
  key: string;
  chosen: BackendName;
  /** Backbone images per second on each backend that ran. */
  rates: Partial<Record<BackendName, number>>;
  /** Backends that could not run, with the reason. */
  unavailable: Partial<Record<BackendName, string>>;
  /** GPU backends that run on a software rasteriser here (not timed: slower than WASM), with the renderer. */
  software?: Partial<Record<BackendName, string>>;
  /** How long the measurement took. */
  seconds: number;
  measuredAt: string;
}

export interface EngineStatus {
  backend: BackendName;
  /** Why a preferred backend was not used, in words for the user. */
  notes: string[];
  /** e.g. "SIMD, 2 threads" for WASM. */
  detail?: string;
  /** Present unless the backend was forced. */
  measurement?: BackendMeasurement;
  /** True when the measurement was remembered from an earlier start rather than run now. */
  remembered?: boolean;
}

/** A file the page hands over; the engine decodes it, the page never does. */
export interface IncomingFile {
  file: Blob;
  name: string;
}

/** A camera frame the page grabbed (already a centre square); transferred, never copied. */
export interface IncomingFrame {
  bitmap: ImageBitmap;
  name: string;
}

export interface AcceptedSample {
  id: string;
  name: string;
  /**
   * Small square JPEG for the grid (the only pixels the page holds), as a data: URL
   * like an opened project's: an <img> with a blob: URL costs the page about half a
   * millisecond to start loading, which adds up to long tasks with hundreds in view.
   */
  thumbUrl: string;
  width: number;
  height: number;
}

export interface RejectedFile {
  name: string;
  reason: string;
}

export interface ImportResult {
  accepted: AcceptedSample[];
  rejected: RejectedFile[];
  /** Set when the files could not be saved (storage full); none of this call's files were added. */
  storageProblem?: string;
}

export type { ProjectDoc, ProjectEdits, SavedTraining } from '../storage/db';
import type { ProjectDoc, ProjectEdits } from '../storage/db';

/** A project as the page opens it: the document (class names, sample ids and names; no image) and whether a model is stored. */
export interface OpenedProject {
  /** `training` is set only when its model is stored too. */
  doc: ProjectDoc;
  hasModel: boolean;
}

/** A project in the Projects list. */
export interface ProjectSummary {
  id: string;
  name: string;
  images: number;
  updatedAt: number;
}

/** The class new images go to; it is added to the stored document if that does not have it yet. */
export interface ImportTarget {
  classId: string;
  className: string;
}

/** How many of the open project's images have an embedding for the backbone in use. */
export interface EmbeddingStatus {
  backboneId: string;
  embedded: number;
  total: number;
}

/** A checked project file, ready to import; or why it was refused. */
export type ProjectFileReading<Sample = IncomingFile> =
  | {
      ok: true;
      name: string;
      backboneId: string;
      settings: TrainSettings;
      classes: { name: string; samples: Sample[] }[];
      /** The feature-layer choice when backboneId is a custom backbone's (its model came with the file). */
      customBackbone?: CustomBackboneChoice;
    }
  | { ok: false; message: string };

/** A custom model's chosen feature layer, and the backbone id and title it became. */
export type CustomBackboneChoice = import('../ml/customBackbone').CustomChoice & { specId: string; specTitle: string };

/** A class as the page's project document lists it, for exports (the bytes stay in the worker). */
export interface ExportClass {
  name: string;
  samples: { id: string; name: string }[];
}

/** What Export project writes: the document's name, backbone, settings and classes. */
export interface ProjectExportRequest {
  name: string;
  backboneId: string;
  settings: TrainSettings;
  classes: ExportClass[];
}

/** What Export dataset writes; validationSplit 0 gives the flat `<class>/<file>` layout. */
export interface DatasetExportRequest {
  classes: ExportClass[];
  validationSplit: number;
  seed: number;
}

/**
 * What the page learns of a checked project file: names and counts only. The
 * images stay in the worker (thousands of Blobs are slow to send across) and
 * are imported from there in chunks with importFromProjectFile.
 */
export type ProjectFileSummary = ProjectFileReading<{ name: string }>;

export type Phase = 'loading-backbone' | 'embedding' | 'augmenting' | 'training';

export interface Progress {
  phase: Phase;
  done: number;
  total: number;
}

export interface TrainingClass {
  name: string;
  sampleIds: string[];
}

export interface TrainRequest {
  backboneId: string;
  /** The project revision the request was made at; saved with the model's report (a newer revision means out of date). */
  revision?: number;
  classes: TrainingClass[];
  settings: TrainSettings;
}

export interface ValidationReport {
  accuracy: number;
  /** confusion[actual][predicted] */
  confusion: number[][];
  perClassAccuracy: number[];
  count: number;
  /** Per class: share of samples predicted as it that are it (NaN if none predicted). */
  precision: number[];
  /** Per class: share of its samples predicted as it (same as perClassAccuracy). */
  recall: number[];
  /** Per class, one-vs-rest: (true positives + true negatives) / all. */
  binaryAccuracy: number[];
  /** Validation samples the model got wrong, most confident mistakes first. */
  misclassified: MisclassifiedSample[];
}

export interface MisclassifiedSample {
  sampleId: string;
  /** Class indices into the outcome's labels. */
  actual: number;
  predicted: number;
  /** The predicted class's probability. */
  confidence: number;
}

/** What a run did beyond the plain settings, for the results line. */
export interface TrainDetails {
  /** Epoch whose weights the model has (early stopping can restore an earlier one). */
  bestEpoch: number;
  /** Per-class loss weights, or null when the loss was unweighted. */
  classWeights: number[] | null;
  /** Augmented training views used (0 when off). */
  augmentedViews: number;
  /** Things the user should know about this run, e.g. a backend fallback. */
  notes: string[];
}

export type TrainOutcome =
  | {
      status: 'trained';
      history: EpochLogs[];
      validation: ValidationReport | null;
      labels: string[];
      seconds: number;
      details?: TrainDetails;
      /** The model works now but could not be saved for the next visit. */
      saveProblem?: string;
    }
  | { status: 'cancelled' }
  /** The request cannot be trained as it stands; `message` says what to do. */
  | { status: 'refused'; message: string };

export interface ClassProbability {
  label: string;
  probability: number;
}

/** Which class a saliency heatmap explains (by label; the predicted class when absent), and how fine its grid is. */
export interface ExplainRequest {
  label?: string;
  /** Grid cells per side, 2 to 28 (default 7): 4× the cells cost 4× the time. */
  cells?: number;
}

/** An occlusion-sensitivity heatmap of one test image for one class ("why this class?"). */
export interface Explanation {
  /** The model's classes; `probabilities` are in this order. */
  labels: string[];
  /** Class probabilities of the untouched image (the same as predict gives). */
  probabilities: number[];
  /** The explained class and its probability. */
  label: string;
  probability: number;
  /** The most likely class. */
  predictedLabel: string;
  /** Grid over the model's input square (the centre square of the image), row-major. */
  rows: number;
  cols: number;
  /** Cell side and grey patch side, in model input pixels. */
  stride: number;
  patchSize: number;
  inputSize: number;
  /** Per cell: probability of the class untouched minus with that cell covered (negative: covering raised it). */
  drops: number[];
  /** Per cell: the positive drops scaled to 0..1 by maxDrop. */
  heat: number[];
  /** The largest probability drop, 0..1. */
  maxDrop: number;
  hottest: { row: number; col: number };
  /** Where the hottest cell lies, e.g. "top left". */
  region: string;
  /** Forward passes run (occluded copies plus the untouched image). */
  evaluations: number;
  milliseconds: number;
  backend: string;
}

export interface BatchPrediction {
  labels: string[];
  /** One row per input image; empty for images that could not be decoded. */
  probabilities: number[][];
  failed: { index: number; reason: string }[];
}

export interface ModelFilesPayload {
  modelJson: string;
  weights: Uint8Array;
  metadataJson: string;
}

/** The deployment formats written in the worker (besides the TF.js zip): see engine/exportFormats.ts. */
export type DeployFormatId = 'tflite-float' | 'tflite-quantized' | 'onnx';

export interface ExportProgress {
  stage: 'building' | 'calibrating' | 'writing';
  done: number;
  total: number;
}

/** A deployment export: a zip of the model file and labels.txt. */
export interface ExportedModelFile {
  format: DeployFormatId;
  /** Suggested download name of the zip. */
  fileName: string;
  bytes: Uint8Array;
  /** The model file inside the zip (model_unquant.tflite, model.tflite, model.onnx) and its size. */
  modelFileName: string;
  modelBytes: number;
  seconds: number;
}

export interface TrainCallbacks {
  onProgress(progress: Progress): void;
  onEpoch(logs: EpochLogs): void;
}

export interface EngineApi {
  start(options: EngineOptions): Promise<EngineStatus>;
  /** Times every backend again and switches to the fastest (between operations). */
  remeasureBackends(): Promise<EngineStatus>;
  /** Loads (or switches to) a backbone and embeds the project's images for it in the background; other backbones' embeddings stay stored. */
  useBackbone(id: string, onProgress?: (progress: Progress) => void): Promise<{ source: string }>;
  /** Tells `listener` how many images are embedded for the backbone in use, after every embedded batch. */
  watchEmbedding(listener: (status: EmbeddingStatus) => void): void;

  listProjects(): Promise<ProjectSummary[]>;
  /** The project opened last (in any earlier visit), if it still exists. */
  lastProjectId(): Promise<string | undefined>;
  createProject(doc: ProjectDoc): Promise<void>;
  /** Makes this stored project the engine's: imports and training are saved into it; null when it no longer exists. */
  openProject(projectId: string): Promise<OpenedProject | null>;
  /** Saves the page's edits (names, class order, settings); a class no longer listed is deleted with its images. */
  editProject(projectId: string, edits: Partial<ProjectEdits>): Promise<void>;
  deleteProject(projectId: string): Promise<void>;
  /** Copies a project (images, embeddings, model) under a new id, which it returns. */
  duplicateProject(projectId: string, name: string): Promise<string>;

  /** Decodes and stores files in a class of the open project (listed in its document in the same step). */
  importFiles(files: IncomingFile[], target: ImportTarget): Promise<ImportResult>;
  /** Stores camera frames as samples (JPEG), exactly like imported files; closes the bitmaps. */
  importFrames(frames: IncomingFrame[], target: ImportTarget): Promise<ImportResult>;
  removeSamples(ids: string[]): Promise<void>;
  moveSamples(ids: string[], toClassId: string): Promise<void>;
  /** Thumbnails as data: URLs, in the order asked (null for images no longer stored): the page asks only for those in view. */
  thumbnails(ids: string[]): Promise<(string | null)[]>;
  /** Original bytes of samples, in the order asked (for exports). */
  sampleFiles(ids: string[]): Promise<(Blob | undefined)[]>;

  train(request: TrainRequest, callbacks: TrainCallbacks): Promise<TrainOutcome>;
  /** Stops embedding or training after the current batch. */
  cancel(): void;
  /** Class probabilities for one image, sorted from most to least likely. */
  predict(image: Blob): Promise<ClassProbability[]>;
  /** Same as predict for a video frame (centre square taken here); closes the bitmap. */
  predictFrame(frame: ImageBitmap): Promise<ClassProbability[]>;
  /** A small copy of an image for the page to show (the page never decodes full-size images). */
  previewImage(image: Blob, maxSide: number): Promise<Blob>;
  /**
   * Occlusion heatmap of a test image for one class (default: the predicted one), with the model
   * that predict uses; `onProgress` gets occluded cells done of all. Null when cancelled.
   */
  explain(image: Blob, request: ExplainRequest, onProgress?: (done: number, total: number) => void): Promise<Explanation | null>;
  /** Stops the running explanation after its current batch, and any requested before this call. */
  cancelExplanations(): void;
  exportModel(modelName: string): Promise<ModelFilesPayload>;
  /** The trained model as TFLite (float or quantized) or ONNX, zipped with labels.txt; throws with a reason for graph backbones. */
  exportModelAs(format: DeployFormatId, modelName: string, onProgress?: (progress: ExportProgress) => void): Promise<ExportedModelFile>;
  /** `count` augmented versions of one sample as small JPEGs, drawn with the given seed. */
  previewAugmentation(sampleId: string, augmentation: AugmentSettings, count: number, seed: number): Promise<Blob[]>;
  /** Reads a model zip's files exported by this app as the start for runs with initialWeights 'imported'; throws naming what is wrong. */
  importInitialModel(files: ModelFilesPayload): Promise<{ modelName: string; labels: string[]; backboneId: string }>;
  /** Loads a custom TF.js model and lists its layers (or graph nodes) with output shapes. */
  inspectCustomBackbone(source: CustomBackboneSource): Promise<{ modelId: string; title: string; info: import('../ml/customBackbone').CustomModelInfo }>;
  /** Makes the chosen feature layer of a loaded custom model the active backbone; returns its spec. */
  useCustomBackbone(choice: import('../ml/customBackbone').CustomChoice): Promise<BackboneSpec>;
  /**
   * Checks a project zip (structure, paths, sizes, project.json, image bytes) without importing anything,
   * reading it entry by entry from the file; `onProgress` gets images checked of all.
   */
  readProjectZip(file: Blob, onProgress?: (done: number, total: number) => void): Promise<ProjectFileSummary>;
  /** The project file as a zip Blob, written here from stored samples; `onProgress` gets images written of all. */
  exportProject(request: ProjectExportRequest, onProgress?: (done: number, total: number) => void): Promise<Blob>;
  /** The ImageFolder dataset zip as a Blob, written here from stored samples. */
  exportDataset(request: DatasetExportRequest, onProgress?: (done: number, total: number) => void): Promise<Blob>;
  /** Imports samples start..start+count of class `classIndex` of the file last read by readProjectZip. */
  importFromProjectFile(classIndex: number, start: number, count: number, target: ImportTarget): Promise<ImportResult>;
  /** Forgets the file last read by readProjectZip. */
  discardProjectFile(): Promise<void>;
  /**
   * Where each catalog backbone loads from now (same-origin copy, public URL), or why it cannot.
   * `pageOnline`: the page's navigator.onLine, which is not always the worker's (see Backbones.sources).
   */
  backboneSources(pageOnline: boolean): Promise<BackboneSource[]>;
  /** A test image's pretrained ImageNet top-3, as this backbone (or, lacking an ImageNet top, the package's V1 0.25) sees it. */
  imagenetLabels(image: Blob, backboneId: string): Promise<ImagenetView>;
  /** The most frequent ImageNet labels among these samples (a class's images; an even sample of a large class). */
  classImagenetLabels(sampleIds: string[], backboneId: string): Promise<ClassImagenetView>;
  /**
   * Trains the head on each backbone with the same split and seed, caching the embeddings it
   * computes; the table is saved with the open project. Null when cancelled (see cancelComparison()).
   */
  compareBackbones(request: CompareRequest, onProgress: (progress: CompareProgress) => void): Promise<BackboneComparison | { refused: string } | null>;
  /** Stops the running comparison after its current batch (nothing of it is kept). */
  cancelComparison(): void;
  /** Makes the compared head of this backbone the model in use (saved, with `revision`); null when the engine no longer holds it. */
  useComparedModel(backboneId: string, labels: string[], revision: number): Promise<TrainOutcome | null>;
}

/** What the benchmark harness needs beyond the product API; the engine answers it only when started for a benchmark. */
export interface BenchEngineApi extends EngineApi {
  /** Embeds (and caches) samples with a backbone ahead of training; false when cancelled. */
  embedSamples(ids: string[], backboneId: string, onProgress?: (progress: Progress) => void): Promise<boolean>;
  /** Probabilities (in label order) for many images, embedded in batches; undecodable images are listed in `failed`. */
  predictBatch(images: Blob[]): Promise<BatchPrediction>;
  memory(): Promise<{ numTensors: number; numBytes: number }>;
}
