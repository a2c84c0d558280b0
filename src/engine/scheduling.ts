/**
 * Runs engine operations one at a time, in call order, so two requests never
 * embed the same image twice or race for the backbone.
 */
let queue: Promise<unknown> = Promise.resolve();

export function exclusive<T>(operation: () => Promise<T>): Promise<T> {
  const run = queue.then(operation, operation);
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Lets queued messages (such as Cancel) run between batches. A MessageChannel
 * task is not clamped to 4 ms the way nested setTimeout calls are.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
