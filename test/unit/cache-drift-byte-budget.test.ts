import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../checks/cache-drift/byte-budget.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('ByteBudget', () => {
  it('grants at once what fits, holds back what does not until enough is released, in order', async () => {
    const budget = new ByteBudget(100);
    const signal = new AbortController().signal;
    await budget.acquire(60, signal);
    const granted: string[] = [];
    const big = budget.acquire(70, signal).then(() => granted.push('big'));
    // fits beside the first grant, but waits behind the bigger, earlier request (no starvation)
    const small = budget.acquire(30, signal).then(() => granted.push('small'));
    await tick();
    expect(granted).toEqual([]);
    budget.release(60);
    await big;
    await tick();
    expect(granted).toEqual(['big', 'small']);
    await small;
  });

  it('never holds more than its limit at once', async () => {
    const budget = new ByteBudget(50);
    const signal = new AbortController().signal;
    let held = 0;
    let peak = 0;
    await Promise.all(
      [20, 30, 10, 50, 5, 45].map(async (n) => {
        await budget.acquire(n, signal);
        held += n;
        peak = Math.max(peak, held);
        await tick();
        held -= n;
        budget.release(n);
      }),
    );
    expect(peak).toBeLessThanOrEqual(50);
  });

  it('refuses a request larger than the whole budget and rejects a waiter when cancelled', async () => {
    const budget = new ByteBudget(10);
    const controller = new AbortController();
    expect(() => budget.acquire(11, controller.signal)).toThrow(/11 bytes of a 10-byte budget/);
    await budget.acquire(10, controller.signal);
    const waiting = budget.acquire(5, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    budget.release(10);
    await budget.acquire(10, new AbortController().signal); // the cancelled waiter holds nothing
  });
});
