/**
 * Main-thread responsiveness while a workload runs: long tasks (from the
 * PerformanceObserver, registered at page load so none are missed) and
 * requestAnimationFrame frames per second.
 */

export interface Responsiveness {
  longestTaskMs: number;
  longTaskCount: number;
  /** Sum over long tasks of the time beyond 50 ms (the Lighthouse definition). */
  totalBlockingMs: number;
  fps: number;
  seconds: number;
  /** The slowest long animation frames and what ran in them: the where of a long task. */
  slowestFrames: SlowFrame[];
}

export interface SlowFrame {
  durationMs: number;
  blockingMs: number;
  scripts: { invoker: string; source: string; durationMs: number }[];
}

const LONG_TASK_MS = 50;
const longTasks: PerformanceEntry[] = [];
new PerformanceObserver((list) => longTasks.push(...list.getEntries())).observe({ type: 'longtask', buffered: true });

// Long Animation Frames name the scripts behind a long task (Chromium ≥ 123; absent elsewhere).
interface AnimationFrameEntry extends PerformanceEntry {
  blockingDuration: number;
  scripts: { invoker: string; sourceURL: string; sourceFunctionName: string; duration: number }[];
}
const slowFrames: AnimationFrameEntry[] = [];
if (PerformanceObserver.supportedEntryTypes.includes('long-animation-frame')) {
  new PerformanceObserver((list) => slowFrames.push(...(list.getEntries() as AnimationFrameEntry[]))).observe({
    type: 'long-animation-frame',
    buffered: true,
  });
}

const nextTask = (ms = 0) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` from a task the page schedules itself: Chromium attributes long
 * tasks only to work the page started, not to code injected by DevTools.
 */
export async function measured<T>(work: () => Promise<T>): Promise<{ result: T; responsiveness: Responsiveness }> {
  await nextTask();
  let frames = 0;
  let running = true;
  const countFrame = () => {
    if (!running) return;
    frames++;
    requestAnimationFrame(countFrame);
  };
  requestAnimationFrame(countFrame);
  const start = performance.now();
  const result = await work();
  const end = performance.now();
  running = false;
  // Long-task entries are delivered after the task ends; give the observer a moment.
  await nextTask(100);
  const during = longTasks.filter((t) => t.startTime + t.duration > start && t.startTime < end);
  const seconds = (end - start) / 1000;
  return {
    result,
    responsiveness: {
      longestTaskMs: Math.max(0, ...during.map((t) => t.duration)),
      longTaskCount: during.length,
      totalBlockingMs: during.reduce((sum, t) => sum + Math.max(0, t.duration - LONG_TASK_MS), 0),
      fps: seconds > 0 ? frames / seconds : 0,
      seconds,
      slowestFrames: slowFrames
        .filter((f) => f.startTime + f.duration > start && f.startTime < end)
        .sort((a, b) => b.duration - a.duration)
        .slice(0, 3)
        .map((f) => ({
          durationMs: Math.round(f.duration),
          blockingMs: Math.round(f.blockingDuration),
          scripts: f.scripts.map((script) => ({
            invoker: script.invoker,
            source: `${script.sourceURL.split('/').pop()}${script.sourceFunctionName ? ` ${script.sourceFunctionName}` : ''}`,
            durationMs: Math.round(script.duration),
          })),
        })),
    },
  };
}
