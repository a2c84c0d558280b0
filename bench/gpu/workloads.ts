/**
 * What the GPU benchmark times: the worker's own src/ml code on pixels that are
 * already decoded (decoding is the browser's job and is not measured here), and
 * the Teachable Machine baselines. Every function leaves tf.memory() as it found it.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadBackbone, type LoadedBackbone } from '../../src/ml/backbone';
import type { BackboneSpec } from '../../src/ml/backbones';
import { cachedTailInputs, fineTuneTail, missingKernelOf, splitForFineTuning } from '../../src/ml/fineTune';
import { foldedForward } from '../../src/ml/foldedBackbone';
import { rgbaBatchToTensor } from '../../src/ml/preprocess';
import { neutralValue, occlusionSaliency } from '../../src/ml/saliency';
import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../../src/ml/settings';
import { stratifiedSplit } from '../../src/ml/split';
import { trainHead } from '../../src/ml/train';
import { fitLikeTeachableMachine, teachableMachineEmbed, teachableMachineInput } from '../shared/teachableMachine';
import { modelDir } from './layout';

const now = () => performance.now();
/** The worker lets queued messages in between training batches; setImmediate is Node's cheapest equivalent. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface ModelJson {
  modelTopology: tf.io.ModelArtifacts['modelTopology'];
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
}

/** Reads model.json and its weight files from disk; anything but a local file is refused (no network here). */
async function loadFromDisk(path: string, format: BackboneSpec['format']): Promise<tf.LayersModel | tf.GraphModel> {
  if (/^[a-z]+:\/\//i.test(path)) throw new Error('not a local file (the GPU benchmark never downloads)');
  const json = JSON.parse(readFileSync(path, 'utf8')) as ModelJson;
  const buffers = json.weightsManifest.flatMap((group) =>
    group.paths.map((p) => {
      const bytes = readFileSync(join(dirname(path), p));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }),
  );
  const handler = tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: tf.io.concatenateArrayBuffers(buffers),
    format: json.format,
  });
  return format === 'layers' ? tf.loadLayersModel(handler) : tf.loadGraphModel(handler);
}

/** The backbone as the worker loads it (same truncation, same folded pass), from local files. */
export function loadLocalBackbone(spec: BackboneSpec): Promise<LoadedBackbone> {
  return loadBackbone(spec, { localUrl: join(modelDir(spec), 'model.json'), loader: (url, format) => loadFromDisk(url, format) });
}

