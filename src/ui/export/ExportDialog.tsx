import { useRef, useState } from 'react';
import { useSession } from '../../state/session';
import { DownloadModel } from './DownloadModel';
import { EXPLANATIONS, EXPORT_FORMATS, SNIPPETS, type ExportFormatName } from './snippets';

/**
 * The last step: `Export model…` opens a dialog with the format, `Download
 * model`, what the files are, and code to load them that can be copied as is.
 */
export function ExportDialog() {
  const trained = useSession((s) => s.result !== null);
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [format, setFormat] = useState<ExportFormatName>('TensorFlow.js');
  const [copied, setCopied] = useState(false);
  const snippet = SNIPPETS[format];

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
      <dialog ref={dialog} className="export-dialog" aria-labelledby="export-title" aria-describedby="export-explanation" onClose={() => setOpen(false)}>
        {open && (
          <>
            <div className="dialog-header">
              <h2 id="export-title">Export model</h2>
              <button type="button" onClick={() => dialog.current?.close()}>
                Close
              </button>
            </div>
            <label className="export-format">
              Export format
              <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormatName)}>
                {EXPORT_FORMATS.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
              </select>
            </label>
            <p id="export-explanation">{EXPLANATIONS[format]}</p>
            <DownloadModel />
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
