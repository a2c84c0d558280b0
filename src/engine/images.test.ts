import { describe, expect, it, vi } from 'vitest';
import { HEAD_BYTES, jpegDecodeScale, readBlobs, readSmallFiles } from './images';

describe('jpegDecodeScale', () => {
  it('picks the fewest eighths that keep the short side at least the size asked for', () => {
    // A 12 MP phone photo for a 224 px model: 1/8 (500×375) is enough.
    expect(jpegDecodeScale({ width: 4000, height: 3000 }, 224)).toBe(1);
    // 1,500 px short side: 1/8 would be 187 px, 2/8 is 375.
    expect(jpegDecodeScale({ width: 2000, height: 1500 }, 224)).toBe(2);
    // Portrait works the same way.
    expect(jpegDecodeScale({ width: 1500, height: 2000 }, 224)).toBe(2);
    // Exactly enough counts.
    expect(jpegDecodeScale({ width: 448, height: 448 }, 224)).toBe(4);
  });

  it('decodes whole when no smaller scale has the size asked for', () => {
    expect(jpegDecodeScale({ width: 473, height: 256 }, 224)).toBe(7);
    expect(jpegDecodeScale({ width: 300, height: 200 }, 224)).toBe(8);
    expect(jpegDecodeScale({ width: 128, height: 128 }, 224)).toBe(8);
  });
});

describe('reading many blobs at once', () => {
  const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : bytes);

  it('reads several blobs with one read and gives each its own bytes, in order', async () => {
    const read = await readBlobs([new Blob(['first']), new Blob([]), new Blob(['third one'])]);
    expect(read.map(text)).toEqual(['first', '', 'third one']);
  });

  it('reads small files whole and together, and leaves large or empty files to be read on their own', async () => {
    const large = new Blob([new Uint8Array(HEAD_BYTES + 1)]);
    const read = await readSmallFiles([new Blob(['a.jpg bytes']), large, new Blob([]), new Blob(['b.png bytes'])]);
    expect(read.map(text)).toEqual(['a.jpg bytes', undefined, undefined, 'b.png bytes']);
  });

  it('leaves every file to be read on its own when reading them together fails (a file changed since it was picked)', async () => {
    const spy = vi.spyOn(Blob.prototype, 'arrayBuffer').mockRejectedValueOnce(new DOMException('The file could not be read', 'NotReadableError'));
    expect(await readSmallFiles([new Blob(['one']), new Blob(['gone'])])).toEqual([undefined, undefined]);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});
