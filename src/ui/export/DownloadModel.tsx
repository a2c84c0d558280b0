import { downloadModel } from '../../state/actions';
import { useSession } from '../../state/session';

export function DownloadModel() {
  const trained = useSession((s) => s.result !== null);
  const busy = useSession((s) => s.busy);
  return (
    <div className="export">
      <button type="button" disabled={!trained || busy !== null} onClick={() => void downloadModel()}>
        Download model
      </button>
      <p className="hint">
        A zip with model.json, weights.bin and metadata.json, loadable with <code>tf.loadLayersModel</code> and Teachable
        Machine's image library.
      </p>
    </div>
  );
}
