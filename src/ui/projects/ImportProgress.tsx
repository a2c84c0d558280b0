import { cancelImport } from '../../state/actions';
import { useSession } from '../../state/session';
import { ProgressBar } from '../common/ProgressBar';

/** Progress of a running image or project import, with a way to stop it. */
export function ImportProgress() {
  const progress = useSession((s) => s.importProgress);
  if (!progress) return null;
  return (
    <div className="row import-progress">
      <ProgressBar label="Importing images" value={progress.done} max={progress.total} text={`Importing images: ${progress.done} / ${progress.total}`} />
      <button type="button" onClick={cancelImport}>
        Cancel import
      </button>
    </div>
  );
}
