/**
 * Images for the GPU benchmark, as the worker hands them to the backbone: the
 * centre square at the model's input size, RGBA bytes (what `modelPixels` gives
 * the worker in a browser). From an ImageFolder (`root/<class>/*.jpg`, or
 * `root/train/<class>/…`) decoded with jpeg-js/pngjs, or generated.
 */
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { scenePixels } from '../../e2e/fixtures';
import { centerSquare } from '../../src/ml/preprocess';

export interface BenchImages {
  classNames: string[];
  /** RGBA, size × size × 4 each. */
  pixels: Uint8ClampedArray[];
  labels: number[];
  /** File paths relative to the data root (generated: "<scene>/<seed>"). */
  names: string[];
  size: number;
  source: string;
}

const DECODABLE = new Set(['.jpg', '.jpeg', '.png']);

/** RGBA pixels and size of a JPEG or PNG file. */
export function decodeImage(path: string): { data: Uint8Array; width: number; height: number } {
  const bytes = readFileSync(path);
  if (/\.png$/i.test(path)) {
    const png = PNG.sync.read(bytes);
    return { data: png.data, width: png.width, height: png.height };
  }
  // maxMemoryUsageInMB: the default (512) refuses big photos; these are decoded one at a time.
  const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
  return { data: image.data, width: image.width, height: image.height };
}

/** The centre square resized to size × size (bilinear, on the CPU backend), as RGBA bytes. */
export function centreSquarePixels(image: { data: Uint8Array; width: number; height: number }, size: number): Uint8ClampedArray {
  const { sx, sy, size: side } = centerSquare(image.width, image.height);
  if (side === size && image.width === size && image.height === size) return new Uint8ClampedArray(image.data);
  const rgba = tf.tidy(() => {
    const full = tf.tensor3d(image.data, [image.height, image.width, 4], 'int32');
    const square = full.slice([sy, sx, 0], [side, side, 4]).toFloat();
    return tf.image.resizeBilinear(square as tf.Tensor3D, [size, size], false, true).round().clipByValue(0, 255).toInt();
  });
  const out = new Uint8ClampedArray(rgba.dataSync());
  rgba.dispose();
  return out;
}

/** Class folders with their decodable files, sorted. */
export function listImageFolder(root: string): { name: string; files: string[] }[] {
  const dataRoot = existsSync(join(root, 'train')) ? join(root, 'train') : root;
  const classes = readdirSync(dataRoot)
    .filter((name) => !name.startsWith('.') && statSync(join(dataRoot, name)).isDirectory())
    .sort()
    .map((name) => ({
      name,
      files: readdirSync(join(dataRoot, name))
        .filter((file) => DECODABLE.has(extname(file).toLowerCase()))
        .sort()
        .map((file) => join(dataRoot, name, file)),
    }))
    .filter((c) => c.files.length > 0);
  if (classes.length < 2) throw new Error(`${root} needs at least two class folders with JPEG or PNG images`);
  return classes;
}

/** `count` entries taken from the classes in turn, so every class is represented. */
export function balancedPick<T>(groups: T[][], count: number): { item: T; label: number }[] {
  const picked: { item: T; label: number }[] = [];
  for (let i = 0; picked.length < count && groups.some((g) => i < g.length); i++) {
    groups.forEach((group, label) => {
      if (i < group.length && picked.length < count) picked.push({ item: group[i], label });
    });
  }
  return picked;
}

/** Decodes `count` images of an ImageFolder (classes in turn). Runs on the active backend; call it on `cpu`. */
export function loadImageFolder(root: string, count: number, size: number): BenchImages {
  const classes = listImageFolder(root);
  const picked = balancedPick(classes.map((c) => c.files), count);
  return {
    classNames: classes.map((c) => c.name),
    pixels: picked.map(({ item }) => centreSquarePixels(decodeImage(item), size)),
    labels: picked.map(({ label }) => label),
    names: picked.map(({ item }) => item.slice(root.length + 1)),
    size,
    source: root,
  };
}

/** Two generated classes (warm stripes, cool checks: the e2e fixtures' scenes) at the model's size. */
export function generatedImages(count: number, size: number): BenchImages {
  const scenes = ['stripes', 'checks'] as const;
  const picked = balancedPick(
    scenes.map((scene) => Array.from({ length: Math.ceil(count / 2) }, (_, i) => ({ scene, seed: i + 1 }))),
    count,
  );
  return {
    classNames: [...scenes],
    pixels: picked.map(({ item }) => new Uint8ClampedArray(scenePixels(item.scene, item.seed, size, size))),
    labels: picked.map(({ label }) => label),
    names: picked.map(({ item }) => `${item.scene}/${item.seed}`),
    size,
    source: 'generated',
  };
}
