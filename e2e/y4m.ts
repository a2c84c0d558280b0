/**
 * Writes synthetic videos as YUV4MPEG2 (.y4m), the format Chromium's fake
 * camera (--use-file-for-fake-video-capture) plays in a loop. Frames are the
 * test scenes from fixtures.ts, sliding sideways with fresh noise in every frame.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { scenePixels, type Scene } from './fixtures';

export interface VideoSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
}

export const TEST_VIDEO: VideoSpec = { width: 160, height: 120, fps: 12, seconds: 2 };

/** A y4m video of a scene; written to a temporary name and renamed, so a reader never sees half a file. */
export function writeSceneY4m(path: string, scene: Scene, spec: VideoSpec = TEST_VIDEO): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, sceneY4m(scene, spec));
  renameSync(tmp, path);
}

export function sceneY4m(scene: Scene, { width, height, fps, seconds }: VideoSpec): Buffer {
  const frames = Math.round(fps * seconds);
  const step = 3;
  const wide = width + step * frames;
  const base = scenePixels(scene, 7, wide, height);
  const chunks: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`, 'ascii')];
  let seed = 1;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return ((seed >>> 16) % 25) - 12;
  };
  for (let f = 0; f < frames; f++) {
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      const from = (y * wide + f * step) * 4;
      rgba.set(base.subarray(from, from + width * 4), y * width * 4);
    }
    for (let i = 0; i < rgba.length; i += 4) {
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.max(0, Math.min(255, rgba[i + c] + noise()));
    }
    chunks.push(Buffer.from('FRAME\n', 'ascii'), rgbaToI420(rgba, width, height));
  }
  return Buffer.concat(chunks);
}

/** Full-range BT.601 (JPEG) RGB → planar Y, U, V with 2×2 chroma subsampling. */
function rgbaToI420(rgba: Uint8Array, width: number, height: number): Buffer {
  const chromaWidth = width >> 1;
  const chromaHeight = height >> 1;
  const out = Buffer.alloc(width * height + 2 * chromaWidth * chromaHeight);
  const uPlane = width * height;
  const vPlane = uPlane + chromaWidth * chromaHeight;
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[y * width + x] = clamp(0.299 * rgba[o] + 0.587 * rgba[o + 1] + 0.114 * rgba[o + 2]);
    }
  }
  for (let cy = 0; cy < chromaHeight; cy++) {
    for (let cx = 0; cx < chromaWidth; cx++) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const o = ((cy * 2 + dy) * width + cx * 2 + dx) * 4;
        r += rgba[o];
        g += rgba[o + 1];
        b += rgba[o + 2];
      }
      [r, g, b] = [r / 4, g / 4, b / 4];
      out[uPlane + cy * chromaWidth + cx] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      out[vPlane + cy * chromaWidth + cx] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  return out;
}
