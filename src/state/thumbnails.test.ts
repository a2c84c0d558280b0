import { describe, expect, it, vi } from 'vitest';

const engine = vi.hoisted(() => ({ thumbnails: vi.fn(async (ids: string[]) => ids.map((id) => `data:image/jpeg;base64,${id}`)) }));
vi.mock('../engine/engine', () => ({ getEngine: () => engine }));
vi.stubGlobal('requestAnimationFrame', (callback: () => void) => setTimeout(callback, 0));

const { cachedThumbnail, loadThumbnail, SHOWN_PER_TASK } = await import('./thumbnails');

// The page's frames and tasks are timers here, run one at a time by the test.
vi.useFakeTimers();
const frame = async () => {
  await Promise.resolve();
  vi.advanceTimersToNextTimer();
};
const microtasks = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};
/** Lets the page go on to its next task. */
const nextTask = async () => {
  await microtasks();
  vi.advanceTimersToNextTimer();
  await microtasks();
};

describe('thumbnails', () => {
  it('asks the engine once for a frame’s thumbnails and hands them to their tiles a few per task', async () => {
    const ids = Array.from({ length: 2 * SHOWN_PER_TASK + 5 }, (_, i) => `s${i}`);
    const shown: string[] = [];
    const loads = ids.map((id) => loadThumbnail(id).then((url) => shown.push(url!)));
    await frame(); // the frame: one call for all of them
    expect(engine.thumbnails).toHaveBeenCalledTimes(1);
    expect(engine.thumbnails).toHaveBeenCalledWith(ids);
    await microtasks();
    // All are cached at once; the tiles get them a task at a time.
    const last = ids.at(-1)!;
    expect(cachedThumbnail(last)).toBe(`data:image/jpeg;base64,${last}`);
    expect(shown).toHaveLength(SHOWN_PER_TASK);
    await nextTask();
    expect(shown).toHaveLength(2 * SHOWN_PER_TASK);
    await nextTask();
    await Promise.all(loads);
    expect(shown).toEqual(ids.map((id) => `data:image/jpeg;base64,${id}`));
  });
});
