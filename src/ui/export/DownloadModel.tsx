import { useId, useState } from 'react';
import { BACKBONES, type ExportProgress } from '../../engine/api';
import { downloadModelAs, type DownloadedModel } from '../../state/modelExport';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';
import { ProgressBar } from '../common/ProgressBar';
import { formatBytes } from '../../formatBytes';
import { EXPORT_FORMATS, exportFormat, type ExportFormatId } from './formats';

const STAGE_TEXT: Record<ExportProgress['stage'], string> = {
  building: 'Folding batch norm into the convolutions…',
  calibrating: 'Calibrating 8-bit ranges on the project’s images',
  writing: 'Writing the model file…',
};

interface Props {
  formatId: ExportFormatId;
  onFormatChange(formatId: ExportFormatId): void;
}

/** The `Export format` list and `Download model` for it, with export progress and how big the file came out. */
export function DownloadModel({ formatId, onFormatChange }: Props) {
  const trained = useSession((s) => s.result !== null);
  const busy = useSession((s) => s.busy);
  const backboneId = useProject((s) => s.backboneId);
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
        <select id={selectId} value={formatId} disabled={exporting} onChange={(e) => { onFormatChange(e.target.value as ExportFormatId); setSaved(null); }}>
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
        <p className="hint" id="export-explanation">
          {format.explanation} It loads in {format.loadedBy}.
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
    </div>
  );
}
