import { useState, type CSSProperties } from 'react';
import { predict } from '../../state/actions';
import { useSession } from '../../state/session';
import { useLabelColour } from './colours';
import { FileDrop } from '../common/FileDrop';
import { ExplainControls, HeatmapOverlay } from './Saliency';
import { BackboneSees } from './BackboneSees';
import { Verdict } from './Verdict';

/**
 * Pick or drop an image to see every class's probability. The page shows the
 * engine's small preview; the full-size image is only decoded in the worker.
 */
export function TestImage() {
  const predictions = useSession((s) => s.predictions);
  const source = useSession((s) => s.predictionSource);
  const trained = useSession((s) => s.result !== null);
  const previewUrl = useSession((s) => s.predictionPreview);
  const colourOf = useLabelColour();
  /** The preview's natural size, for placing the heatmap on the centre square. */
  const [natural, setNatural] = useState<{ url: string; width: number; height: number } | null>(null);

  const run = (file: File | undefined) => {
    if (file) void predict(file);
  };

  return (
    <FileDrop className="test-image" onFiles={(files) => run(files[0])}>
      <label className={`button${trained ? '' : ' disabled'}`}>
        Choose test image
        <input
          type="file"
          accept="image/*"
          className="visually-hidden"
          aria-label="Test image"
          disabled={!trained}
          onChange={(e) => {
            run(e.target.files?.[0]);
            e.target.value = '';
          }}
        />
      </label>
      <span className="hint">{trained ? 'or drop one here' : 'Train a model first.'}</span>
      {previewUrl && (
        <div className="test-preview-frame">
          <img
            className="test-preview"
            src={previewUrl}
            alt={source ?? 'test image'}
            onLoad={(e) => setNatural({ url: previewUrl, width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
          />
          {natural?.url === previewUrl && <HeatmapOverlay width={natural.width} height={natural.height} />}
        </div>
      )}
      <div role="status" aria-label="Predictions" className="predictions">
        {predictions && predictions.length > 0 && <Verdict label={predictions[0].label} probability={predictions[0].probability} colour={colourOf(predictions[0].label)} />}
        {predictions && (
          <div data-source={source ?? ''}>
            {predictions.map((p) => (
              <div
                key={p.label}
                className="prediction"
                data-label={p.label}
                data-probability={p.probability}
                style={{ '--class-colour': colourOf(p.label) } as CSSProperties}
              >
                <span className="prediction-text">
                  {p.label} {(p.probability * 100).toFixed(1)}%
                </span>
                <span className="bar" style={{ width: `${Math.round(p.probability * 100)}%` }} />
              </div>
            ))}
          </div>
        )}
      </div>
      {predictions && previewUrl && <ExplainControls key={previewUrl} predictions={predictions} />}
      <BackboneSees />
    </FileDrop>
  );
}
