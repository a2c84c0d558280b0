import { describe, expect, it, vi } from 'vitest';
import { yieldEvery, yieldToEventLoop } from './operations';

describe('yieldToEventLoop', () => {
  it('lets a queued task run before it resolves, and serves many waiting yields in order', async () => {
    const order: string[] = [];
    setTimeout(() => order.push('task'), 0);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the timer above is due now
    const yields = [1, 2, 3].map((n) => yieldToEventLoop().then(() => order.push(`yield ${n}`)));
    await Promise.all(yields);
    expect(order).toEqual(['task', 'yield 1', 'yield 2', 'yield 3']);
  });
});

describe('yieldEvery', () => {
  it('yields to the event loop only once the interval has passed since its last yield', async () => {
    const clock = vi.spyOn(performance, 'now');
    let now = 1000;
    clock.mockImplementation(() => now);
    try {
      const maybeYield = yieldEvery(15);
      /** Whether a call finished within a few microtasks, i.e. without waiting for a task of its own. */
      const finishesAtOnce = async () => {
        let done = false;
        const call = maybeYield().then(() => (done = true));
        for (let i = 0; i < 5; i++) await Promise.resolve();
        const atOnce = done;
        await call;
        return atOnce;
      };
      now += 5;
      expect(await finishesAtOnce()).toBe(true);
      now += 20;
      expect(await finishesAtOnce()).toBe(false);
      now += 5;
      expect(await finishesAtOnce()).toBe(true);
    } finally {
      clock.mockRestore();
    }
  });
});
