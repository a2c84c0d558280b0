import { useProject } from '../../state/project';

export function ProjectName() {
  const name = useProject((s) => s.name);
  const setName = useProject((s) => s.setName);
  return (
    <label className="project-name">
      <span className="visually-hidden">Project name</span>
      <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Project name" />
    </label>
  );
}
