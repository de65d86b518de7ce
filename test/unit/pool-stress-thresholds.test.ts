import { describe, it, expect } from 'vitest';
import type { PhaseStats } from '../../checks/pool-stress/load-runner.js';
import { evaluateThresholds, verdict } from '../../checks/pool-stress/thresholds.js';

const stats = (over: Partial<PhaseStats> = {}): PhaseStats => ({
  ops: 100,
  ok: 100,
  errors: 0,
  errorsByClass: {},
  sampleErrors: [],
  throughputPerSec: 500,
  count: 100,
  p50Ms: 2,
  p95Ms: 8,
  p99Ms: 20,
  maxMs: 40,
  meanMs: 3,
  acquireWaitP95Ms: 1,
  acquireWaitMaxMs: 2,
  elapsedMs: 200,
  stoppedBy: 'count',
  ...over,
});

describe('evaluateThresholds', () => {
  it('passes with no thresholds and no errors', () => {
    expect(evaluateThresholds(stats(), {})).toEqual([]);
    expect(verdict([])).toBe('pass');
  });

  it('judges each set latency threshold (strictly above is a breach)', () => {
    const b = evaluateThresholds(stats(), { p50Ms: 2, p95Ms: 5, p99Ms: 0.001, maxMs: 100 });
    expect(b).toEqual([
      { code: 'latency-threshold-exceeded', metric: 'p95', limitMs: 5, actualMs: 8 },
      { code: 'latency-threshold-exceeded', metric: 'p99', limitMs: 0.001, actualMs: 20 },
    ]);
    expect(verdict(b)).toBe('p95 > 5ms, p99 > 0.001ms');
  });

  it('judges throughput', () => {
    expect(evaluateThresholds(stats(), { minThroughput: 1000 })).toEqual([
      { code: 'throughput-below-threshold', limitPerSec: 1000, actualPerSec: 500 },
    ]);
    expect(evaluateThresholds(stats(), { minThroughput: 500 })).toEqual([]);
  });

  it('any error is a breach by default; maxErrors tolerates some', () => {
    const s = stats({ ok: 97, errors: 3, errorsByClass: { 'acquire-timeout': 3 } });
    expect(evaluateThresholds(s, {})[0]).toMatchObject({ code: 'errors-during-load', errors: 3, limit: 0 });
    expect(evaluateThresholds(s, { maxErrors: 3 })).toEqual([]);
  });

  it('judges only errors when nothing succeeded', () => {
    const s = stats({ ok: 0, errors: 100, throughputPerSec: 0 });
    expect(evaluateThresholds(s, { p99Ms: 1, minThroughput: 10 }).map((b) => b.code)).toEqual(['errors-during-load']);
  });
});
