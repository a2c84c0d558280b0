import { BACKBONES } from '../../engine/api';
import type { BackboneComparison } from '../../engine/api';
import { cancelComparison, compareBackbones, useBackbones, switchToComparedBackbone } from '../../state/backbones';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';
import { ProgressBar } from '../common/ProgressBar';

const percent = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)}%`);

/**
 * Compare backbones: the project's head trained on each available backbone with the
 * same split and seed, in one table; "Use this backbone" switches with that model.
 */
export function CompareBackbones() {
  const comparison = useProject((s) => s.comparison);
  const backboneId = useProject((s) => s.backboneId);
  const busy = useSession((s) => s.busy);
  const progress = useBackbones((s) => s.compareProgress);
  const comparing = busy === 'comparing';
  return (
    <section className="compare-backbones" aria-labelledby="compare-title">
      <div className="compare-bar">
        <h2 id="compare-title">Backbones</h2>
        <button type="button" disabled={busy !== null} onClick={() => void compareBackbones()}>
          Compare backbones
        </button>
        {comparing && (
          <button type="button" onClick={cancelComparison}>
            Cancel
          </button>
        )}
        <span className="hint">Trains this project's head on each available backbone (same split and seed) and compares them.</span>
      </div>
      {comparing && progress && (
        <ProgressBar
          label="Comparing backbones"
          value={progress.done}
          max={progress.total}
          text={`${progress.index} of ${progress.count}: ${progress.title} — ${progress.phase.replace('-', ' ')} ${progress.done}/${progress.total}`}
        />
      )}
      {comparison && <ComparisonTable comparison={comparison} current={backboneId} disabled={busy !== null} />}
    </section>
  );
}

function ComparisonTable({ comparison, current, disabled }: { comparison: BackboneComparison; current: string; disabled: boolean }) {
  const best = Math.max(...comparison.rows.map((r) => r.accuracy ?? -1));
  return (
    <>
      <table className="comparison">
        <caption>
          Backbones compared on {comparison.images} images ({comparison.validationImages} for validation), seed {comparison.seed}, {comparison.epochs} epochs, frozen
          backbone, no augmentation, {comparison.backend} backend, {new Date(comparison.madeAt).toLocaleString()}
        </caption>
        <thead>
          <tr>
            <th scope="col">backbone</th>
            <th scope="col">validation accuracy</th>
            {comparison.labels.map((l) => (
              <th key={l} scope="col">
                {l}
              </th>
            ))}
            <th scope="col">embedding ms / image</th>
            <th scope="col">model size</th>
            <th scope="col">export</th>
            <th scope="col">
              <span className="visually-hidden">action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {comparison.rows.map((row) => (
            <tr key={row.backboneId} data-backbone={row.backboneId} className={row.accuracy === best ? 'best' : undefined}>
              <th scope="row">{row.title}</th>
              {row.error ? (
                <td colSpan={comparison.labels.length + 4} className="error">
                  {row.error}
                </td>
              ) : (
                <>
                  <td data-accuracy={row.accuracy ?? ''}>{percent(row.accuracy)}</td>
                  {comparison.labels.map((l, i) => (
                    <td key={l}>{percent(row.perClassAccuracy[i])}</td>
                  ))}
                  <td>{row.embedMsPerImage === null ? '–' : row.embedMsPerImage.toFixed(1)}</td>
                  <td title={row.parameters === null ? undefined : `${row.parameters.toLocaleString()} parameters (float32)`}>
                    {row.parameters === null ? '–' : `${((row.parameters * 4) / 1e6).toFixed(1)} MB`}
                  </td>
                  <td>{row.exportFormats}</td>
                </>
              )}
              <td>
                <button
                  type="button"
                  disabled={disabled || !!row.error || !BACKBONES.some((b) => b.id === row.backboneId)}
                  onClick={() => void switchToComparedBackbone(row.backboneId)}
                >
                  Use this backbone
                </button>
                {row.backboneId === current && <span className="hint"> (in use)</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {comparison.skipped.length > 0 && (
        <details className="hint">
          <summary>{comparison.skipped.length} backbones were not compared (unavailable here)</summary>
          <ul>
            {comparison.skipped.map((s) => (
              <li key={s.title}>{s.reason}</li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
