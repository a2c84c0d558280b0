/** What the engine is doing and has produced: backend, progress, training results, predictions, notices. */
import { create } from 'zustand';
import type { BackendName, ClassProbability, EpochLogs, Progress, TrainOutcome } from '../engine/api';

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
  /** Files read so far in the running import (class images or a project file); null when none runs. */
  importProgress: { done: number; total: number } | null;
  history: EpochLogs[];
  result: TrainedOutcome | null;
  /** Project revision the current model was trained at; a newer revision means it is out of date. */
  trainedRevision: number | null;
  trainedBackboneId: string | null;
  predictions: ClassProbability[] | null;
  predictionSource: string | null;
  notices: Notice[];
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
  importProgress: null,
  history: [],
  result: null,
  trainedRevision: null,
  trainedBackboneId: null,
  predictions: null,
  predictionSource: null,
  notices: [],
  notify: (kind, text) => set((s) => ({ notices: [...s.notices, { id: ++noticeId, kind, text }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));
