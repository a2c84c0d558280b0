/**
 * Test images made on the fly: two visually distinct, noisy "scenes" per class,
 * plus the bad inputs a user may drop. Nothing here comes from ../shared.
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import gifenc from 'gifenc';
import { deflateSync } from 'node:zlib';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Scene = 'stripes' | 'checks';

export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RGBA pixels of a scene: warm horizontal stripes, or a cool checkerboard; both with noise and random phase. */
export function scenePixels(scene: Scene, seed: number, width: number, height: number): Uint8Array {
  const random = rng(seed * 7919 + (scene === 'stripes' ? 1 : 2));
  const data = new Uint8Array(width * height * 4);
  const period = 10 + Math.floor(random() * 12);
  const phaseX = Math.floor(random() * 40);
  const phaseY = Math.floor(random() * 40);
  const tint = random() * 40;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const noise = () => (random() - 0.5) * 60;
      let r: number, g: number, b: number;
      if (scene === 'stripes') {
        const on = Math.floor((y + phaseY) / period) % 2 === 0;
        [r, g, b] = on ? [215 + noise(), 70 + tint + noise(), 40 + noise()] : [250 + noise(), 170 + noise(), 60 + noise()];
      } else {
        const on = (Math.floor((x + phaseX) / (period * 2)) + Math.floor((y + phaseY) / (period * 2))) % 2 === 0;
        [r, g, b] = on ? [30 + noise(), 90 + tint + noise(), 200 + noise()] : [40 + noise(), 180 + noise(), 150 + noise()];
      }
      const o = (y * width + x) * 4;
      data[o] = clamp(r);
      data[o + 1] = clamp(g);
      data[o + 2] = clamp(b);
      data[o + 3] = 255;
    }
  }
  return data;
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

export function encodePng(rgba: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png);
}

export function encodeJpeg(rgba: Uint8Array, width: number, height: number): Buffer {
  return Buffer.from(jpeg.encode({ data: rgba, width, height }, 90).data);
}

export function scenePng(scene: Scene, seed: number, width = 224, height = 224): Buffer {
  return encodePng(scenePixels(scene, seed, width, height), width, height);
}

export interface FixtureFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** Training images of a scene: mixed sizes and aspect ratios, PNG and JPEG, so cropping is exercised. */
export function trainingSet(scene: Scene, count: number, firstSeed = 1): FixtureFile[] {
  return Array.from({ length: count }, (_, i) => {
    const seed = firstSeed + i;
    const [w, h] = [[224, 224], [320, 240], [240, 300]][i % 3];
    const rgba = scenePixels(scene, seed, w, h);
    return i % 2 === 0
      ? { name: `${scene}-${seed}.png`, mimeType: 'image/png', buffer: encodePng(rgba, w, h) }
      : { name: `${scene}-${seed}.jpg`, mimeType: 'image/jpeg', buffer: encodeJpeg(rgba, w, h) };
  });
}

/** Held-out test images at exactly 224×224, so every preprocessing path sees the same pixels. */
export function heldOut(scene: Scene, count: number): FixtureFile[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `heldout-${scene}-${i}.png`,
    mimeType: 'image/png',
    buffer: scenePng(scene, 1000 + i),
  }));
}

/** A PNG of 12000×12000 one-bit pixels: tiny on disk, 576 MB once decoded. Cached on disk. */
export function hugePng(dir: string): Buffer {
  const path = join(dir, 'huge-12000.png');
  if (existsSync(path)) return readFileSync(path);
  const side = 12000;
  const rowBytes = side / 8;
  const raw = Buffer.alloc((rowBytes + 1) * side);
  for (let y = 0; y < side; y++) {
    // A diagonal band so the picture is not blank.
    raw[y * (rowBytes + 1) + 1 + Math.floor((y * rowBytes) / side)] = 0xff;
  }
  const chunk = (type: string, body: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, png);
  return png;
}

let crcTable: Uint32Array | null = null;
function crc32(bytes: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Two frames of different scenes; browsers show (and decode) the first. */
export function animatedGif(): Buffer {
  const { GIFEncoder, quantize, applyPalette } = gifenc;
  const gif = GIFEncoder();
  for (const scene of ['stripes', 'checks'] as Scene[]) {
    const rgba = scenePixels(scene, 5, 64, 64);
    const palette = quantize(rgba, 64);
    gif.writeFrame(applyPalette(rgba, palette), 64, 64, { palette, delay: 200 });
  }
  gif.finish();
  return Buffer.from(gif.bytes());
}

/** A PNG whose left half is fully transparent. */
export function alphaPng(): Buffer {
  const rgba = scenePixels('checks', 9, 128, 128);
  for (let y = 0; y < 128; y++) for (let x = 0; x < 64; x++) rgba[(y * 128 + x) * 4 + 3] = 0;
  return encodePng(rgba, 128, 128);
}

export const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100" fill="#2040c0"/><circle cx="50" cy="50" r="30" fill="#40c080"/></svg>',
);

/** A JPEG start marker followed by noise: no frame header, so it cannot decode. */
export function corruptJpeg(): Buffer {
  const random = rng(3);
  const body = Buffer.from(Array.from({ length: 3000 }, () => Math.floor(random() * 256)));
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), body, Buffer.from([0xff, 0xd9])]);
}

/** A real JPEG cut in half. */
export function truncatedJpeg(): Buffer {
  const full = encodeJpeg(scenePixels('stripes', 4, 200, 200), 200, 200);
  return full.subarray(0, Math.floor(full.length / 2));
}

/**
 * A photo as phones store it: the pixels as the sensor saw them plus an EXIF
 * Orientation tag (6: turn 90° clockwise to show it upright). Stored, its left
 * half is red and its right half blue, so shown upright red is on top.
 */
export function sidewaysPhoto(width: number, height: number): Buffer {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) rgba.set(x < width / 2 ? [220, 30, 30, 255] : [30, 30, 220, 255], (y * width + x) * 4);
  const plain = encodeJpeg(rgba, width, height);
  // APP1 "Exif", a big-endian TIFF header and one IFD entry: Orientation (0x0112), SHORT, 1 value, 6.
  const tiff = [0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const app1 = Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload]);
  return Buffer.concat([plain.subarray(0, 2), app1, plain.subarray(2)]);
}
