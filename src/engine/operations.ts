/**
 * How engine work is ordered and stopped. Operations that use the backbone or a
 * model run one at a time, in call order (`exclusive`), so two requests never
 * embed the same image twice or race for the backbone. Every stoppable operation
 * gets an AbortSignal when it is requested; `cancel(kind)` aborts the running one
 * of that kind and any requested before the call that have not started yet.
 * This is the one cancellation mechanism: import, embedding, training,
 * explanation and Compare backbones all check their signal between batches.
 */
export type OperationKind = 'training' | 'explanation' | 'background' | 'import' | 'comparison';

let queue: Promise<unknown> = Promise.resolve();

export function exclusive<T>(operation: () => Promise<T>): Promise<T> {
  const run = queue.then(operation, operation);
  queue = run.catch(() => undefined);
  return run;
}

/** One channel serves every yield: making a MessageChannel per yield costs the browser a pipe each time. */
let yieldChannel: { port: MessagePort; waiting: (() => void)[] } | null = null;

/**
 * Lets queued messages (such as Cancel) run between batches. A MessageChannel
 * task is not clamped to 4 ms the way nested setTimeout calls are.
 */
export function yieldToEventLoop(): Promise<void> {
  if (!yieldChannel) {
    const channel = new MessageChannel();
    const state = { port: channel.port2, waiting: [] as (() => void)[] };
    channel.port1.onmessage = () => state.waiting.shift()?.();
    yieldChannel = state;
  }
  const { port, waiting } = yieldChannel;
  return new Promise((resolve) => {
    waiting.push(resolve);
    port.postMessage(null);
  });
}

/** Most often a loop yields: between batches, once this many ms have passed since its last yield. */
export const YIELD_INTERVAL_MS = 15;

/**
 * A yield for loops of many short batches (training steps of a few ms): it
 * yields only once YIELD_INTERVAL_MS have passed since the last time, so Cancel
 * still lands within a few batches while thousands of steps do not each wait
 * for a task of their own.
 */
export function yieldEvery(intervalMs = YIELD_INTERVAL_MS): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < intervalMs) return;
    await yieldToEventLoop();
    last = performance.now();
  };
}

export class Operations {
  private readonly live = new Map<OperationKind, Set<AbortController>>();

  /** Runs `operation` with a signal that `cancel(kind)` aborts, from this call on (also while it waits its turn). */
  async run<T>(kind: OperationKind, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const set = this.live.get(kind) ?? new Set();
    this.live.set(kind, set.add(controller));
    try {
      return await operation(controller.signal);
    } finally {
      set.delete(controller);
    }
  }

  cancel(kind: OperationKind): void {
    for (const controller of this.live.get(kind) ?? []) controller.abort();
  }

  isRunning(kind: OperationKind): boolean {
    return (this.live.get(kind)?.size ?? 0) > 0;
  }
}
