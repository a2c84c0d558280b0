/**
 * Plain data the page and the engine exchange about backbones: where each can be
 * loaded from, what ImageNet labels it sees, and the Compare backbones table.
 * Types only (re-exported by api.ts); the project document stores BackboneComparison.
 */
export type { BackboneSource } from '../ml/backboneSources';

export interface ImagenetLabel {
  label: string;
  probability: number;
}

/** A test image's pretrained ImageNet top-k, and which model named them. */
export interface ImagenetView {
  labels: ImagenetLabel[];
  /** Title of the model whose ImageNet top gave the labels. */
  by: string;
  /** True when that is the backbone itself (false: it has no ImageNet top, a package model labelled instead). */
  ownTop: boolean;
}

/** The most frequent ImageNet top-1 labels among a class's images. */
export interface ClassImagenetView {
  labels: { label: string; count: number; meanProbability: number }[];
  /** Images labelled (a class's images are sampled evenly when it has many). */
  images: number;
  of: number;
  by: string;
  ownTop: boolean;
}

export interface ComparisonRow {
  backboneId: string;
  title: string;
  /** Validation accuracy 0..1; null when the row failed. */
  accuracy: number | null;
  /** Per class, in the comparison's label order. */
  perClassAccuracy: number[];
  /** Embedding time per image (one batch of up to 8 project images, timed after an untimed one). */
  embedMsPerImage: number | null;
  /** Backbone plus head parameters. */
  parameters: number | null;
  /** What `Download model` gives with this backbone. */
  exportFormats: string;
  /** Why this backbone could not be compared, if so. */
  error?: string;
}

export interface BackboneComparison {
  labels: string[];
  images: number;
  validationImages: number;
  seed: number;
  epochs: number;
  backend: string;
  madeAt: string;
  rows: ComparisonRow[];
  /** Backbones left out (not available here), with the reason. */
  skipped: { title: string; reason: string }[];
}

export interface CompareProgress {
  /** 1-based index of the backbone being compared, of `count`. */
  index: number;
  count: number;
  title: string;
  phase: 'loading-backbone' | 'embedding' | 'training';
  done: number;
  total: number;
}

export interface CompareRequest {
  backboneIds: string[];
  skipped: { title: string; reason: string }[];
  classes: { name: string; sampleIds: string[] }[];
  settings: import('../ml/settings').TrainSettings;
}
