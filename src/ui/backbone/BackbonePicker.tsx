import { BACKBONES } from '../../engine/api';
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
  return (
    <div className="backbone-picker">
      <label>
        Backbone{' '}
        <select value={backboneId} disabled={busy !== null} onChange={(e) => void chooseBackbone(e.target.value)}>
          {BACKBONES.map((b) => (
            <option key={b.id} value={b.id}>
              {b.title}
            </option>
          ))}
          {custom && <option value={custom.specId}>Custom: {custom.specTitle}</option>}
        </select>
      </label>
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
