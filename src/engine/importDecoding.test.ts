import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodingWorker } from './importDecoding';

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
