/**
 * Calls that overlap but are made and answered in order: the next chunk of an
 * import is already with the engine (being decoded) while the previous one is
 * stored and shown. With one call at a time, the decoder sat idle for every
 * store and every round trip to the page.
 */

export interface AheadInOrder<P, T> {
  /** How many chunks there are. */
  count: number;
  /** Chunks at most this many ahead of the answer being handled. */
  ahead: number;
  /**
   * Starts getting chunk `index` ready (reading its files); these may finish in
   * any order. Null to start no more (cancelled, or its target is gone).
   */
  prepare(index: number): Promise<P> | null;
  /** Hands a prepared chunk over. Called in index order, so the receiver sees the chunks in the order given. */
  send(prepared: P, index: number): Promise<T>;
  /** Handles chunk `index`'s answer, in order; false to start no more. */
  receive(answer: T, index: number): boolean | void;
}

/**
 * Runs every chunk through `prepare`, `send` and `receive`. Once one stops the
 * run, the chunks already started are still sent and received (the engine may
 * have stored them), and the first failure is thrown after that.
 */
export async function aheadInOrder<P, T>({ count, ahead, prepare, send, receive }: AheadInOrder<P, T>): Promise<void> {
  const pending: { index: number; answer: Promise<T> }[] = [];
  let next = 0;
  let stopped = false;
  let failure: { error: unknown } | null = null;
  /** Settles once the latest started chunk has been handed to `send`. */
  let sent: Promise<void> = Promise.resolve();
  const startMore = () => {
    while (!stopped && next < count && pending.length < ahead) {
      const prepared = prepare(next);
      if (!prepared) {
        stopped = true;
        break;
      }
      const index = next++;
      // Wrapped, so that the turn ends when send is called, not when it is answered.
      const turn = sent.then(() => prepared).then((ready) => ({ answer: send(ready, index) }));
      sent = turn.then(
        () => undefined,
        () => undefined,
      );
      const answer = turn.then((t) => t.answer);
      answer.catch(() => undefined); // handled when its turn comes
      pending.push({ index, answer });
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
