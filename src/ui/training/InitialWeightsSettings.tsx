import type { InitialWeights } from '../../engine/api';
import { importInitialModel } from '../../state/actions';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';

/** Where the next run's head weights start: fresh, the current model, or an imported model zip. */
export function InitialWeightsSettings({ disabled }: { disabled: boolean }) {
  const choice = useProject((s) => s.settings.initialWeights);
  const setSettings = useProject((s) => s.setSettings);
  const hasModel = useSession((s) => s.result !== null);
  const imported = useSession((s) => s.importedModel);
  return (
    <fieldset className="settings-group">
      <legend>Weight initialisation</legend>
      <label>
        Start from
        <select value={choice} disabled={disabled} onChange={(e) => setSettings({ initialWeights: e.target.value as InitialWeights })}>
          <option value="fresh">Fresh weights</option>
          <option value="current" disabled={!hasModel}>
            The current model (continue training)
          </option>
          <option value="imported" disabled={!imported}>
            {imported ? `Imported model "${imported.modelName}"` : 'An imported model zip'}
          </option>
        </select>
      </label>
      <label>
        Import a model zip to start from
        <input
          type="file"
          accept=".zip,application/zip"
          disabled={disabled}
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) void importInitialModel(file);
          }}
        />
      </label>
      {imported && (
        <span className="hint">
          {imported.fileName}: classes {imported.labels.join(', ')}; backbone {imported.backboneId}.
        </span>
      )}
    </fieldset>
  );
}
