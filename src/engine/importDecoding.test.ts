import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodingWorker, withThumbnailBytes, WorkerStopped } from './importDecoding';

const empty = [{ file: new Blob([]), name: 'empty.jpg' }];
const refusedHere = [{ ok: false, name: 'empty.jpg', reason: 'the file is empty (0 bytes)' }];

/** A worker that fails to load: it never answers and reports an error. */
class FailingWorker extends EventTarget {
  postMessage() {
    setTimeout(() => this.dispatchEvent(Object.assign(new Event('error'), { message: 'script failed to load' })));
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('decodingWorker', () => {
  it('decodes on the calling thread where workers are missing', async () => {
    vi.stubGlobal('Worker', undefined);
    const start = vi.fn();
    expect(await decodingWorker(start).decode(empty, 224)).toEqual(refusedHere);
    expect(start).not.toHaveBeenCalled();
  });

  it('falls back to the calling thread, and stays there, when the worker cannot start or stops', async () => {
    vi.stubGlobal('Worker', FailingWorker);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const start = vi.fn(() => new FailingWorker() as unknown as Worker);
    const decoding = decodingWorker(start);
    expect(await decoding.decode(empty, 224)).toEqual(refusedHere);
    expect(await decoding.decode(empty, 224)).toEqual(refusedHere);
    expect(start).toHaveBeenCalledTimes(1);

    const throwing = decodingWorker(() => {
      throw new Error('no nested workers here');
    });
    expect(await throwing.decode(empty, 224)).toEqual(refusedHere);
    // A refused image is reported as such, not as a broken worker.
    await expect(throwing.pixels(new Blob([]), 224)).rejects.toThrow('the file is empty');
  });
});

describe('WorkerStopped', () => {
  it('lets go of each call when it ends, ends the calls in flight when the worker stops, and every later call at once', async () => {
    const stopped = new WorkerStopped();
    const finished = stopped.race(Promise.resolve('decoded'));
    const inFlight = stopped.race(new Promise(() => undefined));
    expect(await finished).toBe('decoded');
    // Only the call still running is waiting: nothing is left behind by the finished one.
    expect(stopped.pending).toBe(1);
    stopped.stop(new Error('the decoding worker stopped: out of memory'));
    await expect(inFlight).rejects.toThrow('out of memory');
    await expect(stopped.race(Promise.resolve('late'))).rejects.toThrow('out of memory');
    expect(stopped.pending).toBe(0);
  });
});

describe('withThumbnailBytes', () => {
  it('reads every thumbnail of a chunk, each into a buffer of its own, and passes refusals through', async () => {
    const decoded = (name: string, jpeg: string) => ({ ok: true as const, name, thumbnail: new Blob([jpeg], { type: 'image/jpeg' }), width: 4, height: 3 });
    const refused = { ok: false as const, name: 'notes.txt', reason: 'not an image' };
    const outcomes = await withThumbnailBytes([decoded('a.jpg', 'AAAA'), refused, decoded('b.jpg', 'BB')]);
    expect(outcomes[1]).toBe(refused);
    const [a, , b] = outcomes as Extract<(typeof outcomes)[number], { ok: true }>[];
    expect(new TextDecoder().decode(a.thumbnail)).toBe('AAAA');
    expect(new TextDecoder().decode(b.thumbnail)).toBe('BB');
    // Stored and transferred on its own: a view of the chunk's buffer would carry every thumbnail.
    expect(a.thumbnail.buffer.byteLength).toBe(4);
    expect(b.thumbnail.buffer.byteLength).toBe(2);
    expect(a.thumbUrl).toBe(`data:image/jpeg;base64,${btoa('AAAA')}`);
    expect(a).toMatchObject({ name: 'a.jpg', width: 4, height: 3 });
  });
});
