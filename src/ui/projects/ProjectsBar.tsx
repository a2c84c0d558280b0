import { useState } from 'react';
import { useSession } from '../../state/session';
import { ImportFolderButton } from '../classes/ImportFolderButton';
import { ProjectFiles } from './ProjectFiles';
import {
  deleteProject,
  describeStorage,
  duplicateProject,
  importProjectFile,
  newProject,
  openProject,
  refreshProjectList,
  renameProject,
  saveNow,
  useProjects,
} from '../../state/persistence';

const SAVE_TEXT = { saved: 'All changes saved', saving: 'Saving…', failed: 'Not saved' } as const;

/** Save status, and the list of projects stored in this browser with what can be done to each. */
export function ProjectsBar() {
  const [open, setOpen] = useState(false);
  const { currentId, projects, saveState, storage } = useProjects();
  const busy = useSession((s) => s.busy !== null);
  return (
    <div className="projects-bar">
      <span role="status" aria-label="Save status" className={`save-state ${saveState}`}>
        {SAVE_TEXT[saveState]}
      </span>
      <button
        type="button"
        aria-expanded={open}
        onClick={() => {
          // Auto-save refreshes the list at most every few seconds: show it current.
          if (!open) void saveNow().then(refreshProjectList);
          setOpen(!open);
        }}
      >
        Projects
      </button>
      {open && (
        <section
          className="projects-panel panel"
          aria-label="Projects"
          onKeyDown={(e) => {
            if (e.key === 'Escape') setOpen(false);
          }}
        >
          <div className="sheet-header">
            <h2>Projects</h2>
            <button type="button" className="sheet-close" aria-label="Close projects" onClick={() => setOpen(false)}>
              ×
            </button>
          </div>
          <p className="hint">{describeStorage(storage)}</p>
          <div className="row">
            <button type="button" disabled={busy} onClick={() => void newProject()}>
              New project
            </button>
            <label className={`button${busy ? ' disabled' : ''}`}>
              Import project…
              <input
                type="file"
                accept=".zip,application/zip"
                className="visually-hidden"
                aria-label="Import project"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  e.target.value = '';
                  if (!file) return;
                  // The panel would cover the import's progress and its Cancel button.
                  setOpen(false);
                  void importProjectFile(file);
                }}
              />
            </label>
          </div>
          <ul className="project-list" aria-label="Saved projects">
            {projects.map((p) => (
              <li key={p.id} className={p.id === currentId ? 'current' : undefined}>
                <span className="project-title">
                  {p.name} <span className="hint">({p.images} images{p.id === currentId ? ', open' : ''})</span>
                </span>
                <button type="button" disabled={busy || p.id === currentId} aria-label={`Open project ${p.name}`} onClick={() => void openProject(p.id)}>
                  Open
                </button>
                <button
                  type="button"
                  disabled={busy}
                  aria-label={`Rename project ${p.name}`}
                  onClick={() => {
                    const name = window.prompt('New name for the project', p.name)?.trim();
                    if (name) void renameProject(p.id, name);
                  }}
                >
                  Rename
                </button>
                <button type="button" disabled={busy} aria-label={`Duplicate project ${p.name}`} onClick={() => void duplicateProject(p.id)}>
                  Duplicate
                </button>
                <button
                  type="button"
                  disabled={busy}
                  aria-label={`Delete project ${p.name}`}
                  onClick={() => {
                    if (window.confirm(`Delete the project "${p.name}" and its ${p.images} images from this browser? This cannot be undone.`)) {
                      void deleteProject(p.id);
                    }
                  }}
                >
                  Delete
                </button>
              </li>
            ))}
          </ul>
          <h3 className="sheet-subtitle">Add a folder of photos</h3>
          <div className="row">
            <ImportFolderButton />
            <span className="hint">Each subfolder becomes a class (or joins the class of that name).</span>
          </div>
          <h3 className="sheet-subtitle">Files</h3>
          <ProjectFiles />
        </section>
      )}
    </div>
  );
}
