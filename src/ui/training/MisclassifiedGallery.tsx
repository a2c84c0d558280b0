import { useMemo, useState } from 'react';
import type { MisclassifiedSample } from '../../engine/api';
import { moveSample } from '../../state/actions';
import { deleteSampleWithUndo } from '../../state/undo';
import { useProject, type ClassInfo, type Sample } from '../../state/project';
import { Thumbnail } from '../classes/SampleGrid';

/** Mistakes shown at first, and added by each "Show more": a large project can have thousands. */
const PAGE = 24;

/**
 * Validation images the model got wrong, most confident mistakes first. Each can
 * be moved to another class (when it was mislabelled) or deleted; it then leaves
 * the list, and the next training run uses the fix. The first few are shown, more
 * on request: each costs the page a thumbnail and a row.
 */
export function MisclassifiedGallery({ mistakes, labels }: { mistakes: MisclassifiedSample[]; labels: string[] }) {
  const classes = useProject((s) => s.classes);
  const [limit, setLimit] = useState(PAGE);
  // Where each sample is now, found once per change of the classes (not once per mistake).
  const whereNow = useMemo(() => {
    const byId = new Map<string, { owner: ClassInfo; sample: Sample }>();
    for (const owner of classes) for (const sample of owner.samples) byId.set(sample.id, { owner, sample });
    return byId;
  }, [classes]);
  // Only mistakes whose sample is still where training saw it.
  const shown = useMemo(
    () =>
      mistakes.flatMap((m) => {
        const now = whereNow.get(m.sampleId);
        return now && now.owner.name.trim() === labels[m.actual] ? [{ ...m, ...now }] : [];
      }),
    [mistakes, labels, whereNow],
  );
  return (
    <section className="misclassified" aria-label="Misclassified validation images">
      <h3>
        Misclassified validation images ({shown.length}
        {shown.length !== mistakes.length && ` of ${mistakes.length}; the others were moved or deleted`})
      </h3>
      {shown.length === 0 ? (
        <p className="hint">{mistakes.length === 0 ? 'None: every validation image was classified correctly.' : 'All fixed. Train again to see the effect.'}</p>
      ) : (
        <ul className="misclassified-grid">
          {shown.slice(0, limit).map(({ sample, owner, actual, predicted, confidence }) => (
            <li key={sample.id} className="misclassified-item" aria-label={sample.name}>
              <Thumbnail sample={sample} size={72} />
              <div className="misclassified-text">
                <span>
                  true: <strong>{labels[actual]}</strong>
                </span>
                <span>
                  predicted: <strong>{labels[predicted]}</strong> ({(confidence * 100).toFixed(0)}%)
                </span>
              </div>
              <select
                aria-label={`Move ${sample.name} to class`}
                value=""
                onChange={(e) => e.target.value && moveSample(owner.id, e.target.value, sample.id)}
              >
                <option value="">Move to…</option>
                {classes
                  .filter((c) => c.id !== owner.id)
                  .map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
              </select>
              <button type="button" aria-label={`Delete ${sample.name}`} onClick={() => deleteSampleWithUndo(owner.id, sample.id)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {shown.length > limit && (
        <button type="button" className="quiet" onClick={() => setLimit((n) => n + PAGE * 4)}>
          Show {Math.min(PAGE * 4, shown.length - limit)} more (of {shown.length - limit} not shown)
        </button>
      )}
    </section>
  );
}
