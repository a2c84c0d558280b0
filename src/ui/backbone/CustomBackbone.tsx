import { useEffect, useState } from 'react';
import type { PixelScaling } from '../../engine/api';
import { chooseCustomBackbone, inspectCustomBackbone } from '../../state/actions';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';
import { FileDrop } from '../common/FileDrop';

const SCALINGS: { value: PixelScaling; label: string }[] = [
  { value: 'teachable-machine', label: '[-1, 1] (x / 127 − 1, Keras MobileNet style)' },
  { value: 'unit', label: '[0, 1] (x / 255)' },
];

const shapeText = (shape: (number | null)[] | null) => (shape ? `[${shape.map((d) => d ?? '?').join('×')}]` : '?');

/**
 * Load any TF.js layers or graph model as the backbone, by URL or by dropping its
 * model.json with its weight files, and pick the layer whose output is the embedding.
 */
export function CustomBackbone() {
  const customModel = useSession((s) => s.customModel);
  const loading = useSession((s) => s.customModelLoading);
  const busy = useSession((s) => s.busy);
  const remembered = useProject((s) => s.customBackbone);
  const [url, setUrl] = useState('');
  const [featureNode, setFeatureNode] = useState('');
  const [scaling, setScaling] = useState<PixelScaling>('teachable-machine');

  useEffect(() => {
    if (!customModel) return;
    const same = remembered?.modelId === customModel.modelId;
    setFeatureNode(same ? remembered.featureNode : customModel.info.defaultFeature);
    if (same) setScaling(remembered.scaling);
    // Only when another model is loaded; later edits are the user's.
  }, [customModel]);

  return (
    <details className="custom-backbone">
      <summary>Custom backbone…</summary>
      {/* Model files are not images: FileDrop keeps them from the page's image drop zone. */}
      <FileDrop
        className="custom-backbone-body"
        onFiles={(files) => {
          if (files.length > 0) void inspectCustomBackbone({ files });
        }}
      >
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (url.trim()) void inspectCustomBackbone({ url: url.trim() });
          }}
        >
          <label>
            Model URL{' '}
            <input type="url" value={url} placeholder="https://…/model.json" onChange={(e) => setUrl(e.target.value)} />
          </label>
          <button type="submit" disabled={loading || !url.trim()}>
            Load
          </button>
        </form>
        <label>
          Or drop / pick model.json with its weight files{' '}
          <input
            type="file"
            multiple
            accept=".json,.bin,application/json,application/octet-stream"
            aria-label="Custom backbone files"
            onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              e.target.value = '';
              if (files.length > 0) void inspectCustomBackbone({ files });
            }}
          />
        </label>
        {loading && <p className="hint">Loading the model…</p>}
        {customModel && (
          <div className="custom-layers">
            <p>
              <strong>{customModel.title}</strong> ({customModel.info.format} model, input {customModel.info.inputSize}×{customModel.info.inputSize}):{' '}
              {customModel.info.layers.length} {customModel.info.format === 'graph' ? 'nodes' : 'layers'}.
            </p>
            <table className="confusion" aria-label="Custom backbone layers">
              <thead>
                <tr>
                  <th scope="col">layer</th>
                  <th scope="col">type</th>
                  <th scope="col">output</th>
                </tr>
              </thead>
              <tbody>
                {customModel.info.layers.map((l) => (
                  <tr key={l.name} className={l.name === featureNode ? 'diagonal' : undefined}>
                    <th scope="row">{l.name}</th>
                    <td>{l.kind}</td>
                    <td>{shapeText(l.shape)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <label>
              Feature layer{' '}
              <select value={featureNode} onChange={(e) => setFeatureNode(e.target.value)}>
                {customModel.info.layers.map((l) => (
                  <option key={l.name} value={l.name}>
                    {l.name} {shapeText(l.shape)}
                    {l.name === customModel.info.defaultFeature ? ' (suggested)' : ''}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Input scaling{' '}
              <select value={scaling} onChange={(e) => setScaling(e.target.value as PixelScaling)}>
                {SCALINGS.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              disabled={busy !== null || !featureNode}
              onClick={() => void chooseCustomBackbone({ modelId: customModel.modelId, title: customModel.title, featureNode, scaling })}
            >
              Use this backbone
            </button>
          </div>
        )}
      </FileDrop>
    </details>
  );
}
