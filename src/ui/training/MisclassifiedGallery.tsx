import type { MisclassifiedSample } from '../../engine/api';
import { moveSample } from '../../state/actions';
import { deleteSampleWithUndo } from '../../state/undo';
import { useProject } from '../../state/project';
import { Thumbnail } from '../classes/SampleGrid';

/**
 * Validation images the model got wrong, most confident mistakes first. Each can
 * be moved to another class (when it was mislabelled) or deleted; it then leaves
 * the list, and the next training run uses the fix.
 */
export function MisclassifiedGallery({ mistakes, labels }: { mistakes: MisclassifiedSample[]; labels: string[] }) {
  const classes = useProject((s) => s.classes);
  const classOfLabel = (label: string) => classes.find((c) => c.name.trim() === label);
  // Only mistakes whose sample is still where training saw it.
  const shown = mistakes.flatMap((m) => {
    const owner = classOfLabel(labels[m.actual]);
    const sample = owner?.samples.find((s) => s.id === m.sampleId);
    return owner && sample ? [{ ...m, owner, sample }] : [];
  });
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
          {shown.map(({ sample, owner, actual, predicted, confidence }) => (
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
    </section>
  );
}
