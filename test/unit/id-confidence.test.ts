import { describe, expect, it } from 'vitest';
import { binomialCdf, formatPercentCeil, rateUpperBound, sampleConfidence } from '../../checks/lib/confidence.js';
import { AdaptiveBatchSize } from '../../checks/lib/id-batch.js';

describe('sample confidence', () => {
  it('states the rule-of-three bound for zero hits', () => {
    expect(sampleConfidence(0, 10_000, 'missing').statement).toBe('0 of 10,000 missing: fewer than 0.03% missing at 95% confidence');
    expect(rateUpperBound(0, 100)).toBeCloseTo(0.0295, 3);
  });

  it('gives the exact Clopper-Pearson upper bound for some hits', () => {
    // Known values: 1 of 100 -> 4.66%, 5 of 1000 -> 1.05% (one-sided 95%).
    expect(rateUpperBound(1, 100)).toBeCloseTo(0.0466, 3);
    expect(rateUpperBound(5, 1000)).toBeCloseTo(0.0105, 3);
    expect(binomialCdf(5, 1000, rateUpperBound(5, 1000))).toBeCloseTo(0.05, 4);
    expect(sampleConfidence(3, 2000, 'missing', 0.99).statement).toMatch(
      /^3 of 2,000 missing: fewer than 0\.\d+% missing at 99% confidence$/,
    );
  });

  it('rounds percentages up, never down', () => {
    expect(formatPercentCeil(0.00029953)).toBe('0.03%');
    expect(formatPercentCeil(0.012301)).toBe('1.3%');
    expect(formatPercentCeil(0.5)).toBe('50%');
    expect(sampleConfidence(0, 0, 'missing').upperBound).toBe(1);
  });
});

describe('AdaptiveBatchSize', () => {
  it('grows towards the time target, at most doubling per step, within bounds', () => {
    const b = new AdaptiveBatchSize({ initial: 100, min: 10, max: 1000, targetMs: 100 });
    b.record(100, 10); // 10x too fast
    expect(b.size).toBe(200);
    for (let i = 0; i < 10; i++) b.record(b.size, b.size / 10);
    expect(b.size).toBe(1000);
    b.record(1000, 1000); // 10x too slow
    expect(b.size).toBe(500);
    for (let i = 0; i < 20; i++) b.record(b.size, b.size * 100);
    expect(b.size).toBe(10);
  });
});
