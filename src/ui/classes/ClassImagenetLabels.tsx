import { hideClassLabels, labelClass, useBackbones } from '../../state/backbones';
import type { ClassInfo } from '../../state/project';
import { useSession } from '../../state/session';

/**
 * On request, the ImageNet labels the backbone most often gives this class's images:
 * a class that is really "background" (or mostly one other thing) shows up here.
 */
export function ClassImagenetLabels({ info }: { info: ClassInfo }) {
  const entry = useBackbones((s) => s.classLabels[info.id]);
  const busy = useSession((s) => s.busy !== null);
  if (!entry) {
    // Nothing to label in an empty class: no control until it has photos.
    if (info.samples.length === 0) return null;
    return (
      <button type="button" className="link" disabled={busy} onClick={() => void labelClass(info.id)}>
        ImageNet labels of {info.name}
      </button>
    );
  }
  const { view, error } = entry;
  return (
    <div className="class-imagenet" role="group" aria-label={`ImageNet labels of ${info.name}`} aria-busy={!view && !error}>
      {error && <p className="error">{error}</p>}
      {!view && !error && <p className="hint">Labelling {info.name}'s images…</p>}
      {view && (
        <>
          <p className="hint">
            Most frequent ImageNet labels ({view.images === view.of ? `${view.of} images` : `${view.images} of ${view.of} images`}, by {view.by}):
          </p>
          <ol className="imagenet-labels">
            {view.labels.map((l) => (
              <li key={l.label} data-label={l.label} data-count={l.count}>
                {l.label} <span className="hint">× {l.count}</span>
              </li>
            ))}
          </ol>
        </>
      )}
      <button type="button" className="link" onClick={() => hideClassLabels(info.id)}>
        Hide ImageNet labels
      </button>
    </div>
  );
}
