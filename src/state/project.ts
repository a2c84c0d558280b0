/** The project being edited: classes, their samples (ids and names), backbone and settings. */
import { create } from 'zustand';
import { DEFAULT_BACKBONE_ID, DEFAULT_TRAIN_SETTINGS, type BackboneComparison, type CustomChoice, type TrainSettings } from '../engine/api';

/** The feature-layer choice made on a custom backbone, and the backbone id it became. */
export type CustomBackboneChoice = CustomChoice & { specId: string; specTitle: string };

export interface Sample {
  /** The engine's id for the sample; its bytes and thumbnail stay in the engine's database. */
  id: string;
  name: string;
}

export interface ClassInfo {
  id: string;
  name: string;
  samples: Sample[];
}

interface ProjectState {
  name: string;
  classes: ClassInfo[];
  backboneId: string;
  settings: TrainSettings;
  /** Bumped on every change that makes a trained model out of date. */
  revision: number;
  setName(name: string): void;
  addClass(name?: string): string;
  renameClass(id: string, name: string): void;
  deleteClass(id: string): Sample[];
  /** The id of the class with this name (case-insensitive), created when missing. */
  classNamed(name: string): string;
  addSamples(classId: string, samples: Sample[]): void;
  removeSample(classId: string, sampleId: string): Sample | undefined;
  /** Puts deleted samples back where they were (undo). */
  restoreSample(classId: string, sample: Sample, index: number): void;
  /** Puts a deleted class back at its place (undo). */
  restoreClass(info: ClassInfo, index: number): void;
  setBackbone(id: string): void;
  setSettings(patch: Partial<TrainSettings>): void;
  customBackbone: CustomBackboneChoice | null;
  setCustomBackbone(choice: CustomBackboneChoice): void;
  /** The last Compare backbones table; saved with the project. */
  comparison: BackboneComparison | null;
}

let nextClassNumber = 1;
const newClassId = () => `class-${Date.now().toString(36)}-${nextClassNumber++}`;

function freshName(classes: ClassInfo[]): string {
  for (let n = classes.length + 1; ; n++) {
    const name = `Class ${n}`;
    if (!classes.some((c) => c.name === name)) return name;
  }
}

export const useProject = create<ProjectState>()((set, get) => ({
  name: 'My project',
  classes: [
    { id: newClassId(), name: 'Class 1', samples: [] },
    { id: newClassId(), name: 'Class 2', samples: [] },
  ],
  backboneId: DEFAULT_BACKBONE_ID,
  settings: { ...DEFAULT_TRAIN_SETTINGS },
  revision: 0,
  setName: (name) => set({ name }),
  addClass: (name) => {
    const id = newClassId();
    set((s) => ({ classes: [...s.classes, { id, name: name ?? freshName(s.classes), samples: [] }], revision: s.revision + 1 }));
    return id;
  },
  renameClass: (id, name) =>
    set((s) => ({ classes: s.classes.map((c) => (c.id === id ? { ...c, name } : c)), revision: s.revision + 1 })),
  deleteClass: (id) => {
    const removed = get().classes.find((c) => c.id === id)?.samples ?? [];
    set((s) => ({ classes: s.classes.filter((c) => c.id !== id), revision: s.revision + 1 }));
    return removed;
  },
  classNamed: (name) => {
    const wanted = name.trim().toLowerCase();
    const existing = get().classes.find((c) => c.name.trim().toLowerCase() === wanted);
    return existing ? existing.id : get().addClass(name.trim());
  },
  addSamples: (classId, samples) =>
    set((s) => ({
      classes: s.classes.map((c) => (c.id === classId ? { ...c, samples: [...c.samples, ...samples] } : c)),
      revision: s.revision + 1,
    })),
  removeSample: (classId, sampleId) => {
    const removed = get().classes.find((c) => c.id === classId)?.samples.find((x) => x.id === sampleId);
    set((s) => ({
      classes: s.classes.map((c) => (c.id === classId ? { ...c, samples: c.samples.filter((x) => x.id !== sampleId) } : c)),
      revision: s.revision + 1,
    }));
    return removed;
  },
  restoreSample: (classId, sample, index) =>
    set((s) => ({
      classes: s.classes.map((c) => (c.id === classId ? { ...c, samples: [...c.samples.slice(0, index), sample, ...c.samples.slice(index)] } : c)),
      revision: s.revision + 1,
    })),
  restoreClass: (info, index) =>
    set((s) => ({ classes: [...s.classes.slice(0, index), info, ...s.classes.slice(index)], revision: s.revision + 1 })),
  setBackbone: (backboneId) => set((s) => ({ backboneId, revision: s.revision + 1 })),
  setSettings: (patch) => set((s) => ({ settings: { ...s.settings, ...patch } })),
  customBackbone: null,
  setCustomBackbone: (customBackbone) => set({ customBackbone }),
  comparison: null,
}));
