/**
 * The main-thread baselines, done the way Teachable Machine's library does
 * them: TensorFlow.js on the page, one image at a time with
 * `await model.predict(x).data()`, and a plain `model.fit`. Bench-only: the
 * app never loads tfjs on the main thread.
 */
import * as tf from '@tensorflow/tfjs';
import { useForcedBackend } from '../../src/engine/backend';
import type { BackendName } from '../../src/engine/api';
import { loadBackbone, type LoadedBackbone } from '../../src/ml/backbone';
import { getBackbone, localModelUrl } from '../../src/ml/backbones';
import { centerSquare } from '../../src/ml/preprocess';
import type { TrainSettings } from '../../src/ml/settings';
import { fitLikeTeachableMachine, teachableMachineEmbed, teachableMachineInput } from '../shared/teachableMachine';

let backbone: LoadedBackbone | null = null;

export async function startBaseline(backend: BackendName, backboneId: string): Promise<string> {
  const status = await useForcedBackend(backend);
  if (backbone?.spec.id !== backboneId) {
    backbone?.dispose();
    const spec = getBackbone(backboneId);
    backbone = await loadBackbone(spec, {
      localUrl: new URL(localModelUrl(spec, import.meta.env.BASE_URL), location.origin).href,
    });
    // Compile shaders outside the timed part, as the worker does when it loads a backbone.
    tf.tidy(() => teachableMachineEmbed(backbone!, tf.zeros([1, spec.inputSize, spec.inputSize, 3]))).dispose();
  }
  return status.backend;
}

/** Teachable Machine's `cropTo`: the centre square drawn onto a size × size canvas. */
function cropTo(bitmap: ImageBitmap, size: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const { sx, sy, size: side } = centerSquare(bitmap.width, bitmap.height);
  canvas.getContext('2d')!.drawImage(bitmap, sx, sy, side, side, 0, 0, size, size);
  return canvas;
}

/** Embeds every image on the main thread, one at a time; returns the embeddings as one [N, D] tensor. */
export async function embedOneAtATime(images: Blob[]): Promise<tf.Tensor2D> {
  const model = backbone!;
  const { inputSize, embeddingSize } = model.spec;
  const matrix = new Float32Array(images.length * embeddingSize);
  for (const [i, image] of images.entries()) {
    const bitmap = await createImageBitmap(image, { imageOrientation: 'from-image' });
    const canvas = cropTo(bitmap, inputSize);
    bitmap.close();
    const output = tf.tidy(() => teachableMachineEmbed(model, teachableMachineInput(tf.browser.fromPixels(canvas))));
    matrix.set((await output.data()) as Float32Array, i * embeddingSize);
    output.dispose();
  }
  return tf.tensor2d(matrix, [images.length, embeddingSize]);
}

export interface EmbeddingProfile {
  /** 'layers': the model run layer by layer (Teachable Machine); 'app': the app's folded embedding. */
  path: 'layers' | 'app';
  batch: number;
  /** Wall-clock time per image of predict + data(), the median of `repeats` calls. */
  wallMsPerImage: number;
  /** What tf.profile attributes to kernels, per image. */
  kernelMsPerImage: number;
  kernels: number;
  /** Kernel names with their share of kernel time, largest first. */
  top: { name: string; share: number }[];
  /** 'app' only: the largest difference from the layer-by-layer output, relative to that output's largest value. */
  relativeDifference?: number;
}

/**
 * Where embedding time goes on this backend (tf.profile): kernel time against wall
 * time tells how much is per-call overhead (dispatch, readback) that batching or a
 * worker could remove, and how much is arithmetic that only a faster device removes.
 */
export async function profileEmbedding(path: EmbeddingProfile['path'], batch: number, repeats = 5): Promise<EmbeddingProfile> {
  const model = backbone!;
  const { inputSize } = model.spec;
  const x = tf.randomUniform([batch, inputSize, inputSize, 3], -1, 1) as tf.Tensor4D;
  const once = async () => {
    const output = tf.tidy(() => (path === 'app' ? model.embed(x) : teachableMachineEmbed(model, x)));
    await output.data();
    output.dispose();
  };
  try {
    await once();
    const walls: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      await once();
      walls.push(performance.now() - start);
    }
    walls.sort((a, b) => a - b);
    const info = await tf.profile(once);
    // The folded pass must compute what the layers compute, on this backend's kernels too.
    const relativeDifference =
      path === 'app'
        ? tf.tidy(() => {
            const expected = teachableMachineEmbed(model, x);
            return tf.max(tf.abs(tf.sub(model.embed(x), expected))).div(tf.max(tf.abs(expected)));
          })
        : null;
    const difference = relativeDifference ? (await relativeDifference.data())[0] : undefined;
    relativeDifference?.dispose();
    const byName = new Map<string, number>();
    let total = 0;
    for (const kernel of info.kernels) {
      const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
      byName.set(kernel.name, (byName.get(kernel.name) ?? 0) + ms);
      total += ms;
    }
    return {
      path,
      batch,
      wallMsPerImage: walls[Math.floor(repeats / 2)] / batch,
      kernelMsPerImage: total / batch,
      kernels: info.kernels.length,
      top: [...byName].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, ms]) => ({ name, share: ms / total })),
      relativeDifference: difference,
    };
  } finally {
    x.dispose();
  }
}

/** The same head as the app's, trained with a plain `model.fit` on the main thread. */
export function fitOnMainThread(embeddings: tf.Tensor2D, labels: number[], numClasses: number, settings: TrainSettings): Promise<void> {
  return fitLikeTeachableMachine(embeddings, labels, numClasses, settings);
}
