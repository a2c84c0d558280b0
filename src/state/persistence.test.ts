import { beforeEach, describe, expect, it, vi } from 'vitest';

const engine = vi.hoisted(() => ({ editProject: vi.fn(async () => undefined), listProjects: vi.fn(async () => []) }));
vi.stubGlobal('navigator', {});
vi.mock('../engine/engine', () => ({ getEngine: () => engine, remoteCallback: <T>(callback: T) => callback }));

const { saveNow, useProjects } = await import('./persistence');
const { useProject } = await import('./project');

describe('auto-save', () => {
  beforeEach(() => {
    engine.editProject.mockClear();
    useProjects.setState({ currentId: 'p' });
    useProject.setState({ name: 'Birds', classes: [{ id: 'a', name: 'Robin', samples: [] }] });
  });

  it('stores the page’s edits, and does not rewrite them when only the images changed', async () => {
    await saveNow();
    expect(engine.editProject).toHaveBeenCalledTimes(1);
    expect(engine.editProject).toHaveBeenLastCalledWith('p', expect.objectContaining({ name: 'Birds', classes: [{ id: 'a', name: 'Robin' }] }));
    // An import chunk landed: the engine stored the images; the page's edits are as they were.
    useProject.setState({ classes: [{ id: 'a', name: 'Robin', samples: [{ id: 's1', name: 'robin.jpg' }] }] });
    await saveNow();
    expect(engine.editProject).toHaveBeenCalledTimes(1);
    expect(useProjects.getState().saveState).toBe('saved');
    useProject.setState({ name: 'Garden birds' });
    await saveNow();
    expect(engine.editProject).toHaveBeenCalledTimes(2);
    expect(engine.editProject).toHaveBeenLastCalledWith('p', expect.objectContaining({ name: 'Garden birds' }));
  });

  it('tries a failed save again at the next save, though nothing changed since', async () => {
    useProject.setState({ name: 'Fish' });
    engine.editProject.mockRejectedValueOnce(new Error('disk on fire'));
    await saveNow();
    expect(useProjects.getState().saveState).toBe('failed');
    await saveNow();
    expect(engine.editProject).toHaveBeenCalledTimes(2);
    expect(useProjects.getState().saveState).toBe('saved');
  });
});
