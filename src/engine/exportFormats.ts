/**
 * Deployment exports made in the worker: TFLite (float32 and 8-bit quantized)
 * and ONNX, each zipped with labels.txt the way Teachable Machine lays out its
 * TFLite export. The model never leaves the device: everything is written here.
 */
import * as tf from '@tensorflow/tfjs';
import { strToU8, zipSync } from 'fflate';
import type { LoadedBackbone } from '../ml/backbone';
import { classifierGraph } from '../ml/export/classifier';
import { UnsupportedModelError } from '../ml/export/graph';
import { writeOnnx } from '../ml/export/onnx';
import { calibrate, channelRanges, equalizeRanges } from '../ml/export/quantize';
import { writeTflite } from '../ml/export/tflite';
import type { TailSplit } from '../ml/fineTune';
import { rgbaBatchToTensor } from '../ml/preprocess';
import type { DeployFormatId, ExportedModelFile, ExportProgress } from './api';
import { yieldToEventLoop } from './operations';

/** Calibration images for the quantized export: up to this many of the project's images. */
export const CALIBRATION_IMAGES = 200;
const CALIBRATION_BATCH = 8;

export const MODEL_FILE_NAMES: Record<DeployFormatId, string> = {
  'tflite-float': 'model_unquant.tflite',
  'tflite-quantized': 'model.tflite',
  onnx: 'model.onnx',
};

const FORMAT_TITLES: Record<DeployFormatId, string> = {
  'tflite-float': 'TFLite (float)',
  'tflite-quantized': 'TFLite (quantized)',
  onnx: 'ONNX',
};

export interface DeployExportRequest {
  format: DeployFormatId;
  modelName: string;
  backbone: LoadedBackbone;
  head: tf.LayersModel;
  labels: string[];
  /** The fine-tuned tail with its frozen prefix on the loaded backbone, when the model was fine-tuned. */
  fineTuned?: Pick<TailSplit, 'prefix' | 'tail'>;
  /** Ids of the project's images, and their model-sized RGBA pixels (for calibration). */
  sampleIds: string[];
  pixelsOf(id: string, size: number): Promise<Uint8ClampedArray>;
  appVersion: string;
  onProgress?: (progress: ExportProgress) => void;
}

/** Teachable Machine's labels.txt: one `<index> <label>` line per class. */
export function labelsText(labels: readonly string[]): string {
  return labels.map((label, i) => `${i} ${label}`).join('\n') + '\n';
}

/** Why a backbone cannot be exported to TFLite or ONNX; null when it can. */
export function deployRefusal(backbone: LoadedBackbone, format: DeployFormatId): string | null {
  if (backbone.featureModel) return null;
  return (
    `${FORMAT_TITLES[format]} export needs a layers-model backbone. ${backbone.spec.title} is a graph model (a converted ` +
    'TensorFlow SavedModel) that this app can run but not rewrite into other formats, so only the TensorFlow.js export works ' +
    'for it (the head, with the backbone named in metadata.json). For TFLite or ONNX, switch to MobileNet V2 0.35, V1 0.25 or V1 0.75 and train again.'
  );
}

/** Evenly spread picks of at most `count` ids, so every class is represented. */
export function spreadSample<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

export async function exportDeployModel(request: DeployExportRequest): Promise<ExportedModelFile> {
  const { format, backbone, onProgress } = request;
  const started = performance.now();
  const refusal = deployRefusal(backbone, format);
  if (refusal) throw new Error(refusal);
  onProgress?.({ stage: 'building', done: 0, total: 1 });
  let graph;
  try {
    graph = await classifierGraph({ featureModel: backbone.featureModel!, head: request.head, fineTuned: request.fineTuned });
  } catch (error) {
    if (error instanceof UnsupportedModelError) throw new Error(`${FORMAT_TITLES[format]} export is not possible for this backbone: ${error.message}`);
    throw error;
  }
  await yieldToEventLoop();
  const description = `${request.modelName} · Transfer Studio ${request.appVersion} · labels: ${request.labels.join(', ')}`;
  let model: Uint8Array;
  if (format === 'onnx') {
    onProgress?.({ stage: 'writing', done: 0, total: 1 });
    model = writeOnnx(graph, { producerVersion: request.appVersion, docString: description });
  } else if (format === 'tflite-float') {
    onProgress?.({ stage: 'writing', done: 0, total: 1 });
    model = writeTflite(graph, undefined, description);
  } else {
    const { inputSize, scaling } = backbone.spec;
    if (scaling !== 'teachable-machine') throw new Error('The quantized TFLite export needs the x / 127 − 1 input of the MobileNet backbones.');
    const ids = spreadSample(request.sampleIds, CALIBRATION_IMAGES);
    if (ids.length === 0) throw new Error('The quantized export calibrates on the project\'s images, and there are none.');
    // Two passes over the same images: per-channel ranges for range equalization, then the
    // equalized graph's ranges and bias corrections. Pixels are read once and kept between them.
    const total = 2 * ids.length;
    let done = 0;
    onProgress?.({ stage: 'calibrating', done, total });
    const pixelBatches: Uint8ClampedArray[][] = [];
    async function* batches() {
      for (let start = 0, b = 0; start < ids.length; start += CALIBRATION_BATCH, b++) {
        pixelBatches[b] ??= await Promise.all(ids.slice(start, start + CALIBRATION_BATCH).map((id) => request.pixelsOf(id, inputSize)));
        const pixels = pixelBatches[b];
        const batch = rgbaBatchToTensor(pixels, inputSize, scaling);
        try {
          yield batch;
        } finally {
          batch.dispose();
        }
        done += pixels.length;
        onProgress?.({ stage: 'calibrating', done, total });
        await yieldToEventLoop();
      }
    }
    graph = equalizeRanges(graph, await channelRanges(graph, batches()));
    const calibration = await calibrate(graph, batches());
    onProgress?.({ stage: 'writing', done: 0, total: 1 });
    // uint8 input is the raw pixel: real = (q − 127) / 127 = q / 127 − 1, exactly the TF.js preprocessing.
    model = writeTflite(graph, { ...calibration, input: { scale: 1 / 127, zeroPoint: 127 } }, description);
  }
  const modelFileName = MODEL_FILE_NAMES[format];
  const zip = zipSync({ [modelFileName]: model, 'labels.txt': strToU8(labelsText(request.labels)) });
  onProgress?.({ stage: 'writing', done: 1, total: 1 });
  return {
    format,
    fileName: `${request.modelName}-${format}.zip`,
    bytes: zip,
    modelFileName,
    modelBytes: model.length,
    seconds: (performance.now() - started) / 1000,
  };
}
