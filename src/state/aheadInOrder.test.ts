import { describe, expect, it } from 'vitest';
import { aheadInOrder } from './aheadInOrder';

/** A call the test answers when it likes. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const ready = (i: number) => Promise.resolve(i);

describe('aheadInOrder', () => {
  it('keeps the next call going while the previous answer is awaited, and receives answers in order', async () => {
    const calls = Array.from({ length: 4 }, () => deferred<string>());
    const sent: number[] = [];
    const received: string[] = [];
    const run = aheadInOrder({
      count: 4,
      ahead: 2,
      prepare: ready,
      send: (i) => (sent.push(i), calls[i].promise),
      receive: (answer) => void received.push(answer),
    });
    await tick();
    expect(sent).toEqual([0, 1]);
    calls[1].resolve('b'); // answered out of order
    await tick();
    expect(received).toEqual([]);
    calls[0].resolve('a');
    await tick();
    expect(received).toEqual(['a', 'b']);
    expect(sent).toEqual([0, 1, 2, 3]);
    calls[2].resolve('c');
    calls[3].resolve('d');
    await run;
    expect(received).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sends chunks in their order even when a later one is ready first (a short last chunk)', async () => {
    const preparing = Array.from({ length: 3 }, () => deferred<number>());
    const sent: number[] = [];
    const run = aheadInOrder({
      count: 3,
      ahead: 3,
      prepare: (i) => preparing[i].promise,
      send: (i) => (sent.push(i), Promise.resolve(i)),
      receive: () => undefined,
    });
    preparing[2].resolve(2);
    await tick();
    expect(sent).toEqual([]);
    preparing[0].resolve(0);
    await tick();
    expect(sent).toEqual([0]);
    preparing[1].resolve(1);
    await run;
    expect(sent).toEqual([0, 1, 2]);
  });

  it('starts nothing more once told to stop, but still receives what was already sent', async () => {
    const sent: number[] = [];
    const received: number[] = [];
    await aheadInOrder({
      count: 10,
      ahead: 2,
      prepare: ready,
      send: (i) => (sent.push(i), Promise.resolve(i)),
      receive: (answer) => (received.push(answer), answer !== 3),
    });
    expect(received).toEqual([0, 1, 2, 3, 4]);
    expect(sent).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops when there is nothing more to start (a cancelled import)', async () => {
    const received: number[] = [];
    await aheadInOrder({ count: 10, ahead: 2, prepare: (i) => (i < 3 ? ready(i) : null), send: ready, receive: (answer) => void received.push(answer) });
    expect(received).toEqual([0, 1, 2]);
  });

  it('throws the first failure after receiving the calls that succeeded', async () => {
    const received: number[] = [];
    const run = aheadInOrder({
      count: 5,
      ahead: 2,
      prepare: ready,
      send: (i) => (i === 1 ? Promise.reject(new Error('engine stopped')) : Promise.resolve(i)),
      receive: (answer) => void received.push(answer),
    });
    await expect(run).rejects.toThrow('engine stopped');
    expect(received).toEqual([0, 2]);
  });
});
