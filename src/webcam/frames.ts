/**
 * Grabbing video frames without stalling the video: createImageBitmap copies
 * the current frame asynchronously (no canvas readback on the main thread),
 * and the bitmap is transferred to the engine, not copied.
 */
/** Stored captures are at most this many pixels a side; the backbones read 224 or less. */
export const CAPTURE_MAX_SIDE = 448;

/** The video's current frame, cropped to its centre square (and scaled down to `maxSide`). */
export async function grabSquare(video: HTMLVideoElement, maxSide = CAPTURE_MAX_SIDE): Promise<ImageBitmap> {
  // (ml/preprocess has the same crop but imports tfjs, which must stay out of the page.)
  const size = Math.min(video.videoWidth, video.videoHeight);
  const sx = Math.floor((video.videoWidth - size) / 2);
  const sy = Math.floor((video.videoHeight - size) / 2);
  const side = Math.min(size, maxSide);
  return createImageBitmap(video, sx, sy, size, size, { resizeWidth: side, resizeHeight: side, resizeQuality: 'medium' });
}

export function hasFrame(video: HTMLVideoElement | null): video is HTMLVideoElement {
  return !!video && video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0;
}

/**
 * Calls `grab` at `rate` per second from start() until stop(). Late ticks are
 * dropped, not made up in a burst, so a slow moment never floods the engine.
 */
export class FrameTicker {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private startedAt = 0;
  private ticks = 0;

  constructor(private readonly grab: () => void) {}

  get running(): boolean {
    return this.timer !== null;
  }

  start(rate: number): void {
    if (this.timer !== null) return;
    const period = 1000 / rate;
    this.startedAt = performance.now();
    this.ticks = 0;
    const tick = () => {
      this.grab();
      const now = performance.now();
      this.ticks = Math.max(this.ticks + 1, Math.ceil((now - this.startedAt) / period));
      this.timer = setTimeout(tick, Math.max(0, this.startedAt + this.ticks * period - now));
    };
    tick();
  }

  /** Seconds since start. */
  stop(): number {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return (performance.now() - this.startedAt) / 1000;
  }
}
