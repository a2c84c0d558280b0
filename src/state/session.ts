/** What the engine is doing and has produced: backend, progress, training results, predictions, notices. */
import { create } from 'zustand';
import type { BackendName, ClassProbability, CustomModelInfo, EpochLogs, Progress, TrainOutcome } from '../engine/api';

export interface Notice {
  id: number;
  kind: 'error' | 'warning' | 'info';
  text: string;
}

export type TrainedOutcome = Extract<TrainOutcome, { status: 'trained' }>;

interface SessionState {
  backend: BackendName | null;
  backendNotes: string[];
  engineError: string | null;
  busy: 'importing' | 'training' | 'exporting' | null;
  progress: Progress | null;
  history: EpochLogs[];
  result: TrainedOutcome | null;
  /** Project revision the current model was trained at; a newer revision means it is out of date. */
  trainedRevision: number | null;
  trainedBackboneId: string | null;
  predictions: ClassProbability[] | null;
  predictionSource: string | null;
  notices: Notice[];
  /** A model zip imported as the starting point for runs (settings.initialWeights = 'imported'). */
  importedModel: { modelName: string; labels: string[]; backboneId: string; fileName: string } | null;
  /** The custom model loaded in the engine, with its layers to pick a feature layer from. */
  customModel: { modelId: string; title: string; info: CustomModelInfo } | null;
  customModelLoading: boolean;
  notify(kind: Notice['kind'], text: string): void;
  dismiss(id: number): void;
}

let noticeId = 0;

export const useSession = create<SessionState>()((set) => ({
  backend: null,
  backendNotes: [],
  engineError: null,
  busy: null,
  progress: null,
  history: [],
  result: null,
  trainedRevision: null,
  trainedBackboneId: null,
  predictions: null,
  predictionSource: null,
  notices: [],
  importedModel: null,
  customModel: null,
  customModelLoading: false,
  notify: (kind, text) => set((s) => ({ notices: [...s.notices, { id: ++noticeId, kind, text }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));
