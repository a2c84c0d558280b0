/**
 * Calls that overlap but are answered in order: the next chunk of an import is
 * already with the engine (being decoded) while the previous one is stored and
 * shown. With one call at a time, the decoder sat idle for every store and every
 * round trip to the page.
 */

export interface AheadInOrder<T> {
  /** How many chunks there are. */
  count: number;
  /** Calls at most this many ahead of the answer being handled. */
  ahead: number;
  /** Starts chunk `index`; null to start no more (cancelled, or its target is gone). */
  send(index: number): Promise<T> | null;
  /** Handles chunk `index`'s answer, in order; false to start no more. */
  receive(answer: T, index: number): boolean | void;
}

/**
 * Runs every chunk through `send` and `receive`. Once one stops the run, the
 * calls already started are still received (the engine may have stored them),
 * and the first failure is thrown after that.
 */
export async function aheadInOrder<T>({ count, ahead, send, receive }: AheadInOrder<T>): Promise<void> {
  const pending: { index: number; answer: Promise<T> }[] = [];
  let next = 0;
  let stopped = false;
  let failure: { error: unknown } | null = null;
  const startMore = () => {
    while (!stopped && next < count && pending.length < ahead) {
      const answer = send(next);
      if (!answer) {
        stopped = true;
        break;
      }
      answer.catch(() => undefined); // handled when its turn comes
      pending.push({ index: next++, answer });
    }
  };
  startMore();
  while (pending.length > 0) {
    const { index, answer } = pending.shift()!;
    try {
      if (receive(await answer, index) === false) stopped = true;
    } catch (error) {
      failure ??= { error };
      stopped = true;
    }
    startMore();
  }
  if (failure) throw failure.error;
}
