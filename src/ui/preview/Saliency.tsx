import { useEffect, useRef, useState } from 'react';
import type { ClassProbability, Explanation } from '../../engine/api';
import { clearExplanation, explainTestImage, showExplanation } from '../../state/actions';
import { useSession } from '../../state/session';
import { ProgressBar } from '../common/ProgressBar';

const CAPTION_ID = 'heatmap-caption';
/** Drops below this (1 percentage point) are reported as "no part matters on its own". */
const NOTICEABLE_DROP = 0.01;
/** Grid choices: cells per side. */
const DETAILS = [
  { cells: 7, text: 'Coarse (7×7)' },
  { cells: 14, text: 'Fine (14×14, ~4× slower)' },
];
/** Resolution of the overlay canvas; CSS scales it to the image. */
const OVERLAY_PIXELS = 224;

/**
 * "Why this class?": computes the occlusion heatmap of the test image for the
 * predicted class (or another one picked here), with a busy state, a toggle
 * to hide it and a caption saying what the colours mean.
 */
export function ExplainControls({ predictions }: { predictions: ClassProbability[] }) {
  const explanation = useSession((s) => s.explanation);
  const training = useSession((s) => s.busy === 'training');
  const [picked, setPicked] = useState<string | null>(null);
  const [pickedCells, setPickedCells] = useState(DETAILS[0].cells);
  const label = explanation?.label ?? picked ?? predictions[0].label;
  const cells = explanation?.cells ?? pickedCells;
  const running = explanation?.status === 'running';
  const result = explanation?.status === 'done' ? explanation.result : null;

  return (
    <div className="explain" role="group" aria-label="Why this class" aria-busy={running}>
      <div className="row">
        <button type="button" disabled={running || training} onClick={() => void explainTestImage(label, cells)}>
          {running ? 'Explaining…' : 'Why this class?'}
        </button>
        <select
          aria-label="Class to explain"
          value={label}
          disabled={training}
          onChange={(e) => {
            setPicked(e.target.value);
            // With a heatmap on screen, picking another class explains that one at once.
            if (explanation) void explainTestImage(e.target.value, cells);
          }}
        >
          {predictions.map((p) => (
            <option key={p.label} value={p.label}>
              {p.label} ({(p.probability * 100).toFixed(1)}%)
            </option>
          ))}
        </select>
        <select
          aria-label="Heatmap detail"
          value={cells}
          disabled={training}
          onChange={(e) => {
            const next = Number(e.target.value);
            setPickedCells(next);
            if (explanation) void explainTestImage(label, next);
          }}
        >
          {DETAILS.map((d) => (
            <option key={d.cells} value={d.cells}>
              {d.text}
            </option>
          ))}
        </select>
        {result && (
          <label className="inline-check">
            <input type="checkbox" checked={explanation!.shown} onChange={(e) => showExplanation(e.target.checked)} />
            Show heatmap
          </label>
        )}
      </div>
      {explanation?.status === 'running' && (
        <div className="row">
          <ProgressBar
            label="Explaining"
            value={explanation.progress?.done ?? 0}
            max={explanation.progress?.total ?? 1}
            text={explanation.progress ? `Covering parts of the image: ${explanation.progress.done} of ${explanation.progress.total}` : 'Preparing…'}
          />
          <button type="button" className="link" onClick={clearExplanation}>
            Stop
          </button>
        </div>
      )}
      {explanation?.status === 'error' && (
        <p role="alert" className="explain-error">
          The heatmap could not be computed: {explanation.error}
        </p>
      )}
      {result && <HeatmapCaption result={result} />}
    </div>
  );
}

function HeatmapCaption({ result }: { result: Explanation }) {
  const points = Math.round(result.maxDrop * 100);
  const noticeable = result.maxDrop >= NOTICEABLE_DROP;
  return (
    <div className="heatmap-caption">
      <p id={CAPTION_ID}>
        {noticeable
          ? `Red marks the parts of the photo that made the model say "${result.label}" most: hiding them lowers its confidence from ${(result.probability * 100).toFixed(0)}% by up to ${points} points.`
          : `No single part of the photo decides "${result.label}": hiding any one part changes the model's confidence by less than 1 point.`}
      </p>
      {noticeable && <p aria-label="Most important region">Most important region: {result.region}</p>}
      <div className="heatmap-legend" aria-hidden="true">
        <span>less</span>
        <span className="heatmap-scale" />
        <span>more important</span>
      </div>
      <details className="hint heatmap-details">
        <summary>How this is measured</summary>
        <p>
          Occlusion: the model's {result.inputSize} px centre square is covered by a grey patch of {result.patchSize} px at each place of a{' '}
          {result.rows}×{result.cols} grid, and each place is coloured by how many percentage points "{result.label}" drops when it is covered;{' '}
          {result.evaluations} predictions in {(result.milliseconds / 1000).toFixed(1)} s ({result.backend}).
        </p>
      </details>
    </div>
  );
}

/**
 * The heatmap drawn over the test image's preview (`width` × `height`, its natural size):
 * on the centre square the model sees, warmer where covering the image lowered the class more.
 */
export function HeatmapOverlay({ width, height }: { width: number; height: number }) {
  const explanation = useSession((s) => s.explanation);
  const canvas = useRef<HTMLCanvasElement>(null);
  const result = explanation?.status === 'done' && explanation.shown ? explanation.result : null;

  useEffect(() => {
    if (result && canvas.current) drawHeatmap(canvas.current, result);
  }, [result]);

  if (!result) return null;
  // The model sees the centre square of the image (the engine crops the same way).
  const side = Math.min(width, height);
  const style = {
    left: `${((width - side) / 2 / width) * 100}%`,
    top: `${((height - side) / 2 / height) * 100}%`,
    width: `${(side / width) * 100}%`,
    height: `${(side / height) * 100}%`,
  };
  return (
    <canvas
      ref={canvas}
      className="heatmap-overlay"
      width={OVERLAY_PIXELS}
      height={OVERLAY_PIXELS}
      style={style}
      role="img"
      aria-label={`Heatmap: why "${result.label}"`}
      aria-describedby={CAPTION_ID}
      data-label={result.label}
      data-rows={result.rows}
      data-cols={result.cols}
      data-hottest-cell={`${result.hottest.row},${result.hottest.col}`}
      data-heat={result.heat.map((h) => h.toFixed(3)).join(',')}
      data-max-drop={result.maxDrop.toFixed(4)}
      data-milliseconds={result.milliseconds}
    />
  );
}

/** Yellow (a little) to red (most), more opaque where hotter; clear where covering did not lower the class. */
function heatColour(heat: number): [number, number, number, number] {
  const h = Math.max(0, Math.min(1, heat));
  return [255 - Math.round(25 * h), Math.round(220 * (1 - h)), 0, Math.round(255 * 0.7 * h)];
}

function drawHeatmap(target: HTMLCanvasElement, result: Explanation): void {
  const cells = document.createElement('canvas');
  cells.width = result.cols;
  cells.height = result.rows;
  const image = new ImageData(result.cols, result.rows);
  result.heat.forEach((h, i) => image.data.set(heatColour(h), i * 4));
  cells.getContext('2d')!.putImageData(image, 0, 0);
  const context = target.getContext('2d')!;
  context.clearRect(0, 0, target.width, target.height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  // Cells are `stride` model pixels; the last row and column may run past the border (cut off by the canvas).
  const scale = target.width / result.inputSize;
  context.drawImage(cells, 0, 0, result.cols * result.stride * scale, result.rows * result.stride * scale);
}
