/**
 * The one typed contract between the page and the engine worker. Types and
 * plain data only: importing this never pulls tfjs into the main bundle.
 */
import type { EpochLogs, TrainSettings } from '../ml/settings';

export type { EpochLogs, TrainSettings } from '../ml/settings';
export { DEFAULT_TRAIN_SETTINGS } from '../ml/settings';
export { BACKBONES, DEFAULT_BACKBONE_ID, type BackboneId, type BackboneSpec } from '../ml/backbones';

export const BACKEND_NAMES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}

export interface EngineOptions {
  /** Force one backend (the `?backend=` query); otherwise WebGPU → WebGL → WASM → CPU. */
  backend?: BackendName;
  /** Base URL under which `models/<id>/model.json` is served (the app's base). */
  appBase: string;
}

export interface EngineStatus {
  backend: BackendName;
  /** Why a preferred backend was not used, in words for the user. */
  notes: string[];
}

/** A file the page hands over; the engine decodes it, the page never does. */
export interface IncomingFile {
  file: Blob;
  name: string;
}

export interface AcceptedSample {
  id: string;
  name: string;
  /** Small square JPEG for the grid (the only pixels the page holds). */
  thumbnail: Blob;
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

/** A project's samples as stored, handed to the page when the project opens. */
export interface OpenedProject {
  samples: { id: string; name: string; thumbnail: Blob }[];
  /** A trained head was stored with the project and is ready to predict. */
  hasModel: boolean;
}

/** A checked project file, ready to import; or why it was refused. */
export type ProjectFileReading =
  | {
      ok: true;
      name: string;
      backboneId: string;
      settings: TrainSettings;
      classes: { name: string; samples: IncomingFile[] }[];
    }
  | { ok: false; message: string };

export type Phase = 'loading-backbone' | 'embedding' | 'training';

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
  classes: TrainingClass[];
  settings: TrainSettings;
}

export interface ValidationReport {
  accuracy: number;
  /** confusion[actual][predicted] */
  confusion: number[][];
  perClassAccuracy: number[];
  count: number;
}

export type TrainOutcome =
  /** `saveProblem`: the model works now but could not be saved for the next visit. */
  | { status: 'trained'; history: EpochLogs[]; validation: ValidationReport | null; labels: string[]; seconds: number; saveProblem?: string }
  | { status: 'cancelled' }
  /** The request cannot be trained as it stands; `message` says what to do. */
  | { status: 'refused'; message: string };

export interface ClassProbability {
  label: string;
  probability: number;
}

export interface ModelFilesPayload {
  modelJson: string;
  weights: Uint8Array;
  metadataJson: string;
}

export interface TrainCallbacks {
  onProgress(progress: Progress): void;
  onEpoch(logs: EpochLogs): void;
}

export interface EngineApi {
  start(options: EngineOptions): Promise<EngineStatus>;
  /** Loads (or switches to) a backbone; cached embeddings of other backbones are kept but not used. */
  useBackbone(id: string, onProgress?: (progress: Progress) => void): Promise<{ source: string }>;
  importFiles(files: IncomingFile[]): Promise<ImportResult>;
  removeSamples(ids: string[]): Promise<void>;
  train(request: TrainRequest, callbacks: TrainCallbacks): Promise<TrainOutcome>;
  /** Stops embedding or training after the current batch. */
  cancel(): void;
  /** Class probabilities for one image, sorted from most to least likely. */
  predict(image: Blob): Promise<ClassProbability[]>;
  exportModel(modelName: string): Promise<ModelFilesPayload>;
  memory(): Promise<{ numTensors: number; numBytes: number }>;
  /** Makes this stored project the engine's: its samples and trained head; imports and training are saved into it. */
  openProject(projectId: string): Promise<OpenedProject>;
  /** Checks a project zip (structure, paths, sizes, project.json, image bytes) without importing anything. */
  readProjectZip(data: Uint8Array): Promise<ProjectFileReading>;
}
