import { cancelTraining, train } from '../../state/actions';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';
import { ProgressBar } from '../common/ProgressBar';
import { Curves } from './Curves';
import { EmbeddingStatusLine } from './EmbeddingStatusLine';
import { SettingsForm } from './SettingsForm';
import { ValidationSummary } from './ValidationSummary';

const PHASE_LABEL = {
  'loading-backbone': 'Loading backbone',
  embedding: 'Embedding images',
  augmenting: 'Augmenting training images',
  training: 'Training',
} as const;

export function TrainPanel() {
  const busy = useSession((s) => s.busy);
  const progress = useSession((s) => s.progress);
  const history = useSession((s) => s.history);
  const result = useSession((s) => s.result);
  const trainedRevision = useSession((s) => s.trainedRevision);
  const revision = useProject((s) => s.revision);
  const training = busy === 'training';
  const last = history.at(-1);
  return (
    <section className="panel" aria-labelledby="training-title">
      <h2 id="training-title">Training</h2>
      <SettingsForm disabled={training} />
      <div className="row">
        <button type="button" className="primary" disabled={busy !== null} onClick={() => void train()}>
          Train
        </button>
        {training && (
          <button type="button" onClick={cancelTraining}>
            Cancel training
          </button>
        )}
      </div>
      <EmbeddingStatusLine />
      {progress && (
        <ProgressBar
          label={PHASE_LABEL[progress.phase]}
          value={progress.done}
          max={progress.total}
          text={
            progress.phase === 'loading-backbone'
              ? `${PHASE_LABEL[progress.phase]}: ${progress.done}%`
              : `${PHASE_LABEL[progress.phase]}: ${progress.done} / ${progress.total}${progress.phase === 'training' ? ' epochs' : ''}`
          }
        />
      )}
      {last && (
        <p className="epoch-line" aria-live="polite">
          Epoch {last.epoch}/{last.epochs}: loss {last.loss.toFixed(3)}, accuracy {(last.accuracy * 100).toFixed(1)}%
          {last.valLoss !== null && `, val loss ${last.valLoss.toFixed(3)}, val accuracy ${((last.valAccuracy ?? 0) * 100).toFixed(1)}%`}
        </p>
      )}
      {history.length > 0 && <Curves history={history} />}
      {result && !training && (
        <>
          <p className="trained">
            Trained in {result.seconds.toFixed(1)} s.
            {trainedRevision !== null && trainedRevision !== revision && ' The classes have changed since: train again to include them.'}
          </p>
          <ValidationSummary result={result} />
        </>
      )}
    </section>
  );
}
