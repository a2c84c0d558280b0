import { useState, type ReactNode } from 'react';
import { importByClassName } from '../../state/actions';
import { useSession } from '../../state/session';
import { groupByClass, readDrop, type ClassGroups } from './dropFiles';

/**
 * The whole page accepts a folder drop (one class per subfolder). Drops on a
 * class card are handled by the card and stop here.
 */
export function PageDropZone({ children }: { children: ReactNode }) {
  const [over, setOver] = useState(false);
  return (
    <div
      className={`page${over ? ' page-drop-over' : ''}`}
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const pending = readDrop(e.dataTransfer);
        void pending.then((dropped) => importDropped(groupByClass(dropped)));
      }}
    >
      {children}
    </div>
  );
}

/** Imports an ImageFolder drop, and says which files were left out because they sit in no class folder. */
export async function importDropped(groups: ClassGroups): Promise<void> {
  const { notify } = useSession.getState();
  if (groups.unplaced.length > 0) {
    notify(
      'info',
      groups.classes.size > 0
        ? `${groups.unplaced.length} files outside class folders were not added (${groups.unplaced
            .slice(0, 3)
            .map((f) => `"${f.name}"`)
            .join(', ')}${groups.unplaced.length > 3 ? ', …' : ''}).`
        : 'To add loose images, drop them on a class card. To create classes, drop a folder whose subfolders are the classes.',
    );
  }
  if (groups.classes.size > 0) await importByClassName(groups.classes);
}
