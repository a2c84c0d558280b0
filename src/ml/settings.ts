/** Training settings; a tfjs-free module so the page can show defaults without loading tfjs. */
export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  hiddenUnits: number;
  dropout: number;
  /** Share of each class held out for validation, 0..0.5. */
  validationSplit: number;
  seed: number;
}

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  epochs: 50,
  batchSize: 16,
  learningRate: 0.001,
  hiddenUnits: 100,
  dropout: 0.25,
  validationSplit: 0.15,
  seed: 42,
};

export interface EpochLogs {
  epoch: number;
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
}
