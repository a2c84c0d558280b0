/**
 * Inference with the model in use: test images, video frames, batches, the
 * occlusion heatmap ("why this class?") and the model export.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { runModel } from '../ml/head';
import type { LoadedBackbone } from '../ml/backbone';
import { exportClassifier } from '../ml/exportModel';
import { prefixModel, type TailSplit } from '../ml/fineTune';
import { foldedForward, type FoldedForward } from '../ml/foldedBackbone';
import { rgbaBatchToTensor } from '../ml/preprocess';
import { DEFAULT_GRID, neutralValue, occlusionSaliency, regionName } from '../ml/saliency';
import type { BatchPrediction, ClassProbability, DeployFormatId, ExportedModelFile, ExportProgress, Explanation, ExplainRequest, ModelFilesPayload } from './api';
import type { Backbones } from './backbones';
import { embedBatch } from './embeddings';
import { centerSquarePixels, modelPixels, previewOf } from './images';
import { yieldToEventLoop } from './operations';
import type { ModelHolder, TrainedModel } from './training';

const APP_VERSION = import.meta.env.PACKAGE_VERSION ?? '0.0.0';

export class Inference {
  /** The current fine-tuned model's folded frozen prefix (see foldedPrefix). */
  private prefixCache: { tuned: TailSplit; backbone: LoadedBackbone; prefix: FoldedForward } | null = null;

  constructor(
    private readonly backbones: Backbones,
    private readonly models: ModelHolder,
  ) {
    models.onChange(() => {
      this.prefixCache?.prefix.dispose();
      this.prefixCache = null;
    });
  }

  private async ready(): Promise<{ trained: TrainedModel; backbone: LoadedBackbone }> {
    const trained = await this.models.require();
    return { trained, backbone: await this.backbones.load(trained.backboneId) };
  }

  predict(image: Blob): Promise<ClassProbability[]> {
    return this.classify((size) => testImagePixels(image, size));
  }

  async predictFrame(frame: ImageBitmap): Promise<ClassProbability[]> {
    try {
      return await this.classify(async (size) => centerSquarePixels(frame, size));
    } finally {
      frame.close();
    }
  }

  /** Runs backbone + head on one image's model-sized pixels; shared by images and video frames. */
  private async classify(pixelsAt: (size: number) => Promise<Uint8ClampedArray>): Promise<ClassProbability[]> {
    const { trained, backbone } = await this.ready();
    const [probabilities] = await this.classifyPixels(trained, backbone, [await pixelsAt(backbone.spec.inputSize)]);
    return trained.labels.map((label, i) => ({ label, probability: probabilities[i] })).sort((a, b) => b.probability - a.probability);
  }

  async predictBatch(images: Blob[]): Promise<BatchPrediction> {
    const { trained, backbone } = await this.ready();
    const result: BatchPrediction = { labels: trained.labels, probabilities: images.map(() => []), failed: [] };
    const batchSize = embedBatch();
    for (let start = 0; start < images.length; start += batchSize) {
      const decoded: { index: number; pixels: Uint8ClampedArray }[] = [];
      for (let index = start; index < Math.min(images.length, start + batchSize); index++) {
        try {
          decoded.push({ index, pixels: await modelPixels(images[index], backbone.spec.inputSize) });
        } catch (error) {
          result.failed.push({ index, reason: error instanceof Error ? error.message : String(error) });
        }
      }
      if (decoded.length === 0) continue;
      const rows = await this.classifyPixels(trained, backbone, decoded.map((d) => d.pixels));
      decoded.forEach((d, i) => (result.probabilities[d.index] = rows[i]));
    }
    return result;
  }

  async explain(image: Blob, request: ExplainRequest, signal: AbortSignal, onProgress?: (done: number, total: number) => void): Promise<Explanation | null> {
    if (signal.aborted) return null;
    const started = performance.now();
    const { trained, backbone } = await this.ready();
    const { inputSize, scaling } = backbone.spec;
    const target = request.label === undefined ? undefined : trained.labels.indexOf(request.label);
    if (target === -1) throw new Error(`The model has no class "${request.label}"; its classes are ${trained.labels.join(', ')}.`);
    const cells = Math.round(Math.min(28, Math.max(2, request.cells ?? DEFAULT_GRID)));
    const input = rgbaBatchToTensor([await testImagePixels(image, inputSize)], inputSize, scaling);
    try {
      const map = await occlusionSaliency(this.classifierFor(trained, backbone), input, {
        targetClass: target,
        stride: Math.ceil(inputSize / cells),
        fill: neutralValue(scaling),
        batchSize: embedBatch(),
        onProgress,
        shouldStop: () => signal.aborted,
        yieldBetweenBatches: yieldToEventLoop,
      });
      if (!map) return null;
      const { probabilities, targetClass, drops, heat, maxDrop, hottest, rows, cols } = map;
      return {
        labels: trained.labels,
        probabilities,
        label: trained.labels[targetClass],
        probability: probabilities[targetClass],
        predictedLabel: trained.labels[probabilities.indexOf(Math.max(...probabilities))],
        rows,
        cols,
        stride: map.stride,
        patchSize: map.patchSize,
        inputSize,
        drops,
        heat,
        maxDrop,
        hottest,
        region: regionName(hottest.row, hottest.col, rows, cols),
        evaluations: map.evaluations,
        milliseconds: Math.round(performance.now() - started),
        backend: tf.getBackend(),
      };
    } finally {
      input.dispose();
    }
  }

  async exportModel(modelName: string): Promise<ModelFilesPayload> {
    const { trained, backbone } = await this.ready();
    const tuned = trained.fineTuned;
    const files = await exportClassifier({
      backbone,
      head: trained.head,
      labels: trained.labels,
      modelName,
      appVersion: APP_VERSION,
      fineTuned: tuned && this.fineTunedParts(tuned, backbone),
    });
    const payload = { modelJson: files['model.json'], weights: files['weights.bin'], metadataJson: files['metadata.json'] };
    return Comlink.transfer(payload, [payload.weights.buffer as ArrayBuffer]);
  }

  /** The model as TFLite (float or quantized) or ONNX, zipped with labels.txt; quantization is calibrated on the project's images. */
  async exportModelAs(
    format: DeployFormatId,
    modelName: string,
    calibration: { sampleIds: string[]; pixelsOf: (id: string, size: number) => Promise<Uint8ClampedArray>; onProgress?: (progress: ExportProgress) => void },
  ): Promise<ExportedModelFile> {
    const { trained, backbone } = await this.ready();
    // The writers (flatbuffers, protobuf) load on first use: most sessions never export.
    const { exportDeployModel } = await import('./exportFormats');
    const file = await exportDeployModel({
      format,
      modelName,
      backbone,
      head: trained.head,
      labels: trained.labels,
      fineTuned: trained.fineTuned && backbone.featureModel ? this.fineTunedParts(trained.fineTuned, backbone) : undefined,
      sampleIds: calibration.sampleIds,
      pixelsOf: calibration.pixelsOf,
      appVersion: APP_VERSION,
      onProgress: calibration.onProgress,
    });
    return Comlink.transfer(file, [file.bytes.buffer as ArrayBuffer]);
  }

  /** The fine-tuned tail with a prefix on the backbone as loaded now (it may have been reloaded since training). */
  private fineTunedParts(tuned: TailSplit, backbone: LoadedBackbone) {
    return { prefix: tuned.prefix && prefixModel(backbone.featureModel!, tuned.cutLayer), tail: tuned.tail, trainableLayers: tuned.trainableLayers };
  }

  async previewImage(image: Blob, maxSide: number): Promise<Blob> {
    return previewOf(image, maxSide).catch((error) => {
      throw new Error(`This image cannot be shown: ${error instanceof Error ? error.message : error}`);
    });
  }

  /**
   * The trained model as one function: preprocessed images [N, s, s, 3] → class probabilities [N, C],
   * through the backbone (or its frozen prefix and fine-tuned tail) and the head. Call it inside tf.tidy.
   */
  private classifierFor(trained: TrainedModel, backbone: LoadedBackbone): (input: tf.Tensor4D) => tf.Tensor2D {
    const tuned = trained.fineTuned;
    const prefix = tuned ? this.foldedPrefix(tuned, backbone) : null;
    return (input) => {
      const features = tuned ? runModel(tuned.tail, prefix ? prefix.run(input) : input) : backbone.embed(input);
      return runModel(trained.head, features) as tf.Tensor2D;
    };
  }

  /**
   * The fine-tuned model's frozen prefix as a folded pass, built once per model and
   * backbone rather than per prediction (the live preview classifies every frame).
   */
  private foldedPrefix(tuned: TailSplit, backbone: LoadedBackbone): FoldedForward | null {
    if (!tuned.prefix) return null;
    if (this.prefixCache?.tuned !== tuned || this.prefixCache.backbone !== backbone) {
      this.prefixCache?.prefix.dispose();
      this.prefixCache = { tuned, backbone, prefix: foldedForward(backbone.featureModel!, tuned.cutLayer) };
    }
    return this.prefixCache.prefix;
  }

  /** Backbone + head on model-sized pixels; one row of class probabilities per image. */
  private async classifyPixels(trained: TrainedModel, backbone: LoadedBackbone, pixels: Uint8ClampedArray[]): Promise<number[][]> {
    const classifier = this.classifierFor(trained, backbone);
    const output = tf.tidy(() => classifier(rgbaBatchToTensor(pixels, backbone.spec.inputSize, backbone.spec.scaling)));
    const rows = (await output.array()) as number[][];
    output.dispose();
    return rows;
  }
}

/** A test image's model-sized pixels, with a message saying the test image is the problem. */
function testImagePixels(image: Blob, size: number): Promise<Uint8ClampedArray> {
  return modelPixels(image, size).catch((error) => {
    throw new Error(`This test image cannot be used: ${error instanceof Error ? error.message : error}`);
  });
}
