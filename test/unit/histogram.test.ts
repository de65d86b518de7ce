import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { LatencyHistogram } from '../../checks/lib/histogram.js';

/** The nearest-rank percentile of a sorted array: the reference the histogram approximates. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

describe('LatencyHistogram', () => {
  it('is empty at first', () => {
    const h = new LatencyHistogram();
    expect(h.count).toBe(0);
    expect(h.percentile(99)).toBe(0);
    expect(h.summary()).toEqual({ count: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 });
  });

  it('keeps count, min, max and mean exactly', () => {
    const h = new LatencyHistogram();
    for (const v of [1.5, 0.2, 300, 42]) h.record(v);
    expect(h.count).toBe(4);
    expect(h.min).toBe(0.2);
    expect(h.max).toBe(300);
    expect(h.mean).toBeCloseTo((1.5 + 0.2 + 300 + 42) / 4, 9);
    expect(h.percentile(100)).toBe(300);
  });

  it('gives exact values in the linear range (below 128 µs)', () => {
    const h = new LatencyHistogram();
    for (let us = 1; us <= 100; us++) h.record(us / 1000);
    expect(h.percentile(50)).toBeCloseTo(0.05, 6);
    expect(h.percentile(99)).toBeCloseTo(0.099, 6);
  });

  it('finds a slow tail: 1% of samples at 500 ms', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 9900; i++) h.record(2);
    for (let i = 0; i < 100; i++) h.record(500);
    expect(h.percentile(50)).toBeCloseTo(2, 1);
    expect(h.percentile(99)).toBeCloseTo(2, 1);
    expect(h.percentile(99.5)).toBeGreaterThan(490);
    expect(h.max).toBe(500);
  });

  it('stays within its relative error bound for any data (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 600_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(1, 25, 50, 90, 95, 99, 99.9),
        (values, p) => {
          const h = new LatencyHistogram();
          for (const v of values) h.record(v);
          const exact = exactPercentile(
            [...values].sort((a, b) => a - b),
            p,
          );
          const got = h.percentile(p);
          // Relative bound, plus the microsecond rounding of tiny values.
          const tolerance = exact * LatencyHistogram.maxRelativeError + 0.0011;
          expect(Math.abs(got - exact)).toBeLessThanOrEqual(tolerance);
        },
      ),
    );
  });

  it('merges two histograms as if all samples went into one', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (let i = 1; i <= 500; i++) {
      const v = i * 0.37;
      (i % 2 ? a : b).record(v);
      all.record(v);
    }
    a.merge(b);
    expect(a.summary()).toEqual(all.summary());
    expect(a.min).toBe(all.min);
  });

  it('merges per-thread snapshots into exactly the histogram of all samples (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 3_000_000, noNaN: true }), { minLength: 0, maxLength: 400 }),
        fc.integer({ min: 1, max: 8 }),
        (values, threads) => {
          const perThread = Array.from({ length: threads }, () => new LatencyHistogram());
          const all = new LatencyHistogram();
          values.forEach((v, i) => {
            perThread[i % threads].record(v);
            all.record(v);
          });
          // As the pool-stress threads do: each posts a snapshot (structured clone), the main thread merges.
          const merged = new LatencyHistogram();
          for (const h of perThread) merged.merge(structuredClone(h.snapshot()));
          const m = merged.snapshot();
          const a = all.snapshot();
          expect(Array.from(m.counts)).toEqual(Array.from(a.counts));
          expect({ ...m, counts: null }).toEqual({ ...a, counts: null });
          for (const p of [0, 50, 95, 99, 99.9, 100]) expect(merged.percentile(p)).toBe(all.percentile(p));
          expect(merged.summary()).toEqual(all.summary());
        },
      ),
    );
  });

  it('refuses a snapshot of another bucket layout rather than merging it wrongly', () => {
    const h = new LatencyHistogram();
    expect(() => h.merge({ counts: new Float64Array(3), count: 1, sumUs: 1, minMs: 1, maxMs: 1 })).toThrow(/buckets/);
  });

  it('clamps absurd values without losing the exact max', () => {
    const h = new LatencyHistogram();
    h.record(10 * 3_600_000); // ten hours
    h.record(-5);
    expect(h.count).toBe(2);
    expect(h.max).toBe(36_000_000);
    expect(h.min).toBe(0);
    expect(h.percentile(100)).toBe(36_000_000);
  });

  it('uses fixed memory: a million samples cost no more than ten', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 1_000_000; i++) h.record((i % 1000) / 10);
    expect(h.count).toBe(1_000_000);
    expect(h.percentile(50)).toBeGreaterThan(49 * 0.99);
    expect(h.percentile(50)).toBeLessThan(50 * 1.01);
  });
});
