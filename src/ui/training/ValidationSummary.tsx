import type { TrainedOutcome } from '../../state/session';

const pct = (v: number) => (Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)}%`);

/** Validation accuracy overall and per class, and the confusion matrix. */
export function ValidationSummary({ result }: { result: TrainedOutcome }) {
  const { validation, labels } = result;
  if (!validation) return <p className="hint">No validation images were held out (validation split is 0%).</p>;
  return (
    <div className="validation">
      <p>
        Validation accuracy: <strong>{pct(validation.accuracy)}</strong> on {validation.count} held-out images.
      </p>
      <table className="confusion" aria-label="Confusion matrix">
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
    </div>
  );
}
