import { useEffect, useRef, useState, type CSSProperties } from 'react';
import { importIntoClass } from '../../state/actions';
import { classColour } from '../../state/guide';
import { useProject, type ClassInfo } from '../../state/project';
import { useSession } from '../../state/session';
import { deleteClassWithUndo, deleteSampleWithUndo } from '../../state/undo';
import { useRovingFocus } from '../common/useRovingFocus';
import { readDrop } from './dropFiles';
import { SampleGrid } from './SampleGrid';
import { WebcamButton } from '../webcam/WebcamButton';
import { ClassImagenetLabels } from './ClassImagenetLabels';

/** One class: its name, a drop target and file picker for images, and its samples. */
export function ClassCard({ info, index }: { info: ClassInfo; index: number }) {
  const renameClass = useProject((s) => s.renameClass);
  const [draft, setDraft] = useState(info.name);
  const [over, setOver] = useState(false);
  const toolbar = useRef<HTMLDivElement>(null);
  const onToolbarKey = useRovingFocus(toolbar);
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
      style={{ '--class-colour': classColour(index) } as CSSProperties}
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
        <span className="class-swatch" aria-hidden="true" />
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
          {info.samples.length.toLocaleString('en')} {info.samples.length === 1 ? 'image' : 'images'}
        </span>
      </div>
      <div className="class-card-actions" role="toolbar" aria-label={`Actions for ${info.name}`} ref={toolbar} onKeyDown={onToolbarKey}>
        <label className="button file-button">
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
        <button type="button" className="quiet" aria-label={`Delete class ${info.name}`} onClick={() => deleteClassWithUndo(info.id)}>
          Delete
        </button>
      </div>
      {info.samples.length === 0 && <p className="hint drop-hint">Drop photos here, upload them or take them with the webcam.</p>}
      <ClassMessages classId={info.id} />
      <ClassImagenetLabels info={info} />
      <SampleGrid samples={info.samples} onDelete={(sampleId) => deleteSampleWithUndo(info.id, sampleId)} />
    </section>
  );
}

/** Skipped-file messages for this card's last imports, next to the photos they concern. */
function ClassMessages({ classId }: { classId: string }) {
  const all = useSession((s) => s.notices);
  const dismiss = useSession((s) => s.dismiss);
  const notices = all.filter((n) => n.classId === classId);
  if (notices.length === 0) return null;
  return (
    <div className="class-messages">
      <ul aria-label="Skipped files">
        {notices.map((n) => (
          <li key={n.id} className={`notice notice-${n.kind}`}>
            <span>{n.text}</span>
          </li>
        ))}
      </ul>
      <button type="button" className="link" onClick={() => notices.forEach((n) => dismiss(n.id))}>
        {notices.length === 1 ? 'Dismiss message' : 'Dismiss messages'}
      </button>
    </div>
  );
}
