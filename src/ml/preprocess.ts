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
 * Packs square RGBA images (as from getImageData) into one [N, size, size, 3]
 * float tensor in the model's input range, dropping alpha. One upload per batch.
 */
export function rgbaBatchToTensor(images: readonly ArrayLike<number>[], size: number, scaling: PixelScaling): tf.Tensor4D {
  const pixels = size * size;
  const data = new Float32Array(images.length * pixels * 3);
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
