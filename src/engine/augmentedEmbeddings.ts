/**
 * Augmented views for a frozen backbone: each training image is augmented K
 * times once (on the active backend), embedded, and cached, so every epoch
 * reuses the same views and stays as fast as plain head training.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedBackbone } from '../ml/backbone';
import { augmentBatch, sampleAugmentParams, valueRange } from '../ml/augment';
import { inferenceBatchSize } from '../ml/batching';
import { rgbaBatchToTensor, scaleFunction } from '../ml/preprocess';
import { createRng } from '../ml/random';
import type { AugmentSettings } from '../ml/settings';
import type { Progress } from './api';
import { modelPixels } from './images';
import { yieldToEventLoop } from './operations';

const PREVIEW_SIZE = 96;

/** Everything that changes the views; a different key means a fresh set. */
export function augmentationKey(backboneId: string, augmentation: AugmentSettings, views: number, seed: number): string {
  return JSON.stringify([backboneId, augmentation, views, seed]);
}

/** A per-sample seed, so a sample's views do not depend on which other samples are in the run. */
function sampleSeed(seed: number, sampleId: string): number {
  let hash = seed >>> 0;
  for (let i = 0; i < sampleId.length; i++) hash = Math.imul(hash ^ sampleId.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

export interface AugmentedViewsRequest {
  backbone: LoadedBackbone;
  ids: string[];
  sample: (id: string) => Promise<Blob>;
  augmentation: AugmentSettings;
  views: number;
  seed: number;
  /** sampleId → its views' embeddings; filled in place, already-present ids are skipped. */
  cache: Map<string, Float32Array[]>;
  onProgress: (progress: Progress) => void;
  shouldStop: () => boolean;
}

/** Fills the cache for every id; false when cancelled. */
export async function embedAugmentedViews(request: AugmentedViewsRequest): Promise<boolean> {
  const { backbone, cache, views } = request;
  const { inputSize, scaling, embeddingSize } = backbone.spec;
  const range = valueRange(scaleFunction(scaling));
  const todo = request.ids.filter((id) => !cache.has(id));
  // Views embedded per backbone call: the active backend's batch.
  const imagesPerBatch = Math.max(1, Math.floor(inferenceBatchSize(tf.getBackend()) / views));
  request.onProgress({ phase: 'augmenting', done: 0, total: todo.length });
  for (let start = 0; start < todo.length; start += imagesPerBatch) {
    if (request.shouldStop()) return false;
    const batchIds = todo.slice(start, start + imagesPerBatch);
    const pixels = await Promise.all(batchIds.map(async (id) => modelPixels(await request.sample(id), inputSize)));
    const params = batchIds.flatMap((id) => {
      const rng = createRng(sampleSeed(request.seed, id));
      return Array.from({ length: views }, () => sampleAugmentParams(request.augmentation, rng));
    });
    const output = tf.tidy(() => {
      const images = rgbaBatchToTensor(pixels, inputSize, scaling);
      const repeated = tf.gather(images, batchIds.flatMap((_, i) => new Array<number>(views).fill(i))) as tf.Tensor4D;
      return backbone.embed(augmentBatch(repeated, params, range));
    });
    const flat = (await output.data()) as Float32Array;
    output.dispose();
    batchIds.forEach((id, i) =>
      cache.set(
        id,
        Array.from({ length: views }, (_, v) => flat.slice((i * views + v) * embeddingSize, (i * views + v + 1) * embeddingSize)),
      ),
    );
    request.onProgress({ phase: 'augmenting', done: Math.min(todo.length, start + imagesPerBatch), total: todo.length });
    await yieldToEventLoop();
  }
  return !request.shouldStop();
}

/** `count` augmented versions of one image as small JPEGs, made with the same ops as training. */
export async function augmentationPreview(image: Blob, augmentation: AugmentSettings, count: number, seed: number): Promise<Blob[]> {
  const pixels = await modelPixels(image, PREVIEW_SIZE);
  const rng = createRng(seed);
  const params = Array.from({ length: count }, () => sampleAugmentParams(augmentation, rng));
  const output = tf.tidy(() => {
    const single = rgbaBatchToTensor([pixels], PREVIEW_SIZE, 'unit');
    const repeated = tf.tile(single, [count, 1, 1, 1]) as tf.Tensor4D;
    return tf.mul(augmentBatch(repeated, params, [0, 1]), 255);
  });
  const values = await output.data();
  output.dispose();
  const pixelsPerImage = PREVIEW_SIZE * PREVIEW_SIZE;
  return Promise.all(
    params.map((_, n) => {
      const rgba = new Uint8ClampedArray(pixelsPerImage * 4);
      for (let p = 0; p < pixelsPerImage; p++) {
        const o = (n * pixelsPerImage + p) * 3;
        rgba.set([values[o], values[o + 1], values[o + 2], 255], p * 4);
      }
      const canvas = new OffscreenCanvas(PREVIEW_SIZE, PREVIEW_SIZE);
      canvas.getContext('2d')!.putImageData(new ImageData(rgba, PREVIEW_SIZE, PREVIEW_SIZE), 0, 0);
      return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
    }),
  );
}
