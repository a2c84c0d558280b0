/**
 * The page side of `npm run bench`: workloads the script runs with
 * page.evaluate(window.benchmarks.…). Worker figures go through the same
 * engine API the app uses; main-thread baselines live in ./baseline (lazy, so
 * tfjs loads on this page only when a baseline runs).
 */
import { DEFAULT_BACKBONE_ID, DEFAULT_TRAIN_SETTINGS, type BackendName, type TrainSettings } from '../../src/engine/api';
import { getBenchEngine, remoteCallback } from '../../src/engine/engine';
import { predictVideoFrame } from '../../src/state/capture';
import { runLivePredictions } from '../../src/webcam/livePredictions';
import { measured, type Responsiveness } from './responsiveness';
import type * as tf from '@tensorflow/tfjs';

export interface BenchImage {
  url: string;
  /** Unique across classes, e.g. "cats/001.jpg". */
  name: string;
  label: number;
}

interface LoadedImage {
  blob: Blob;
  name: string;
  label: number;
}

interface Timed {
  seconds: number;
  responsiveness: Responsiveness;
}

const engine = getBenchEngine();
const IMPORT_CHUNK = 16;
let backend: BackendName = 'wasm';
let classNames: string[] = [];
let images: LoadedImage[] = [];
/** Samples of the latest embedding run: what the worker trains on. */
let embeddedSamples: { id: string; label: number }[] = [];
let baselineEmbeddings: tf.Tensor2D | null = null;

/** Shows progress in the DOM as the app does, so the main thread does the same small work per message. */
const progressLine = document.createElement('p');
document.body.append(progressLine);
const showProgress = remoteCallback((progress: { phase: string; done: number; total: number }) => {
  progressLine.textContent = `${progress.phase} ${progress.done}/${progress.total}`;
});

function trainSettings(epochs: number): TrainSettings {
  return { ...DEFAULT_TRAIN_SETTINGS, epochs };
}

/** The first `count` images, taking classes in turn so every class is represented. */
function balanced(count: number): LoadedImage[] {
  const byClass = classNames.map((_, label) => images.filter((image) => image.label === label));
  const picked: LoadedImage[] = [];
  for (let i = 0; picked.length < Math.min(count, images.length); i++) {
    for (const group of byClass) if (group[i] && picked.length < count) picked.push(group[i]);
  }
  return picked;
}

async function importIntoEngine(subset: LoadedImage[]): Promise<{ id: string; label: number }[]> {
  const labelOf = new Map(subset.map((image) => [image.name, image.label]));
  const samples: { id: string; label: number }[] = [];
  for (let start = 0; start < subset.length; start += IMPORT_CHUNK) {
    const chunk = subset.slice(start, start + IMPORT_CHUNK);
    // Labels are the benchmark's own; in the engine's project all images sit in one class.
    const { accepted, rejected } = await engine.importFiles(chunk.map(({ blob, name }) => ({ file: blob, name })), { classId: 'bench', className: 'Bench' });
    if (rejected.length > 0) console.warn('bench: rejected', rejected);
    for (const sample of accepted) samples.push({ id: sample.id, label: labelOf.get(sample.name)! });
  }
  return samples;
}

function trainingClasses(samples: { id: string; label: number }[]) {
  return classNames.map((name, label) => ({ name, sampleIds: samples.filter((s) => s.label === label).map((s) => s.id) }));
}

async function trainInWorker(samples: { id: string; label: number }[], epochs: number): Promise<void> {
  const outcome = await engine.train(
    { backboneId: DEFAULT_BACKBONE_ID, classes: trainingClasses(samples), settings: trainSettings(epochs) },
    remoteCallback({ onProgress: showProgress, onEpoch: () => undefined }),
  );
  if (outcome.status !== 'trained') throw new Error(`Training did not finish: ${JSON.stringify(outcome)}`);
}

