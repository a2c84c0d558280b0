import { beforeEach, describe, expect, it, vi } from 'vitest';

const engine = vi.hoisted(() => ({ editProject: vi.fn(async () => undefined), listProjects: vi.fn(async () => []) }));
vi.stubGlobal('navigator', {});
vi.mock('../engine/engine', () => ({ getEngine: () => engine, remoteCallback: <T>(callback: T) => callback }));

const { saveNow, startAutoSave, useProjects } = await import('./persistence');
const { useSession } = await import('./session');
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

describe('auto-save during an import', () => {
  it('saves the edits at most every two seconds while images come in, and soon after each edit otherwise', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('addEventListener', () => undefined);
    vi.stubGlobal('document', { addEventListener: () => undefined });
    const stop = startAutoSave();
    try {
      engine.editProject.mockClear();
      useSession.setState({ importing: 1 });
      // Every stored chunk moves the revision on: ten chunks, one every 0.4 s (as here at about 100 images/s).
      for (let chunk = 1; chunk <= 10; chunk++) {
        useProject.setState((s) => ({ revision: s.revision + 1 }));
        await vi.advanceTimersByTimeAsync(400);
      }
      await vi.advanceTimersByTimeAsync(2000);
      // 4 s of chunks and the last one's save (each chunk's own save made ten).
      expect(engine.editProject.mock.calls.length).toBeLessThanOrEqual(3);
      expect(engine.editProject).toHaveBeenLastCalledWith('p', expect.objectContaining({ revision: useProject.getState().revision }));
      useSession.setState({ importing: 0 });
      const before = engine.editProject.mock.calls.length;
      useProject.setState({ name: 'Renamed' });
      await vi.advanceTimersByTimeAsync(300);
      expect(engine.editProject).toHaveBeenCalledTimes(before + 1);
      expect(useProjects.getState().saveState).toBe('saved');
    } finally {
      stop();
      vi.unstubAllGlobals();
      vi.stubGlobal('navigator', {});
      vi.useRealTimers();
    }
  });
});
