import { describe, it, expect } from 'vitest';
import { mergeLoadMetrics, metricsToWire, phaseStats, runLoad } from '../../checks/pool-stress/load-runner.js';
import { splitEvenly } from '../../checks/pool-stress/postgres-threads.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('runLoad', () => {
  it('starts exactly maxOps operations, never more than `workers` at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const m = await runLoad({ workers: 7, maxOps: 100, durationMs: 60_000 }, async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick();
      inFlight--;
    });
    expect(m.ops).toBe(100);
    expect(m.ok).toBe(100);
    expect(m.latency.count).toBe(100);
    expect(peak).toBe(7);
    expect(m.stoppedBy).toBe('count');
  });

  it('a burst is `n` operations all in flight at the same moment', async () => {
    let inFlight = 0;
    let peak = 0;
    await runLoad({ workers: 25, maxOps: 25, durationMs: 60_000 }, async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    });
    expect(peak).toBe(25);
  });

  it('starts nothing after the duration', async () => {
    const m = await runLoad({ workers: 2, maxOps: 1e9, durationMs: 50 }, () => new Promise((r) => setTimeout(r, 5)));
    expect(m.stoppedBy).toBe('duration');
    expect(m.ops).toBeGreaterThan(0);
    // Two workers, >= 5 ms each: at most ~2 * 50 / 5 operations can start in 50 ms.
    expect(m.ops).toBeLessThanOrEqual(2 * Math.ceil(50 / 4) + 2);
  });

  it('stops launching as soon as the signal aborts', async () => {
    const controller = new AbortController();
    let launched = 0;
    const m = await runLoad({ workers: 3, maxOps: 1e9, durationMs: 60_000, signal: controller.signal }, async () => {
      if (++launched === 10) controller.abort();
      await tick();
    });
    expect(m.stoppedBy).toBe('aborted');
    expect(m.ops).toBeLessThanOrEqual(12); // the 10th plus at most the two others already in flight
  });

  it('does nothing at all with an already aborted signal', async () => {
    const m = await runLoad({ workers: 3, maxOps: 10, durationMs: 1000, signal: AbortSignal.abort() }, async () => {
      throw new Error('must not run');
    });
    expect(m.ops).toBe(0);
    expect(m.stoppedBy).toBe('aborted');
  });

  it('counts errors by class, keeps a few distinct samples, and goes on', async () => {
    let i = 0;
    const m = await runLoad({ workers: 1, maxOps: 10, durationMs: 60_000 }, async () => {
      i++;
      if (i % 2 === 0) throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
      if (i === 5) throw new Error('timeout exceeded when trying to connect');
    });
    expect(m.ops).toBe(10);
    expect(m.ok).toBe(4);
    expect(m.errors).toBe(6);
    expect(m.errorsByClass).toEqual({ 'statement-timeout': 5, 'acquire-timeout': 1 });
    expect(m.sampleErrors).toEqual([
      'statement-timeout: canceling statement due to statement timeout',
      'acquire-timeout: timeout exceeded when trying to connect',
    ]);
    expect(m.latency.count).toBe(4); // failed operations do not pollute the latency histogram
  });

  it('records the acquire wait an operation reports', async () => {
    const m = await runLoad({ workers: 2, maxOps: 4, durationMs: 60_000 }, async () => 12.5);
    expect(m.acquireWait.count).toBe(4);
    const s = phaseStats(m);
    expect(s.acquireWaitMaxMs).toBe(12.5);
    expect(s.ops).toBe(4);
    expect(s.throughputPerSec).toBeGreaterThan(0);
  });
});

describe('mergeLoadMetrics (the metrics of load threads, as one)', () => {
  it('adds counts, merges histograms exactly, keeps the longest wall time and the strongest stop reason', async () => {
    let n = 0;
    const fail = async () => {
      if (++n % 4 === 0) throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
      await tick();
    };
    const a = await runLoad({ workers: 3, maxOps: 40, durationMs: 60_000 }, fail);
    const b = await runLoad({ workers: 2, maxOps: 25, durationMs: 60_000 }, fail);
    // One of them crossing a thread boundary as plain data, as a load thread's report does.
    const merged = mergeLoadMetrics([a, structuredClone(metricsToWire(b))]);
    expect(merged.ops).toBe(65);
    expect(merged.ok + merged.errors).toBe(65);
    expect(merged.ok).toBe(a.ok + b.ok);
    expect(merged.errorsByClass['statement-timeout']).toBe(a.errors + b.errors);
    expect(merged.latency.count).toBe(a.latency.count + b.latency.count);
    expect(merged.latency.max).toBe(Math.max(a.latency.max, b.latency.max));
    expect(merged.elapsedMs).toBe(Math.max(a.elapsedMs, b.elapsedMs));
    expect(merged.stoppedBy).toBe('count');
    expect(mergeLoadMetrics([a, { ...b, stoppedBy: 'duration' }]).stoppedBy).toBe('duration');
    expect(
      mergeLoadMetrics([
        { ...a, stoppedBy: 'aborted' },
        { ...b, stoppedBy: 'duration' },
      ]).stoppedBy,
    ).toBe('aborted');
  });
});

describe('splitEvenly (clients, connections and the op cap across threads)', () => {
  it.each([
    [10, 3, [4, 3, 3]],
    [4, 2, [2, 2]],
    [7, 1, [7]],
    [100_000_000, 8, Array(8).fill(12_500_000)],
  ])('%i over %i threads -> %o (adds up exactly)', (total, n, shares) => {
    expect(splitEvenly(total, n)).toEqual(shares);
    expect(splitEvenly(total, n).reduce((x, y) => x + y, 0)).toBe(total);
  });
});