/** A generated "video": an animated canvas streamed into a <video> element, as a webcam would be. */
async function videoSource(fps: number): Promise<{ source: CanvasImageSource; width: number; height: number; kind: string; stop(): void }> {
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 240;
  const context = canvas.getContext('2d')!;
  let animating = true;
  const paint = (time: number) => {
    if (!animating) return;
    const phase = Math.floor(time / 20) % 40;
    const stripes = Math.floor(time / 1000) % 2 === 0;
    context.fillStyle = stripes ? '#f5a83c' : '#2ab496';
    context.fillRect(0, 0, 320, 240);
    context.fillStyle = stripes ? '#d84628' : '#1e5ac8';
    for (let i = -1; i < 14; i++) {
      if (stripes) context.fillRect(0, i * 20 + (phase % 20), 320, 10);
      else for (let j = -1; j < 18; j++) if ((i + j) % 2 === 0) context.fillRect(j * 20 + (phase % 20), i * 20, 20, 20);
    }
    requestAnimationFrame(paint);
  };
  requestAnimationFrame(paint);
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = canvas.captureStream(fps);
  document.body.append(video);
  const stop = () => {
    animating = false;
    video.remove();
  };
  const started = await Promise.race([
    video.play().then(() => new Promise<boolean>((resolve) => video.requestVideoFrameCallback(() => resolve(true)))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000)),
  ]).catch(() => false);
  if (started && video.videoWidth > 0) return { source: video, width: video.videoWidth, height: video.videoHeight, kind: 'video', stop };
  return { source: canvas, width: 320, height: 240, kind: 'canvas', stop };
}

declare global {
  interface Window {
    benchmarks: typeof benchmarks;
  }
}

