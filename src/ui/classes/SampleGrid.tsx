import type { Sample } from '../../state/project';

/** The class's thumbnails (96 px JPEGs made by the engine), each with a delete button. */
export function SampleGrid({ samples, onDelete }: { samples: Sample[]; onDelete(id: string): void }) {
  if (samples.length === 0) return null;
  return (
    <ul className="sample-grid" aria-label="Images">
      {samples.map((s) => (
        <li key={s.id} className="sample">
          <img src={s.thumbUrl} alt={s.name} title={s.name} width={64} height={64} loading="lazy" decoding="async" />
          <button type="button" className="sample-delete" aria-label={`Delete ${s.name}`} onClick={() => onDelete(s.id)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
