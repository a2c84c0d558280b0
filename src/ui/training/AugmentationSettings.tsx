import { useEffect, useState } from 'react';
import type { AugmentSettings as Augmentation } from '../../engine/api';
import { previewAugmentation } from '../../state/actions';
import { useProject } from '../../state/project';

const OPERATIONS: { key: keyof Augmentation; label: string; hint: string }[] = [
  { key: 'flip', label: 'Horizontal flip', hint: 'strength = chance of mirroring' },
  { key: 'rotate', label: 'Rotation', hint: 'up to ±30° at full strength' },
  { key: 'zoom', label: 'Zoom / crop', hint: 'up to 1.5× in, 0.8× out' },
  { key: 'shear', label: 'Shear', hint: 'up to ±0.3' },
  { key: 'color', label: 'Brightness / contrast', hint: 'up to ±30% brightness, ±40% contrast' },
];

const PREVIEW_COUNT = 6;

/** Augmentation toggles with strengths, and a strip of augmented views of one sample. */
export function AugmentationSettings({ disabled }: { disabled: boolean }) {
  const settings = useProject((s) => s.settings);
  const setSettings = useProject((s) => s.setSettings);
  const firstSample = useProject((s) => s.classes.find((c) => c.samples.length > 0)?.samples[0] ?? null);
  const [preview, setPreview] = useState<{ urls: string[]; name: string } | null>(null);
  useEffect(() => () => preview?.urls.forEach((url) => URL.revokeObjectURL(url)), [preview]);

  const setOperation = (key: keyof Augmentation, patch: Partial<Augmentation[keyof Augmentation]>) =>
    setSettings({ augmentation: { ...settings.augmentation, [key]: { ...settings.augmentation[key], ...patch } } });

  const showPreview = async () => {
    if (!firstSample) return;
    const blobs = await previewAugmentation(firstSample.id, settings.augmentation, PREVIEW_COUNT, settings.seed);
    if (blobs) setPreview({ urls: blobs.map((b) => URL.createObjectURL(b)), name: firstSample.name });
  };

  return (
    <fieldset className="settings-group">
      <legend>Augmentation</legend>
      <label className="inline">
        <input type="checkbox" checked={settings.augment} disabled={disabled} onChange={(e) => setSettings({ augment: e.target.checked })} />
        Augment training images (validation images never are)
      </label>
      <label>
        Augmented views per image
        <input
          type="number"
          min={1}
          max={32}
          step={1}
          disabled={disabled || !settings.augment}
          value={settings.augmentViews}
          onChange={(e) =>
            Number.isFinite(e.target.valueAsNumber) && setSettings({ augmentViews: Math.min(32, Math.max(1, Math.round(e.target.valueAsNumber))) })
          }
        />
      </label>
      <label className="inline">
        <input
          type="checkbox"
          checked={settings.augmentEveryBatch}
          disabled={disabled || !settings.augment}
          onChange={(e) => setSettings({ augmentEveryBatch: e.target.checked })}
        />
        When fine-tuning, augment every batch afresh (more variety; each epoch runs the whole backbone)
      </label>
      <div className="augment-ops">
        {OPERATIONS.map(({ key, label, hint }) => {
          const op = settings.augmentation[key];
          return (
            <div key={key} className={`augment-op${settings.augment && op.enabled ? '' : ' off'}`} title={hint}>
              <label className="inline">
                <input type="checkbox" checked={op.enabled} disabled={disabled || !settings.augment} onChange={(e) => setOperation(key, { enabled: e.target.checked })} />
                {label}
              </label>
              <input
                type="range"
                aria-label={`${label} strength`}
                min={0}
                max={1}
                step={0.05}
                disabled={disabled || !settings.augment || !op.enabled}
                value={op.strength}
                onChange={(e) => setOperation(key, { strength: e.target.valueAsNumber })}
              />
              <output>{op.strength.toFixed(2)}</output>
            </div>
          );
        })}
      </div>
      <button type="button" disabled={!firstSample} onClick={() => void showPreview()}>
        Preview augmentation
      </button>
      {!firstSample && <span className="hint"> Add an image to preview.</span>}
      {preview && (
        <div className="augment-preview" role="group" aria-label="Augmentation preview">
          {preview.urls.map((url, i) => (
            <img key={url} src={url} alt={`Augmented view ${i + 1} of ${preview.name}`} width={64} height={64} />
          ))}
        </div>
      )}
    </fieldset>
  );
}
