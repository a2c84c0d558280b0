/**
 * The live-preview loop: one prediction in flight at a time, started on the
 * next new video frame after the previous one finished. Frames that arrive
 * meanwhile are simply not used (dropped, never queued). Pauses while the tab
 * is hidden.
 */
import type { ClassProbability } from '../engine/api';
import { BACKBONES } from '../engine/api';
import { grabSquare, hasFrame } from './frames';

/** No backbone reads more than this, so larger frames would only cost transfer time. */
const PREVIEW_SIDE = Math.max(...BACKBONES.map((b) => b.inputSize));
/** Predictions per second are averaged over this window. */
const RATE_WINDOW_MS = 3000;
/** A stalled or hidden video is looked at again after this long. */
const POLL_MS = 250;

export interface LiveUpdate {
  predictions: ClassProbability[];
  /** Measured predictions per second over the last few seconds (null until there are two). */
  perSecond: number | null;
}

export function runLivePredictions(
  video: HTMLVideoElement,
  predict: (frame: ImageBitmap) => Promise<ClassProbability[]>,
  onUpdate: (update: LiveUpdate) => void,
  onError: (error: unknown) => void,
): () => void {
  let stopped = false;
  const finished: number[] = [];
  // Count presented frames so that, when a prediction ends, a frame that arrived
  // meanwhile is used at once instead of waiting for the one after it.
  let presented = 0;
  const watchFrames = () => {
    if (stopped || !('requestVideoFrameCallback' in video)) return;
    video.requestVideoFrameCallback(() => {
      presented++;
      watchFrames();
    });
  };
  watchFrames();

  const loop = async () => {
    let used = -1;
    while (!stopped) {
      if (presented === used || !('requestVideoFrameCallback' in video)) await nextVideoFrame(video);
      if (stopped) return;
      if (document.hidden || !hasFrame(video)) {
        // Nothing to look at yet: wait, or this loop would spin without yielding.
        await nextVideoFrame(video);
        continue;
      }
      used = presented;
      const predictions = await predict(await grabSquare(video, PREVIEW_SIDE));
      if (stopped) return;
      const now = performance.now();
      finished.push(now);
      while (finished.length > 0 && now - finished[0] > RATE_WINDOW_MS) finished.shift();
      const perSecond = finished.length >= 2 ? ((finished.length - 1) * 1000) / (now - finished[0]) : null;
      onUpdate({ predictions, perSecond });
    }
  };
  loop().catch((error: unknown) => {
    if (!stopped) onError(error);
  });
  return () => {
    stopped = true;
  };
}

function nextVideoFrame(video: HTMLVideoElement): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, POLL_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(done);
    else requestAnimationFrame(done);
  });
}
