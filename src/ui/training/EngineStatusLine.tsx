import { useSession } from '../../state/session';

export function EngineStatusLine() {
  const backend = useSession((s) => s.backend);
  const notes = useSession((s) => s.backendNotes);
  const error = useSession((s) => s.engineError);
  if (error) return <p className="engine-status error" role="alert">Engine failed to start: {error}</p>;
  return (
    <p className="engine-status" title={notes.join('\n')}>
      {backend ? `Backend: ${backend}` : 'Starting engine…'}
    </p>
  );
}
