import { useEffect } from 'react';
import { labelTestImage, useBackbones } from '../../state/backbones';
import { useSession } from '../../state/session';

/**
 * The pretrained ImageNet top-3 of the test image: what the frozen backbone
 * recognises before the trained head is applied.
 */
export function BackboneSees() {
  const image = useSession((s) => s.predictionImage);
  const predictions = useSession((s) => s.predictions);
  const state = useBackbones((s) => s.imagenet);
  // Asked again when the model moves to another backbone: the labels are that backbone's view.
  const backboneId = useSession((s) => s.trainedBackboneId);
  useEffect(() => {
    if (image && predictions) void labelTestImage(image);
  }, [image, predictions, backboneId]);
  if (!image || !predictions || state?.image !== image) return null;
  const { view, error } = state;
  return (
    <section className="backbone-sees" aria-labelledby="backbone-sees-title" aria-busy={!view && !error}>
      <h3 id="backbone-sees-title">What the backbone sees</h3>
      {error && <p className="error">{error}</p>}
      {!view && !error && <p className="hint">Asking the backbone…</p>}
      {view && (
        <>
          <ol className="imagenet-labels" aria-label="ImageNet top-3">
            {view.labels.map((l) => (
              <li key={l.label} data-label={l.label} data-probability={l.probability}>
                {l.label} <span className="hint">{(l.probability * 100).toFixed(1)}%</span>
              </li>
            ))}
          </ol>
          <p className="hint">
            {view.ownTop
              ? `ImageNet classes from ${view.by}'s own pretrained top, before your head is applied.`
              : `This backbone has no ImageNet top; ${view.by} names what it sees.`}
          </p>
        </>
      )}
    </section>
  );
}
