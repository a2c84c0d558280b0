import { useEffect } from 'react';
import { BACKBONES } from '../../engine/api';
import { checkBackboneSources, useBackbones } from '../../state/backbones';
import { chooseBackbone, train } from '../../state/actions';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';
import { CustomBackbone } from './CustomBackbone';

/** Switching backbone makes the current model out of date; retraining is offered next to it. */
export function BackbonePicker() {
  const backboneId = useProject((s) => s.backboneId);
  const trainedBackboneId = useSession((s) => s.trainedBackboneId);
  const busy = useSession((s) => s.busy);
  const custom = useProject((s) => s.customBackbone);
  const backend = useSession((s) => s.backend);
  const sources = useBackbones((s) => s.sources);
  // Once the engine runs, it checks which backbones can be loaded here (same-origin copy or public URL).
  useEffect(() => {
    if (backend) void checkBackboneSources();
  }, [backend]);
  const unavailable = BACKBONES.flatMap((b) => {
    const source = sources?.get(b.id);
    return source && !source.available ? [{ id: b.id, reason: source.reason }] : [];
  });
  return (
    <div className="backbone-picker">
      <label>
        Backbone{' '}
        <select value={backboneId} disabled={busy !== null} onChange={(e) => void chooseBackbone(e.target.value)}>
          {BACKBONES.map((b) => {
            const reason = unavailable.find((u) => u.id === b.id)?.reason;
            return (
              <option key={b.id} value={b.id} disabled={reason !== undefined && b.id !== backboneId} title={reason}>
                {b.title}
                {reason ? ' — unavailable here' : ''}
              </option>
            );
          })}
          {custom && <option value={custom.specId}>Custom: {custom.specTitle}</option>}
        </select>
      </label>
      {unavailable.length > 0 && (
        <details className="unavailable-backbones">
          <summary>{unavailable.length} unavailable</summary>
          <ul>
            {unavailable.map((u) => (
              <li key={u.id}>{u.reason}</li>
            ))}
          </ul>
        </details>
      )}
      <CustomBackbone />
      {trainedBackboneId && trainedBackboneId !== backboneId && (
        <span className="stale">
          The model was trained on another backbone.{' '}
          <button type="button" disabled={busy !== null} onClick={() => void train()}>
            Retrain now
          </button>
        </span>
      )}
    </div>
  );
}
