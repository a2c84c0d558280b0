/**
 * Reads a Chromium trace (browser.startTracing) and explains the main
 * thread's long tasks: wall time against the thread's own CPU time (a task
 * whose CPU time is far below its wall time was descheduled by the OS, not
 * busy in the page), and the longest events inside each.
 */

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

export interface LongTaskTrace {
  wallMs: number;
  cpuMs: number;
  inside: { name: string; wallMs: number; cpuMs: number }[];
}

const TASK_NAMES = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);

export function mainThreadLongTasks(trace: Buffer | string, thresholdMs = 50): LongTaskTrace[] {
  const { traceEvents } = JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] };
  const mainThreads = new Set(
    traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  const onMain = traceEvents.filter((e) => e.ph === 'X' && e.dur !== undefined && mainThreads.has(`${e.pid}:${e.tid}`));
  const ms = (us: number | undefined) => Math.round((us ?? 0) / 100) / 10;
  return onMain
    .filter((e) => TASK_NAMES.has(e.name) && e.dur! >= thresholdMs * 1000)
    .sort((a, b) => b.dur! - a.dur!)
    .map((task) => ({
      wallMs: ms(task.dur),
      cpuMs: ms(task.tdur),
      inside: onMain
        .filter((e) => e !== task && e.pid === task.pid && e.tid === task.tid && !TASK_NAMES.has(e.name) && e.ts >= task.ts && e.ts + e.dur! <= task.ts + task.dur!)
        .sort((a, b) => b.dur! - a.dur!)
        .slice(0, 4)
        .map((e) => ({ name: e.name, wallMs: ms(e.dur), cpuMs: ms(e.tdur) })),
    }));
}
