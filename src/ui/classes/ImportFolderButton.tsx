import { useEffect, useRef } from 'react';
import { fromDirectoryInput, groupByClass } from './dropFiles';
import { importDropped } from './PageDropZone';

/** Picks a folder (ImageFolder layout) with the browser's directory picker. */
export function ImportFolderButton() {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // React does not know the non-standard attribute.
    input.current?.setAttribute('webkitdirectory', '');
  }, []);
  return (
    <label className="button">
      Import folder…
      <input
        ref={input}
        type="file"
        multiple
        className="visually-hidden"
        aria-label="Import folder"
        onChange={(e) => {
          const files = e.target.files ? fromDirectoryInput(e.target.files) : [];
          e.target.value = '';
          void importDropped(groupByClass(files));
        }}
      />
    </label>
  );
}
