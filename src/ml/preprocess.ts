import * as tf from '@tensorflow/tfjs';
import type { PixelScaling } from './backbones';

export { centerSquare, type CropRect } from './crop';

/** Maps a 0..255 channel value to the model's input range. */
export function scaleFunction(scaling: PixelScaling): (value: number) => number {
  // Teachable Machine divides by 127 (not 127.5); exported models expect the same.
  if (scaling === 'pixels') return (v) => v;
  return scaling === 'teachable-machine' ? (v) => v / 127 - 1 : (v) => v / 255;
}

/**
 * Backends whose tf.tensor() copies the values into their own memory at once
 * (WASM copies them into its heap), so that one scratch array can be refilled
 * for every batch. Others keep the array itself (CPU) or until upload (WebGL,
 * WebGPU), so they get a new one each time.
 */
const COPIES_VALUES_AT_ONCE = new Set(['wasm']);
let scratch: Float32Array<ArrayBuffer> | null = null;

/**
 * Memory for one batch's model input. A fresh 4.8 MB array per batch of 8
 * costs more than the conversion itself: its pages are faulted in one by one
 * as they are first written (measured in a Chromium worker on this 2-core
 * virtual machine: 13–21 ms a batch into new arrays, 0.7–2 ms into a reused one).
 */
function inputBuffer(length: number): Float32Array<ArrayBuffer> {
  if (!COPIES_VALUES_AT_ONCE.has(tf.getBackend())) return new Float32Array(length);
  if (!scratch || scratch.length < length) scratch = new Float32Array(length);
  return scratch.subarray(0, length);
}

/**
 * Packs square RGBA images (as from getImageData) into one [N, size, size, 3]
 * float tensor in the model's input range, dropping alpha. One upload per batch.
 */
export function rgbaBatchToTensor(images: readonly ArrayLike<number>[], size: number, scaling: PixelScaling): tf.Tensor4D {
  const pixels = size * size;
  const data = inputBuffer(images.length * pixels * 3);
  const scale = scaleFunction(scaling);
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = scale(v);
  images.forEach((rgba, n) => {
    if (rgba.length !== pixels * 4) throw new Error(`Image ${n} has ${rgba.length / 4} pixels; expected ${size}×${size}`);
    let o = n * pixels * 3;
    for (let p = 0; p < pixels * 4; p += 4) {
      data[o++] = lut[rgba[p]];
      data[o++] = lut[rgba[p + 1]];
      data[o++] = lut[rgba[p + 2]];
    }
  });
  return tf.tensor4d(data, [images.length, size, size, 3]);
}
