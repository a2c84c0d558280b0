import { useId, useState } from 'react';
import { BACKBONES, type ExportProgress } from '../../engine/api';
import { downloadModelAs, type DownloadedModel } from '../../state/modelExport';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';
import { ProgressBar } from '../common/ProgressBar';
import { DEFAULT_EXPORT_FORMAT, EXPORT_FORMATS, exportFormat, formatBytes, type ExportFormatId } from './formats';

const STAGE_TEXT: Record<ExportProgress['stage'], string> = {
  building: 'Folding batch norm into the convolutions…',
  calibrating: 'Calibrating 8-bit ranges on the project’s images',
  writing: 'Writing the model file…',
};

interface Props {
  /** Hide the "Use your model" snippet (e.g. where a dialog shows it elsewhere). */
  showSnippet?: boolean;
}

/** Download model in the chosen format, with how to use the file and how big it came out. */
export function DownloadModel({ showSnippet = true }: Props) {
  const trained = useSession((s) => s.result !== null);
  const busy = useSession((s) => s.busy);
  const backboneId = useProject((s) => s.backboneId);
  const [formatId, setFormatId] = useState<ExportFormatId>(DEFAULT_EXPORT_FORMAT);
  const [progress, setProgress] = useState<ExportProgress | null>(null);
  const [saved, setSaved] = useState<(DownloadedModel & { format: ExportFormatId }) | null>(null);
  const selectId = useId();
  const format = exportFormat(formatId);
  const backbone = BACKBONES.find((b) => b.id === backboneId);
  // Graph backbones run in TF.js but cannot be rewritten; the engine refuses too, this says so before trying.
  const refusal =
    formatId !== 'tfjs' && backbone && backbone.format !== 'layers'
      ? `${format.label} needs a layers-model backbone. ${backbone.title} is a graph model that this app can run but not rewrite, so only TensorFlow.js works for it. Switch to MobileNet V2 0.35, V1 0.25 or V1 0.75 and train again for TFLite or ONNX.`
      : null;
  const exporting = progress !== null;

  const download = async () => {
    setSaved(null);
    setProgress({ stage: 'building', done: 0, total: 1 });
    try {
      const result = await downloadModelAs(formatId, (p) => setProgress(p));
      if (result) setSaved({ ...result, format: formatId });
    } finally {
      setProgress(null);
    }
  };

  return (
    <div className="export">
      <div className="export-row">
        <label htmlFor={selectId}>Export format</label>
        <select id={selectId} value={formatId} disabled={exporting} onChange={(e) => { setFormatId(e.target.value as ExportFormatId); setSaved(null); }}>
          {EXPORT_FORMATS.map((f) => (
            <option key={f.id} value={f.id}>
              {f.label}
            </option>
          ))}
        </select>
        <button type="button" disabled={!trained || busy !== null || refusal !== null} onClick={() => void download()}>
          Download model
        </button>
      </div>
      {refusal ? (
        <p className="hint" role="note">
          {refusal}
        </p>
      ) : (
        <p className="hint">
          A zip with {format.files.join(', ')}: for {format.loadedBy}.
        </p>
      )}
      {progress && (
        <ProgressBar
          label="Exporting model"
          value={progress.done}
          max={progress.total}
          text={progress.stage === 'calibrating' ? `${STAGE_TEXT.calibrating}: ${progress.done} of ${progress.total}` : STAGE_TEXT[progress.stage]}
        />
      )}
      {saved && saved.format === formatId && (
        <p className="hint" role="status" aria-label="Exported model size">
          {saved.modelFileName}: {formatBytes(saved.modelBytes)}
          {saved.format === 'tfjs' ? '' : ` (zip ${formatBytes(saved.zipBytes)})`}, made in {saved.seconds.toFixed(1)} s
        </p>
      )}
      {showSnippet && (
        <details className="export-snippet">
          <summary>Use your model</summary>
          <pre>
            <code>{format.snippet({ size: backbone?.inputSize ?? 224, scaling: backbone?.scaling ?? 'teachable-machine' })}</code>
          </pre>
        </details>
      )}
    </div>
  );
}
