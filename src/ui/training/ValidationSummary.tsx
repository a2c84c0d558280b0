import type { TrainedOutcome } from '../../state/session';
import { MisclassifiedGallery } from './MisclassifiedGallery';

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)}%`);

/** Validation accuracy overall; per class precision, recall and accuracy; the confusion matrix; the mistakes. */
export function ValidationSummary({ result }: { result: TrainedOutcome }) {
  const { validation, labels, details } = result;
  if (!validation) return <p className="hint">No validation images were held out (validation split is 0%).</p>;
  return (
    <div className="validation">
      <p>
        Validation accuracy: <strong>{pct(validation.accuracy)}</strong> on {validation.count} held-out images.
      </p>
      {details && <RunDetails details={details} labels={labels} epochsRun={result.history.length} />}
      <table className="confusion">
        <caption>Confusion matrix</caption>
        <thead>
          <tr>
            <th scope="col">actual ↓ / predicted →</th>
            {labels.map((l) => (
              <th key={l} scope="col">
                {l}
              </th>
            ))}
            <th scope="col">accuracy</th>
          </tr>
        </thead>
        <tbody>
          {validation.confusion.map((row, i) => (
            <tr key={labels[i]}>
              <th scope="row">{labels[i]}</th>
              {row.map((count, j) => (
                <td key={j} className={i === j ? 'diagonal' : count > 0 ? 'miss' : undefined}>
                  {count}
                </td>
              ))}
              <td>{pct(validation.perClassAccuracy[i])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {validation.precision && (
        <table className="confusion per-class" aria-label="Per-class metrics">
          <thead>
            <tr>
              <th scope="col">class</th>
              <th scope="col">images</th>
              <th scope="col">precision</th>
              <th scope="col">recall</th>
              <th scope="col" title="one-vs-rest: (true positives + true negatives) / all">accuracy</th>
            </tr>
          </thead>
          <tbody>
            {labels.map((label, i) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{validation.confusion[i].reduce((a, b) => a + b, 0)}</td>
                <td>{pct(validation.precision[i])}</td>
                <td>{pct(validation.recall[i])}</td>
                <td>{pct(validation.binaryAccuracy[i])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {validation.misclassified && <MisclassifiedGallery mistakes={validation.misclassified} labels={labels} />}
    </div>
  );
}

function RunDetails({ details, labels, epochsRun }: { details: NonNullable<TrainedOutcome['details']>; labels: string[]; epochsRun: number }) {
  const parts: string[] = [];
  if (details.bestEpoch > 0 && details.bestEpoch !== epochsRun) parts.push(`Early stopping kept epoch ${details.bestEpoch} of ${epochsRun}.`);
  if (details.classWeights)
    parts.push(`Class weights: ${labels.map((l, i) => `${l} ${details.classWeights![i].toFixed(2)}`).join(', ')}.`);
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