/** Readback of a tensor, then dispose; the one sync point per batch. */
async function read(t: tf.Tensor): Promise<Float32Array> {
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

/**
 * The worker's embedding loop (embedPixels): batches of RGBA images → one tensor →
 * the folded backbone → one readback per batch. Returns [N, D] embeddings.
 */
export async function embedLikeTheWorker(backbone: LoadedBackbone, pixels: Uint8ClampedArray[], batchSize: number): Promise<{ seconds: number; embeddings: tf.Tensor2D }> {
  const { inputSize, scaling, embeddingSize } = backbone.spec;
  const matrix = new Float32Array(pixels.length * embeddingSize);
  const start = now();
  for (let i = 0; i < pixels.length; i += batchSize) {
    const batch = pixels.slice(i, i + batchSize);
    matrix.set(await read(tf.tidy(() => backbone.embed(rgbaBatchToTensor(batch, inputSize, scaling)))), i * embeddingSize);
  }
  const seconds = (now() - start) / 1000;
  return { seconds, embeddings: tf.tensor2d(matrix, [pixels.length, embeddingSize]) };
}

/** RGB bytes of RGBA pixels as an int32 [s, s, 3] tensor: what tf.browser.fromPixels gives Teachable Machine. */
function fromPixels(rgba: Uint8ClampedArray, size: number): tf.Tensor3D {
  const rgb = new Int32Array(size * size * 3);
  for (let p = 0, o = 0; p < rgba.length; p += 4) {
    rgb[o++] = rgba[p];
    rgb[o++] = rgba[p + 1];
    rgb[o++] = rgba[p + 2];
  }
  return tf.tensor3d(rgb, [size, size, 3], 'int32');
}

/** Teachable Machine's loop: one image at a time through the layers model, awaiting each result. */
export async function embedLikeTeachableMachine(backbone: LoadedBackbone, pixels: Uint8ClampedArray[]): Promise<{ seconds: number; embeddings: tf.Tensor2D }> {
  const { inputSize, embeddingSize } = backbone.spec;
  const matrix = new Float32Array(pixels.length * embeddingSize);
  const start = now();
  for (const [i, image] of pixels.entries()) {
    matrix.set(await read(tf.tidy(() => teachableMachineEmbed(backbone, teachableMachineInput(fromPixels(image, inputSize))))), i * embeddingSize);
  }
  const seconds = (now() - start) / 1000;
  return { seconds, embeddings: tf.tensor2d(matrix, [pixels.length, embeddingSize]) };
}

export function settingsFor(epochs: number): TrainSettings {
  return { ...DEFAULT_TRAIN_SETTINGS, epochs };
}

/** Head training as the worker runs it (src/ml/train.ts). */
export async function trainLikeTheWorker(embeddings: tf.Tensor2D, labels: number[], numClasses: number, epochs: number): Promise<number> {
  const start = now();
  const result = await trainHead(embeddings, labels, numClasses, settingsFor(epochs), { yieldBetweenBatches: yieldToEventLoop });
  const seconds = (now() - start) / 1000;
  result.head.dispose();
  return seconds;
}

export async function trainLikeTeachableMachine(embeddings: tf.Tensor2D, labels: number[], numClasses: number, epochs: number): Promise<number> {
  const start = now();
  await fitLikeTeachableMachine(embeddings, labels, numClasses, settingsFor(epochs));
  return (now() - start) / 1000;
}

export type FineTuneTiming = { ok: true; prefixSeconds: number; trainSeconds: number; layers: string[] } | { ok: false; reason: string };

/**
 * Fine-tuning the last k layers as the worker does it without augmentation
 * (src/engine/fineTuneRun.ts): the folded frozen prefix once per image, cached,
 * then fineTuneTail on the tail copy. A missing gradient kernel is reported,
 * not hidden behind the worker's CPU fallback.
 */
export async function fineTuneLikeTheWorker(
  backbone: LoadedBackbone,
  pixels: Uint8ClampedArray[],
  labels: number[],
  numClasses: number,
  options: { layers: number; epochs: number; batchSize: number },
): Promise<FineTuneTiming> {
  if (!backbone.featureModel) return { ok: false, reason: 'the backbone is a graph model (no layers to fine-tune)' };
  const { inputSize, scaling } = backbone.spec;
  const settings: TrainSettings = { ...settingsFor(options.epochs), fineTuneLayers: options.layers };
  const split = stratifiedSplit(labels, settings.validationSplit, settings.seed);
  const tailSplit = await splitForFineTuning(backbone.featureModel, options.layers);
  const prefix = tailSplit.prefix ? foldedForward(backbone.featureModel, tailSplit.cutLayer) : null;
  const owned: tf.Tensor[] = [];
  try {
    let start = now();
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < pixels.length; i += options.batchSize) {
      const x = rgbaBatchToTensor(pixels.slice(i, i + options.batchSize), inputSize, scaling);
      parts.push(tf.tidy(() => (prefix ? prefix.run(x) : x.clone())));
      x.dispose();
    }
    const activations = tf.concat(parts);
    tf.dispose(parts);
    owned.push(activations);
    // The worker keeps these on the device; one small read makes the timing include the work.
    await read(tf.tidy(() => activations.slice([0], [1]).sum()));
    const prefixSeconds = (now() - start) / 1000;
    const validation = split.validation.length > 0 ? tf.gather(activations, split.validation) : null;
    if (validation) owned.push(validation);
    start = now();
    const result = await fineTuneTail(tailSplit.tail, cachedTailInputs(activations, validation), labels, split, numClasses, settings, {
      yieldBetweenBatches: yieldToEventLoop,
    });
    const trainSeconds = (now() - start) / 1000;
    result.head.dispose();
    return { ok: true, prefixSeconds, trainSeconds, layers: tailSplit.trainableLayers };
  } catch (error) {
    const kernel = missingKernelOf(error);
    if (kernel) return { ok: false, reason: `the ${tf.getBackend()} backend has no ${kernel} kernel (the app falls back to the CPU backend)` };
    throw error;
  } finally {
    tf.dispose(owned);
    prefix?.dispose();
    tailSplit.dispose();
  }
}

/**
 * The occlusion heatmap ("Why this class?") as the worker computes it: a cells × cells
 * grid, the app's classifier (folded backbone + head), `batchSize` occluded copies per call.
 */
export async function explainLikeTheWorker(
  backbone: LoadedBackbone,
  head: tf.LayersModel,
  image: Uint8ClampedArray,
  options: { cells: number; batchSize: number },
): Promise<{ seconds: number; evaluations: number }> {
  const { inputSize, scaling } = backbone.spec;
  const input = rgbaBatchToTensor([image], inputSize, scaling);
  try {
    const start = now();
    const map = await occlusionSaliency((x) => head.predict(backbone.embed(x)) as tf.Tensor2D, input, {
      stride: Math.ceil(inputSize / options.cells),
      fill: neutralValue(scaling),
      batchSize: options.batchSize,
    });
    return { seconds: (now() - start) / 1000, evaluations: map!.evaluations };
  } finally {
    input.dispose();
  }
}

/** A trained head for the heatmap (a few epochs are enough to have something to explain). */
export async function quickHead(embeddings: tf.Tensor2D, labels: number[], numClasses: number): Promise<tf.Sequential> {
  const result = await trainHead(embeddings, labels, numClasses, settingsFor(3));
  return result.head;
}
