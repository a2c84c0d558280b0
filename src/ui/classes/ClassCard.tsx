import { useEffect, useState } from 'react';
import { deleteClass, importIntoClass, removeSample } from '../../state/actions';
import { useProject, type ClassInfo } from '../../state/project';
import { readDrop } from './dropFiles';
import { SampleGrid } from './SampleGrid';
import { WebcamButton } from '../webcam/WebcamButton';
import { ClassImagenetLabels } from './ClassImagenetLabels';

/** One class: its name, a drop target and file picker for images, and its samples. */
export function ClassCard({ info }: { info: ClassInfo }) {
  const renameClass = useProject((s) => s.renameClass);
  const [draft, setDraft] = useState(info.name);
  const [over, setOver] = useState(false);
  useEffect(() => setDraft(info.name), [info.name]);

  const commitName = () => {
    const name = draft.trim();
    if (name && name !== info.name) renameClass(info.id, name);
    else setDraft(info.name);
  };

  return (
    <section
      className={`class-card${over ? ' drop-over' : ''}`}
      aria-label={info.name}
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        e.stopPropagation();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(false);
        // Folders dropped on a card: every image inside goes to this class.
        void readDrop(e.dataTransfer).then((dropped) => importIntoClass(info.id, dropped.map((d) => d.file)));
      }}
    >
      <div className="class-card-header">
        <input
          className="class-name"
          aria-label="Class name"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={commitName}
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.currentTarget.blur();
            if (e.key === 'Escape') setDraft(info.name);
          }}
        />
        <span className="count" aria-label={`${info.samples.length} images in ${info.name}`}>
          {info.samples.length} {info.samples.length === 1 ? 'image' : 'images'}
        </span>
        <button
          type="button"
          className="icon"
          aria-label={`Delete class ${info.name}`}
          onClick={() => {
            if (info.samples.length === 0 || window.confirm(`Delete "${info.name}" and its ${info.samples.length} images?`)) {
              deleteClass(info.id);
            }
          }}
        >
          Delete
        </button>
      </div>
      <div className="class-card-actions">
        <label className="button">
          Upload images
          <input
            type="file"
            accept="image/*"
            multiple
            className="visually-hidden"
            aria-label={`Add images to ${info.name}`}
            onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              e.target.value = '';
              void importIntoClass(info.id, files);
            }}
          />
        </label>
        <WebcamButton classId={info.id} />
        <span className="hint">or drop images here</span>
      </div>
      <ClassImagenetLabels info={info} />
      <SampleGrid samples={info.samples} onDelete={(sampleId) => removeSample(info.id, sampleId)} />
    </section>
  );
}
