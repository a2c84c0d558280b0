import type { ClassWeightMode } from '../../engine/api';
import { useProject } from '../../state/project';

const CLASS_WEIGHT_LABELS: Record<ClassWeightMode, string> = {
  auto: 'Automatic (when classes differ by more than 2×)',
  on: 'Always',
  off: 'Never',
};

/** Early stopping and class weights. */
export function TrainingControlSettings({ disabled }: { disabled: boolean }) {
  const settings = useProject((s) => s.settings);
  const setSettings = useProject((s) => s.setSettings);
  return (
    <fieldset className="settings-group">
      <legend>Training control</legend>
      <label className="inline">
        <input
          type="checkbox"
          checked={settings.earlyStopping}
          disabled={disabled}
          onChange={(e) => setSettings({ earlyStopping: e.target.checked })}
        />
        Early stopping (keeps the epoch with the lowest validation loss)
      </label>
      <label>
        Patience (epochs)
        <input
          type="number"
          min={1}
          max={200}
          step={1}
          disabled={disabled || !settings.earlyStopping}
          value={settings.patience}
          onChange={(e) => Number.isFinite(e.target.valueAsNumber) && setSettings({ patience: Math.min(200, Math.max(1, Math.round(e.target.valueAsNumber))) })}
        />
      </label>
      <label>
        Class weights
        <select
          value={settings.classWeights}
          disabled={disabled}
          onChange={(e) => setSettings({ classWeights: e.target.value as ClassWeightMode })}
        >
          {(Object.keys(CLASS_WEIGHT_LABELS) as ClassWeightMode[]).map((mode) => (
            <option key={mode} value={mode}>
              {CLASS_WEIGHT_LABELS[mode]}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}
