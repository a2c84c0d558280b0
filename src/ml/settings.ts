/** Training settings; a tfjs-free module so the page can show defaults without loading tfjs. */

/** One augmentation: off, or on with a strength in 0..1 (0 leaves images unchanged). */
export interface AugmentToggle {
  enabled: boolean;
  strength: number;
}

export interface AugmentSettings {
  /** Strength = probability of mirroring an image left–right. */
  flip: AugmentToggle;
  /** Strength 1 = up to ±30° of rotation. */
  rotate: AugmentToggle;
  /** Strength 1 = zoom in by up to 1.5× (a random crop) or out to 0.8×. */
  zoom: AugmentToggle;
  /** Strength 1 = shear of up to ±0.3. */
  shear: AugmentToggle;
  /** Strength 1 = brightness ±30% of the range and contrast ×(0.6..1.4). */
  color: AugmentToggle;
}

export type ClassWeightMode = 'auto' | 'on' | 'off';

/** Where a run's head weights start: random, the model trained last, or a model zip imported for this. */
export type InitialWeights = 'fresh' | 'current' | 'imported';

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  hiddenUnits: number;
  dropout: number;
  /** Share of each class held out for validation, 0..0.5. */
  validationSplit: number;
  seed: number;
  /** Stop when validation loss has not improved for `patience` epochs, keeping the best epoch's weights. */
  earlyStopping: boolean;
  patience: number;
  /** 'auto' weighs classes by inverse frequency when the largest class has more than twice the samples of the smallest. */
  classWeights: ClassWeightMode;
  /** Whether training images are augmented at all (validation images never are). */
  augment: boolean;
  augmentation: AugmentSettings;
  /** Augmented views precomputed per training image (as embeddings, or when fine-tuning as the frozen layers' output). */
  augmentViews: number;
  /**
   * When fine-tuning: augment every batch afresh and run the frozen layers on it, instead of
   * drawing from the cached views. More variety, but each epoch runs the whole backbone.
   */
  augmentEveryBatch: boolean;
  /** Unfreeze the last k weighted layers of the backbone (0 = frozen backbone). */
  fineTuneLayers: number;
  /** Learning rate for the unfrozen backbone layers; lower than the head's so features are nudged, not wiped. */
  fineTuneLearningRate: number;
  initialWeights: InitialWeights;
}

export const DEFAULT_AUGMENTATION: AugmentSettings = {
  flip: { enabled: true, strength: 0.5 },
  rotate: { enabled: true, strength: 0.3 },
  zoom: { enabled: true, strength: 0.3 },
  shear: { enabled: false, strength: 0.3 },
  color: { enabled: true, strength: 0.3 },
};

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  epochs: 50,
  batchSize: 16,
  learningRate: 0.001,
  hiddenUnits: 100,
  dropout: 0.25,
  validationSplit: 0.15,
  seed: 42,
  earlyStopping: false,
  patience: 8,
  classWeights: 'auto',
  augment: false,
  augmentation: DEFAULT_AUGMENTATION,
  augmentViews: 4,
  augmentEveryBatch: false,
  fineTuneLayers: 0,
  fineTuneLearningRate: 0.0001,
  initialWeights: 'fresh',
};

export interface EpochLogs {
  epoch: number;
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
}
