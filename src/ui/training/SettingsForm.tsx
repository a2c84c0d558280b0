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
  /** One sentence saying what it changes, in plain words. */
  help: string;
  /** Shown and edited as a percentage. */
  percent?: boolean;
}

/** The two settings a newcomer may want to touch. */
const BASIC: Field[] = [
  {
    key: 'epochs',
    label: 'Epochs',
    min: 1,
    max: 1000,
    step: 1,
    help: 'How many times training goes through all your photos; more can learn more, but takes longer and may memorise them.',
  },
  {
    key: 'learningRate',
    label: 'Learning rate',
    min: 0.00001,
    max: 1,
    step: 0.0001,
    help: 'How big a step the model takes each time it learns; smaller is steadier but slower.',
  },
];

const MORE: Field[] = [
  { key: 'batchSize', label: 'Batch size', min: 1, max: 512, step: 1, help: 'Photos looked at together before each learning step.' },
  { key: 'hiddenUnits', label: 'Hidden units', min: 1, max: 2048, step: 1, help: 'Size of the small network trained on top of the backbone.' },
  { key: 'dropout', label: 'Dropout', min: 0, max: 0.9, step: 0.05, help: 'Share of units switched off at random while training, against memorising.' },
  {
    key: 'validationSplit',
    label: 'Validation split (%)',
    min: 0,
    max: 50,
    step: 1,
    percent: true,
    help: 'Share of each class kept aside to check the model (the "check photos").',
  },
  { key: 'seed', label: 'Seed', min: 0, max: 2 ** 31 - 1, step: 1, help: 'Makes the split and the starting weights repeatable: the same seed gives the same run.' },
  {
    key: 'fineTuneLayers',
    label: 'Fine-tune last layers',
    min: 0,
    max: 200,
    step: 1,
    help: 'How many of the backbone’s last layers are trained too (0 keeps it frozen; more is slower).',
  },
  {
    key: 'fineTuneLearningRate',
    label: 'Fine-tune learning rate',
    min: 0.000001,
    max: 0.1,
    step: 0.00001,
    help: 'Learning rate for the fine-tuned backbone layers; keep it small.',
  },
];

/** Basic settings with a sentence each; everything else under "More options", each with its explanation as a tooltip. */
export function SettingsForm({ disabled }: { disabled: boolean }) {
  return (
    <details className="settings">
      <summary>Settings</summary>
      <div className="settings-basic">
        {BASIC.map((f) => (
          <NumberField key={f.key} field={f} disabled={disabled} explained />
        ))}
      </div>
      <details className="more-options">
        <summary>More options</summary>
        <div className="settings-grid">
          {MORE.map((f) => (
            <NumberField key={f.key} field={f} disabled={disabled} />
          ))}
        </div>
        <TrainingControlSettings disabled={disabled} />
        <AugmentationSettings disabled={disabled} />
        <InitialWeightsSettings disabled={disabled} />
      </details>
      <ResetButton disabled={disabled} />
    </details>
  );
}

function ResetButton({ disabled }: { disabled: boolean }) {
  const setSettings = useProject((s) => s.setSettings);
  return (
    <button type="button" className="link" disabled={disabled} onClick={() => setSettings(DEFAULT_TRAIN_SETTINGS)}>
      Reset to defaults
    </button>
  );
}

function NumberField({ field: f, disabled, explained = false }: { field: Field; disabled: boolean; explained?: boolean }) {
  const value = useProject((s) => s.settings[f.key]);
  const setSettings = useProject((s) => s.setSettings);
  const id = `setting-${f.key}`;
  return (
    <div className="setting" title={explained ? undefined : f.help}>
      <label htmlFor={id}>{f.label}</label>
      <input
        id={id}
        type="number"
        min={f.min}
        max={f.max}
        step={f.step}
        disabled={disabled}
        aria-describedby={`${id}-help`}
        value={f.percent ? Math.round(value * 100) : value}
        onChange={(e) => {
          const raw = e.target.valueAsNumber;
          if (!Number.isFinite(raw)) return;
          const clamped = Math.min(f.max, Math.max(f.min, raw));
          setSettings({ [f.key]: f.percent ? clamped / 100 : clamped });
        }}
      />
      <span id={`${id}-help`} className={explained ? 'setting-help' : 'visually-hidden'}>
        {f.help}
      </span>
    </div>
  );
}
