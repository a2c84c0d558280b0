import type { ReactNode } from 'react';

/** A region that takes dropped files for itself (the page-wide folder drop does not see them). */
export function FileDrop({ className, onFiles, children }: { className: string; onFiles(files: File[]): void; children: ReactNode }) {
  return (
    <div
      className={className}
      onDragOver={(e) => {
        e.preventDefault();
        e.stopPropagation();
      }}
      onDrop={(e) => {
        e.preventDefault();
        e.stopPropagation();
        onFiles([...e.dataTransfer.files]);
      }}
    >
      {children}
    </div>
  );
}
