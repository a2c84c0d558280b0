import { cancelTraining, train } from '../../state/actions';
import { useTrainState } from '../../state/guide';
import { useSession } from '../../state/session';
import { ProgressBar } from '../common/ProgressBar';
import { AdvancedPanel } from './AdvancedPanel';
import { Curves } from './Curves';
import { EmbeddingStatusLine } from './EmbeddingStatusLine';
import { ResultSummary } from './ResultSummary';
import { SettingsForm } from './SettingsForm';

const PHASE_LABEL = {
  'loading-backbone': 'Loading backbone',
  embedding: 'Embedding images',
  augmenting: 'Augmenting training images',
  training: 'Training',
} as const;

/** Step 2: Train, one status line saying what it needs or where it is, the result in plain words, then the expert tools. */
export function TrainPanel() {
  const busy = useSession((s) => s.busy);
  const progress = useSession((s) => s.progress);
  const history = useSession((s) => s.history);
  const result = useSession((s) => s.result);
  const state = useTrainState();
  const training = busy === 'training';
  return (
    <section className="panel step" id="step-train" aria-labelledby="training-title">
      <h2 id="training-title">
        <span className="step-number" aria-hidden="true">2</span> Train
      </h2>
      <div className="train-row">
        <button
          type="button"
          id="train-button"
          className={state.kind === 'blocked' ? 'primary not-ready' : 'primary'}
          disabled={busy !== null}
          aria-describedby="train-status"
          onClick={() => void train()}
        >
          Train
        </button>
        {training && (
          <button type="button" onClick={cancelTraining}>
            Cancel training
          </button>
        )}
        <p id="train-status" role="status" aria-label="Training status" className={`train-status train-status-${state.kind}`}>
          {state.text}
        </p>
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
      {training && history.length > 0 && <Curves history={history} />}
      {result && !training && <ResultSummary result={result} />}
      <SettingsForm disabled={training} />
      <AdvancedPanel />
    </section>
  );
}
