import { remeasureBackends } from '../../state/actions';
import { describeBackend } from '../../state/backendChoice';
import { useSession } from '../../state/session';

/** `Backend: <name>` and, when it was measured, how fast each backend was here. */
export function EngineStatusLine() {
  const status = useSession((s) => s.backendStatus);
  const measuring = useSession((s) => s.measuringBackends);
  const busy = useSession((s) => s.busy);
  const error = useSession((s) => s.engineError);
  if (error) return <p className="engine-status error" role="alert">Engine failed to start: {error}</p>;
  if (!status) return <p className="engine-status">{measuring ? 'Measuring which backend is fastest here…' : 'Starting engine…'}</p>;
  const m = status.measurement;
  const details = [
    status.detail && `${status.backend}: ${status.detail}`,
    m && `${status.remembered ? 'Measured earlier' : 'Measured'} in ${m.seconds.toFixed(1)} s on ${new Date(m.measuredAt).toLocaleString()}.`,
    ...Object.entries(m?.unavailable ?? {}).map(([name, why]) => `${name} unavailable: ${why}`),
    ...Object.entries(m?.software ?? {}).map(([name, renderer]) => `${name} not timed: it runs on a software renderer (${renderer}), slower than WASM`),
    ...status.notes,
  ].filter(Boolean);
  return (
    <p className="engine-status" title={details.join('\n')}>
      <span>{measuring ? 'Measuring backends…' : describeBackend(status)}</span>
      {m && (
        <button type="button" className="link" disabled={measuring || busy !== null} onClick={() => void remeasureBackends()}>
          Measure again
        </button>
      )}
      {!m && status.notes.length > 0 && <span className="hint"> {status.notes.join(' ')}</span>}
      {status.detail && <span className="hint"> ({status.detail})</span>}
    </p>
  );
}
