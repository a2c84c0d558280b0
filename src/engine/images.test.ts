import { describe, expect, it } from 'vitest';
import { jpegDecodeScale } from './images';

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
