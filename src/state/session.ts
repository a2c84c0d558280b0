/** What the engine is doing and has produced: backend, progress, training results, predictions, notices. */
import { create } from 'zustand';
import type { BackendName, ClassProbability, CustomModelInfo, EmbeddingStatus, EngineStatus, EpochLogs, Explanation, Progress, TrainOutcome } from '../engine/api';

export interface Notice {
  id: number;
  kind: 'error' | 'warning' | 'info';
  text: string;
  /** The class card the message is about (skipped files); shown there instead of at the top. */
  classId?: string;
  /** 'train': a refused run, cleared when the project changes. */
  cause?: 'train';
}

/** "Why this class?" for the test image: one class's occlusion heatmap, being computed, shown or failed. */
export interface ExplanationView {
  /** The class asked about. */
  label: string;
  /** Grid cells per side asked for. */
  cells: number;
  status: 'running' | 'done' | 'error';
  /** Occluded cells done of all, while running. */
  progress: { done: number; total: number } | null;
  result: Explanation | null;
  error: string | null;
  /** Whether the heatmap is drawn over the image (the toggle). */
  shown: boolean;
}

export type TrainedOutcome = Extract<TrainOutcome, { status: 'trained' }>;

interface SessionState {
  backend: BackendName | null;
  backendNotes: string[];
  backendStatus: EngineStatus | null;
  measuringBackends: boolean;
  engineError: string | null;
  /** The blocking operation running now (a whole-project import is one; adding images runs beside others). */
  busy: 'training' | 'exporting' | 'importing' | 'comparing' | null;
  /** How many imports are in flight. */
  importing: number;
  progress: Progress | null;
  /** How many of the project's images are embedded for the backbone in use (the engine embeds in the background after import). */
  embedding: EmbeddingStatus | null;
  /** Files read so far in the running import (class images or a project file); null when none runs. */
  importProgress: { done: number; total: number } | null;
  /** Images written so far by the running project or dataset export. */
  exportProgress: { done: number; total: number } | null;
  history: EpochLogs[];
  result: TrainedOutcome | null;
  /** Project revision the current model was trained at; a newer revision means it is out of date. */
  trainedRevision: number | null;
  trainedBackboneId: string | null;
  predictions: ClassProbability[] | null;
  predictionSource: string | null;
  /** Object URL of the engine-made preview of the test image. */
  predictionPreview: string | null;
  /** The test image as picked; the engine decodes it again to explain a prediction. */
  predictionImage: Blob | null;
  /** The heatmap for the test image; null when none was asked for, or the image or model changed since. */
  explanation: ExplanationView | null;
  notices: Notice[];
  /** A model zip imported as the starting point for runs (settings.initialWeights = 'imported'). */
  importedModel: { modelName: string; labels: string[]; backboneId: string; fileName: string } | null;
  /** The custom model loaded in the engine, with its layers to pick a feature layer from. */
  customModel: { modelId: string; title: string; info: CustomModelInfo } | null;
  customModelLoading: boolean;
  notify(kind: Notice['kind'], text: string, about?: Pick<Notice, 'classId' | 'cause'>): void;
  dismiss(id: number): void;
}

let noticeId = 0;

export const useSession = create<SessionState>()((set) => ({
  backend: null,
  backendNotes: [],
  backendStatus: null,
  measuringBackends: false,
  engineError: null,
  busy: null,
  importing: 0,
  progress: null,
  embedding: null,
  importProgress: null,
  exportProgress: null,
  history: [],
  result: null,
  trainedRevision: null,
  trainedBackboneId: null,
  predictions: null,
  predictionSource: null,
  predictionPreview: null,
  predictionImage: null,
  explanation: null,
  notices: [],
  importedModel: null,
  customModel: null,
  customModelLoading: false,
  notify: (kind, text, about) => set((s) => ({ notices: [...s.notices, { id: ++noticeId, kind, text, ...about }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));
