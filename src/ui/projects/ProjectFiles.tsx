import { useState } from 'react';
import { exportDataset, exportProject } from '../../state/persistence';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';
import { ProgressBar } from '../common/ProgressBar';

/** Project file (to move a project between browsers) and ImageFolder dataset (to train elsewhere). */
export function ProjectFiles() {
  const [split, setSplit] = useState(false);
  const busy = useSession((s) => s.busy !== null);
  const empty = useProject((s) => s.classes.every((c) => c.samples.length === 0));
  const progress = useSession((s) => s.exportProgress);
  return (
    <div className="project-files">
      <div className="row">
        <button type="button" disabled={busy} onClick={() => void exportProject()}>
          Export project
        </button>
        <button type="button" disabled={busy || empty} onClick={() => void exportDataset(split)}>
          Export dataset
        </button>
        <label>
          <input type="checkbox" checked={split} onChange={(e) => setSplit(e.target.checked)} /> Split into train/ and validation/
        </label>
      </div>
      {progress && (
        <ProgressBar label="Exporting images" value={progress.done} max={progress.total} text={`Exporting images: ${progress.done} / ${progress.total}`} />
      )}
      <p className="hint">
        The project file holds your classes, settings and original images; import it here or in another browser. The dataset is
        an ImageFolder zip for Keras or PyTorch.
      </p>
    </div>
  );
}
