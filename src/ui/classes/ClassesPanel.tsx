import { useEffect, useRef } from 'react';
import { useProject } from '../../state/project';
import { useStartup } from '../../state/startup';
import { ClassCard } from './ClassCard';

/** Step 1: the classes and their photos. */
export function ClassesPanel() {
  const classes = useProject((s) => s.classes);
  const addClass = useProject((s) => s.addClass);
  // Until the saved project is open the classes are placeholders: images added to them would be lost.
  const starting = useStartup((s) => s.opening);
  const list = useRef<HTMLDivElement>(null);
  const added = useRef<string | null>(null);
  useEffect(() => {
    // A class added with the button is brought into view with its name ready to type.
    if (!added.current) return;
    const card = list.current?.querySelector<HTMLElement>(`[data-class-id="${added.current}"]`);
    added.current = null;
    card?.scrollIntoView({ block: 'nearest' });
    card?.querySelector<HTMLInputElement>('.class-name')?.select();
  }, [classes.length]);
  return (
    <section className="panel step classes-panel" id="step-collect" aria-labelledby="classes-title">
      <h2 id="classes-title">
        <span className="step-number" aria-hidden="true">1</span> Collect
      </h2>
      <p className="hint step-intro">
        Give each class a name and add example photos of it: at least a few, better 20 or more, each a bit different.
      </p>
      {starting ? (
        <p className="hint opening-project" role="status">
          Opening your project…
        </p>
      ) : (
        <>
          <div ref={list}>
            {classes.map((c, i) => (
              <div key={c.id} data-class-id={c.id}>
                <ClassCard info={c} index={i} />
              </div>
            ))}
          </div>
          <div className="row">
            <button type="button" onClick={() => (added.current = addClass())}>
              Add class
            </button>
          </div>
        </>
      )}
      <p className="hint">Tip: drop a folder whose subfolders are classes anywhere on the page.</p>
    </section>
  );
}
