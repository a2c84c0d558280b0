import { useProject } from '../../state/project';
import { ClassCard } from './ClassCard';
import { ImportFolderButton } from './ImportFolderButton';

export function ClassesPanel() {
  const classes = useProject((s) => s.classes);
  const addClass = useProject((s) => s.addClass);
  return (
    <section className="panel classes-panel" aria-labelledby="classes-title">
      <h2 id="classes-title">Classes</h2>
      <p className="hint">
        Drop images on a class, or drop a folder whose subfolders are classes anywhere on the page.
      </p>
      {classes.map((c) => (
        <ClassCard key={c.id} info={c} />
      ))}
      <div className="row">
        <button type="button" onClick={() => addClass()}>
          Add class
        </button>
        <ImportFolderButton />
      </div>
    </section>
  );
}
