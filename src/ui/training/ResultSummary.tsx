import { plainResult } from '../../state/guide';
import type { TrainedOutcome } from '../../state/session';
import { Curves } from './Curves';
import { MisclassifiedGallery } from './MisclassifiedGallery';
import { ValidationSummary } from './ValidationSummary';

/**
 * A finished run in plain words first (how many check photos it got right and
 * what to do about a doubtful score), then the figures under "Details".
 */
export function ResultSummary({ result }: { result: TrainedOutcome }) {
  const { headline, advice } = plainResult(result);
  const validation = result.validation;
  return (
    <div className="result">
      <p className="result-headline">{headline}</p>
      {advice.map((text) => (
        <p key={text} className="result-advice">
          {text}
        </p>
      ))}
      <p className="hint result-facts">
        <span>Trained in {result.seconds.toFixed(1)} s.</span>{' '}
        {validation ? (
          <span>
            Validation accuracy: <strong>{Number.isNaN(validation.accuracy) ? '–' : `${(validation.accuracy * 100).toFixed(1)}%`}</strong> on {validation.count} held-out images.
          </span>
        ) : (
          <span>No validation images were held out (validation split is 0%).</span>
        )}
      </p>
      <RunNotes result={result} />
      {validation?.misclassified && <MisclassifiedGallery mistakes={validation.misclassified} labels={result.labels} />}
      <details className="result-details">
        <summary>Details</summary>
        <Curves history={result.history} />
        <ValidationSummary result={result} />
      </details>
    </div>
  );
}

/** What the run did beyond the defaults (early stopping, class weights, augmentation) and the engine's notes. */
function RunNotes({ result }: { result: TrainedOutcome }) {
  const { details, labels, history } = result;
  if (!details) return null;
  const parts: string[] = [];
  if (details.bestEpoch > 0 && details.bestEpoch !== history.length) parts.push(`Early stopping kept epoch ${details.bestEpoch} of ${history.length}.`);
  if (details.classWeights) parts.push(`Class weights: ${labels.map((l, i) => `${l} ${details.classWeights![i].toFixed(2)}`).join(', ')}.`);
  if (details.augmentedViews > 0) parts.push(`Trained with ${details.augmentedViews} augmented views.`);
  if (parts.length === 0 && details.notes.length === 0) return null;
  return (
    <div className="run-details">
      {parts.length > 0 && <p className="hint">{parts.join(' ')}</p>}
      {details.notes.map((note) => (
        <p key={note} className="run-note" role="note">
          {note}
        </p>
      ))}
    </div>
  );
}
