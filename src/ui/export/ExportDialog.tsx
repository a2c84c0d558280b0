import { useRef, useState } from 'react';
import { BACKBONES } from '../../engine/api';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';
import { DownloadModel } from './DownloadModel';
import { DEFAULT_EXPORT_FORMAT, exportFormat, type ExportFormatId } from './formats';

/**
 * The last step: `Export model…` opens a dialog with the `Export format` list,
 * `Download model`, what the files are, and code that loads them, ready to copy.
 */
export function ExportDialog() {
  const trained = useSession((s) => s.result !== null);
  const backboneId = useProject((s) => s.backboneId);
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [formatId, setFormatId] = useState<ExportFormatId>(DEFAULT_EXPORT_FORMAT);
  const [copied, setCopied] = useState(false);
  const backbone = BACKBONES.find((b) => b.id === backboneId);
  const snippet = exportFormat(formatId).snippet({ size: backbone?.inputSize ?? 224, scaling: backbone?.scaling ?? 'teachable-machine' });

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(snippet);
      setCopied(true);
    } catch {
      // Without clipboard permission, select the code so Ctrl+C copies it.
      const code = dialog.current?.querySelector('pre');
      if (code) getSelection()?.selectAllChildren(code);
    }
  };

  return (
    <div className="export-step">
      <button
        type="button"
        className="export-open"
        disabled={!trained}
        onClick={() => {
          setOpen(true);
          setCopied(false);
          dialog.current?.showModal();
        }}
      >
        Export model…
      </button>
      {!trained && <span className="hint"> Train a model to export it.</span>}
      <dialog ref={dialog} className="export-dialog" aria-labelledby="export-title" onClose={() => setOpen(false)}>
        {open && (
          <>
            <div className="dialog-header">
              <h2 id="export-title">Export model</h2>
              <button type="button" onClick={() => dialog.current?.close()}>
                Close
              </button>
            </div>
            <DownloadModel
              formatId={formatId}
              onFormatChange={(id) => {
                setFormatId(id);
                setCopied(false);
              }}
            />
            <h3 className="snippet-title" id="snippet-title">
              How to use it
            </h3>
            <pre className="snippet" role="region" tabIndex={0} aria-labelledby="snippet-title">
              <code>{snippet}</code>
            </pre>
            <div className="row">
              <button type="button" onClick={() => void copy()}>
                Copy code
              </button>
              <span role="status" className="hint">
                {copied ? 'Copied.' : ''}
              </span>
            </div>
          </>
        )}
      </dialog>
    </div>
  );
}