const benchmarks = {
  /** Without `backend`, the engine measures the backends and picks the fastest, as the app does by default. */
  async init(options: { backend?: BackendName; images: BenchImage[]; classNames: string[] }) {
    classNames = options.classNames;
    images = await Promise.all(
      options.images.map(async ({ url, name, label }) => ({ blob: await (await fetch(url)).blob(), name, label })),
    );
    const status = await engine.start({ backend: options.backend, appBase: import.meta.env.BASE_URL });
    backend = options.backend ?? status.backend;
    await engine.useBackbone(DEFAULT_BACKBONE_ID);
    return status;
  },

  /**
   * Import (decode, check, thumbnail) and embed every image in the worker, as a drop
   * followed by Train does; or only the first `count` images (classes taken in turn).
   */
  async embedPipeline(count?: number): Promise<Timed & { importSeconds: number; count: number }> {
    const previous = embeddedSamples.map((s) => s.id);
    embeddedSamples = [];
    await engine.removeSamples(previous);
    const subset = count === undefined ? images : balanced(count);
    let importSeconds = 0;
    const { result, responsiveness } = await measured(async () => {
      const started = performance.now();
      const samples = await importIntoEngine(subset);
      importSeconds = (performance.now() - started) / 1000;
      const finished = await engine.embedSamples(
        samples.map((s) => s.id),
        DEFAULT_BACKBONE_ID,
        showProgress,
      );
      if (!finished) throw new Error('Embedding was cancelled');
      return samples;
    });
    embeddedSamples = result;
    return { seconds: responsiveness.seconds, importSeconds, count: result.length, responsiveness };
  },

  /** The Teachable Machine way: main thread, one image at a time, awaiting each result. */
  async embedBaseline(): Promise<Timed & { count: number; backend: string }> {
    const baseline = await import('./baseline');
    const baselineBackend = await baseline.startBaseline(backend, DEFAULT_BACKBONE_ID);
    baselineEmbeddings?.dispose();
    baselineEmbeddings = null;
    const { result, responsiveness } = await measured(() => baseline.embedOneAtATime(images.map((image) => image.blob)));
    baselineEmbeddings = result;
    return { seconds: responsiveness.seconds, count: images.length, responsiveness, backend: baselineBackend };
  },

  /** tf.profile of the backbone on the page's tfjs, same backend, at each batch size. */
  async profileEmbedding(batches: number[]) {
    const baseline = await import('./baseline');
    await baseline.startBaseline(backend, DEFAULT_BACKBONE_ID);
    const profiles = [];
    for (const path of ['layers', 'app'] as const) for (const batch of batches) profiles.push(await baseline.profileEmbedding(path, batch));
    return profiles;
  },

  /** Head training in the worker on the cached embeddings of the latest pipeline run. */
  async trainWorker(epochs: number): Promise<Timed & { samples: number }> {
    const { responsiveness } = await measured(() => trainInWorker(embeddedSamples, epochs));
    return { seconds: responsiveness.seconds, samples: embeddedSamples.length, responsiveness };
  },

  /** The same head and settings trained with a plain model.fit on the main thread. */
  async trainBaseline(epochs: number): Promise<Timed & { samples: number }> {
    const baseline = await import('./baseline');
    if (!baselineEmbeddings) throw new Error('Run embedBaseline first');
    const embeddings = baselineEmbeddings;
    const labels = images.map((image) => image.label);
    const { responsiveness } = await measured(() => baseline.fitOnMainThread(embeddings, labels, classNames.length, trainSettings(epochs)));
    return { seconds: responsiveness.seconds, samples: labels.length, responsiveness };
  },

  /** Tensors in the worker before and after full embed → train → predict → export cycles. */
  async leaks(options: { count: number; epochs: number; cycles: number }) {
    const subset = balanced(options.count);
    const cycle = async () => {
      const samples = await importIntoEngine(subset);
      await trainInWorker(samples, options.epochs);
      await engine.predict(subset[0].blob);
      await engine.exportModel('leak-check');
      await engine.removeSamples(samples.map((s) => s.id));
    };
    // One cycle first: the trained head that stays in memory and the backend's lasting buffers are not leaks.
    await cycle();
    const before = await engine.memory();
    for (let i = 0; i < options.cycles; i++) await cycle();
    const after = await engine.memory();
    return { before, after, cycles: options.cycles, imagesPerCycle: subset.length };
  },

  /**
   * Predictions per second on a video: the app's live preview (runLivePredictions:
   * one prediction in flight, small ImageBitmaps transferred to the worker, frames
   * that arrive meanwhile dropped) against a naive requestAnimationFrame loop that
   * encodes each frame and awaits its prediction before asking for the next frame.
   * Both count predictions of distinct video frames: predicting a frame again adds nothing.
   */
  async preview(seconds: number, fps: number) {
    const video = await videoSource(fps);
    if (!(video.source instanceof HTMLVideoElement)) throw new Error('captureStream video did not start');
    const element = video.source;
    const canvas = new OffscreenCanvas(video.width, video.height);
    const context = canvas.getContext('2d')!;
    const grabFrame = () => {
      context.drawImage(element, 0, 0, video.width, video.height);
      return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    };
    await engine.predict(await grabFrame()); // warm-up outside the timed loops

    const pipelined = await measured(
      () =>
        new Promise<number>((resolve, reject) => {
          let count = 0;
          const stop = runLivePredictions(element, predictVideoFrame, () => count++, reject);
          setTimeout(() => {
            stop();
            resolve(count);
          }, seconds * 1000);
        }),
    );
    const naive = await measured(
      () =>
        new Promise<number>((resolve, reject) => {
          const end = performance.now() + seconds * 1000;
          let count = 0;
          let presented = 0;
          let lastPredicted = -1;
          const onFrame: VideoFrameRequestCallback = (_, metadata) => {
            presented = metadata.presentedFrames;
            if (performance.now() < end) element.requestVideoFrameCallback(onFrame);
          };
          element.requestVideoFrameCallback(onFrame);
          const loop = async () => {
            if (performance.now() >= end) return resolve(count);
            const frame = presented;
            await engine.predict(await grabFrame());
            if (frame !== lastPredicted) count++;
            lastPredicted = frame;
            requestAnimationFrame(() => void loop().catch(reject));
          };
          requestAnimationFrame(() => void loop().catch(reject));
        }),
    );
    video.stop();
    return {
      source: video.kind,
      fps,
      predictionsPerSecond: pipelined.result / pipelined.responsiveness.seconds,
      naivePredictionsPerSecond: naive.result / naive.responsiveness.seconds,
      responsiveness: pipelined.responsiveness,
    };
  },
};

window.benchmarks = benchmarks;
