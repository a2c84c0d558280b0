import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../../engine/api';
import { useProject } from '../../state/project';
import { AugmentationSettings } from './AugmentationSettings';
import { InitialWeightsSettings } from './InitialWeightsSettings';
import { TrainingControlSettings } from './TrainingControlSettings';

type NumericKey = { [K in keyof TrainSettings]: TrainSettings[K] extends number ? K : never }[keyof TrainSettings];

interface Field {
  key: NumericKey;
  label: string;
  min: number;
  max: number;
  step: number;
  /** Shown and edited as a percentage. */
  percent?: boolean;
}

const FIELDS: Field[] = [
  { key: 'epochs', label: 'Epochs', min: 1, max: 1000, step: 1 },
  { key: 'batchSize', label: 'Batch size', min: 1, max: 512, step: 1 },
  { key: 'learningRate', label: 'Learning rate', min: 0.00001, max: 1, step: 0.0001 },
  { key: 'hiddenUnits', label: 'Hidden units', min: 1, max: 2048, step: 1 },
  { key: 'dropout', label: 'Dropout', min: 0, max: 0.9, step: 0.05 },
  { key: 'validationSplit', label: 'Validation split (%)', min: 0, max: 50, step: 1, percent: true },
  { key: 'seed', label: 'Seed', min: 0, max: 2 ** 31 - 1, step: 1 },
  { key: 'fineTuneLayers', label: 'Fine-tune last layers', min: 0, max: 200, step: 1 },
  { key: 'fineTuneLearningRate', label: 'Fine-tune learning rate', min: 0.000001, max: 0.1, step: 0.00001 },
];

export function SettingsForm({ disabled }: { disabled: boolean }) {
  const settings = useProject((s) => s.settings);
  const setSettings = useProject((s) => s.setSettings);
  return (
    <details className="settings">
      <summary>Settings</summary>
      <div className="settings-grid">
        {FIELDS.map((f) => {
          const value = settings[f.key];
          return (
            <label key={f.key}>
              {f.label}
              <input
                type="number"
                min={f.min}
                max={f.max}
                step={f.step}
                disabled={disabled}
                value={f.percent ? Math.round(value * 100) : value}
                onChange={(e) => {
                  const raw = e.target.valueAsNumber;
                  if (!Number.isFinite(raw)) return;
                  const clamped = Math.min(f.max, Math.max(f.min, raw));
                  setSettings({ [f.key]: f.percent ? clamped / 100 : clamped });
                }}
              />
            </label>
          );
        })}
      </div>
      <TrainingControlSettings disabled={disabled} />
      <AugmentationSettings disabled={disabled} />
      <InitialWeightsSettings disabled={disabled} />
      <button type="button" className="link" disabled={disabled} onClick={() => setSettings(DEFAULT_TRAIN_SETTINGS)}>
        Reset to defaults
      </button>
    </details>
  );
}
