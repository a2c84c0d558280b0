import * as tf from '@tensorflow/tfjs';
import type { AugmentSettings } from './settings';

/** The random draw for one image; all-zero/one values leave it unchanged. */
export interface AugmentParams {
  flip: boolean;
  /** Radians. */
  angle: number;
  /** >1 zooms in (a crop), <1 zooms out. */
  zoom: number;
  shear: number;
  /** Added, as a share of the value range. */
  brightness: number;
  /** Multiplies the distance from the image's mean. */
  contrast: number;
}

export const IDENTITY_PARAMS: AugmentParams = { flip: false, angle: 0, zoom: 1, shear: 0, brightness: 0, contrast: 1 };

const MAX_ANGLE = Math.PI / 6;
const MAX_ZOOM_IN = 0.5;
const MAX_ZOOM_OUT = 0.2;
const MAX_SHEAR = 0.3;
const MAX_BRIGHTNESS = 0.3;
const MAX_CONTRAST = 0.4;

const strengthOf = (toggle: { enabled: boolean; strength: number }) => (toggle.enabled ? Math.min(1, Math.max(0, toggle.strength)) : 0);

/** Draws one image's augmentation from a seeded rng (so runs repeat for a seed). */
export function sampleAugmentParams(settings: AugmentSettings, rng: () => number): AugmentParams {
  // `+ 0` turns -0 into 0 so a zero strength gives exactly the identity parameters.
  const symmetric = (max: number) => (rng() * 2 - 1) * max + 0;
  const zoomStrength = strengthOf(settings.zoom);
  const zoomDraw = rng();
  // Zooming in (cropping) is the more useful half, so it gets 2/3 of the draws.
  const zoom = zoomDraw < 2 / 3 ? 1 + (zoomDraw * 1.5) * MAX_ZOOM_IN * zoomStrength : 1 - ((zoomDraw - 2 / 3) * 3) * MAX_ZOOM_OUT * zoomStrength;
  const colour = strengthOf(settings.color);
  return {
    flip: rng() < strengthOf(settings.flip),
    angle: symmetric(MAX_ANGLE * strengthOf(settings.rotate)),
    zoom,
    shear: symmetric(MAX_SHEAR * strengthOf(settings.shear)),
    brightness: symmetric(MAX_BRIGHTNESS * colour),
    contrast: 1 + symmetric(MAX_CONTRAST * colour),
  };
}

export function isIdentity(p: AugmentParams): boolean {
  return !p.flip && p.angle === 0 && p.zoom === 1 && p.shear === 0 && p.brightness === 0 && p.contrast === 1;
}

/**
 * The 8 projective-transform numbers tf.image.transform wants, mapping each OUTPUT
 * pixel to the INPUT pixel it samples: about the image centre, input = A·(out − c) + c
 * with A = flip · rotation · shear / zoom.
 */
export function transformRow(p: AugmentParams, width: number, height: number): number[] {
  const cos = Math.cos(p.angle);
  const sin = Math.sin(p.angle);
  const f = p.flip ? -1 : 1;
  // rotation [[cos, -sin], [sin, cos]] · shear [[1, s], [0, 1]], then flip x of the output, then 1/zoom.
  const a00 = (cos * f) / p.zoom;
  const a01 = (cos * p.shear - sin) / p.zoom;
  const a10 = (sin * f) / p.zoom;
  const a11 = (sin * p.shear + cos) / p.zoom;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  return [a00, a01, cx - a00 * cx - a01 * cy, a10, a11, cy - a10 * cx - a11 * cy, 0, 0];
}

/**
 * Augments a batch [N, H, W, 3] whose values lie in [low, high] (the model's input
 * range). Geometry is one projective transform per image (reflecting at the
 * borders, so no black corners); colour is brightness and contrast, clipped back
 * into range. Same shape and range out; unchanged where params are identity.
 * Runs as tensor ops, so it stays on the GPU in the worker.
 */
export function augmentBatch(images: tf.Tensor4D, params: readonly AugmentParams[], range: readonly [number, number]): tf.Tensor4D {
  const [n, height, width] = images.shape;
  if (params.length !== n) throw new Error(`augmentBatch got ${params.length} parameter sets for ${n} images`);
  return tf.tidy(() => {
    let out: tf.Tensor4D = images;
    const geometric = params.some((p) => p.flip || p.angle !== 0 || p.zoom !== 1 || p.shear !== 0);
    if (geometric) {
      const rows = params.map((p) => transformRow(p, width, height));
      if (tf.getBackend() === 'cpu' && n > 1) {
        // tfjs 4.22's CPU Transform kernel returns after the first image of a batch (the rest stay 0), so go one by one.
        const singles = tf.split<tf.Tensor4D>(out, n).map((image, i) => tf.image.transform(image, tf.tensor2d([rows[i]]), 'bilinear', 'reflect'));
        out = tf.concat(singles) as tf.Tensor4D;
      } else {
        out = tf.image.transform(out, tf.tensor2d(rows), 'bilinear', 'reflect');
      }
    }
    const colour = params.some((p) => p.brightness !== 0 || p.contrast !== 1);
    if (colour) {
      const [low, high] = range;
      const contrast = tf.tensor4d(params.map((p) => p.contrast), [n, 1, 1, 1]);
      const brightness = tf.tensor4d(params.map((p) => p.brightness * (high - low)), [n, 1, 1, 1]);
      const mean = tf.mean(out, [1, 2, 3], true);
      out = tf.clipByValue(tf.add(tf.add(tf.mul(tf.sub(out, mean), contrast), mean), brightness), low, high) as tf.Tensor4D;
    }
    // tidy would dispose `images` if returned as is; hand back a copy the caller owns.
    return out === images ? tf.clone(images) : out;
  });
}

/** Input value range for a pixel scaling (0..255 mapped). */
export function valueRange(scale: (v: number) => number): [number, number] {
  return [scale(0), scale(255)];
}
