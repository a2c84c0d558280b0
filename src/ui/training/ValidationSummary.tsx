import type { TrainedOutcome } from '../../state/session';

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)}%`);

/** The confusion matrix and per-class precision, recall and accuracy (under "Details"). */
export function ValidationSummary({ result }: { result: TrainedOutcome }) {
  const { validation, labels } = result;
  if (!validation) return null;
  return (
    <div className="validation">
      <div className="table-scroll">
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
      </div>
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
    </div>
  );
}
