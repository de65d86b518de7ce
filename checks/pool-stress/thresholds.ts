/**
 * Turns a phase's numbers and its configured thresholds into breaches (each one becomes a finding).
 * Only the thresholds that are set are judged; `maxErrors` defaults to 0 (any error is a breach).
 */
import type { PhaseStats } from './load-runner.js';

export interface PhaseThresholds {
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  /** Successful operations per second, at least. */
  minThroughput?: number;
  /** Failed operations tolerated (default 0). */
  maxErrors?: number;
}

export type Breach =
  | { code: 'latency-threshold-exceeded'; metric: 'p50' | 'p95' | 'p99' | 'max'; limitMs: number; actualMs: number }
  | { code: 'throughput-below-threshold'; limitPerSec: number; actualPerSec: number }
  | {
      code: 'errors-during-load';
      limit: number;
      errors: number;
      ops: number;
      errorsByClass: PhaseStats['errorsByClass'];
      sampleErrors: string[];
    };

const LATENCY_METRICS = [
  ['p50', 'p50Ms'],
  ['p95', 'p95Ms'],
  ['p99', 'p99Ms'],
  ['max', 'maxMs'],
] as const;

export function evaluateThresholds(s: PhaseStats, t: PhaseThresholds): Breach[] {
  const breaches: Breach[] = [];
  const maxErrors = t.maxErrors ?? 0;
  if (s.errors > maxErrors) {
    breaches.push({
      code: 'errors-during-load',
      limit: maxErrors,
      errors: s.errors,
      ops: s.ops,
      errorsByClass: s.errorsByClass,
      sampleErrors: s.sampleErrors,
    });
  }
  // Latency and throughput mean little without successful operations; errors already say so.
  if (s.ok === 0) return breaches;
  for (const [metric, key] of LATENCY_METRICS) {
    const limit = t[key];
    if (limit !== undefined && s[key] > limit)
      breaches.push({ code: 'latency-threshold-exceeded', metric, limitMs: limit, actualMs: s[key] });
  }
  if (t.minThroughput !== undefined && s.throughputPerSec < t.minThroughput) {
    breaches.push({ code: 'throughput-below-threshold', limitPerSec: t.minThroughput, actualPerSec: s.throughputPerSec });
  }
  return breaches;
}

/** A short verdict for the table: "pass", or what failed ("p99 > 50ms, 3 errors"). */
export function verdict(breaches: Breach[]): string {
  if (breaches.length === 0) return 'pass';
  return breaches
    .map((b) =>
      b.code === 'latency-threshold-exceeded'
        ? `${b.metric} > ${b.limitMs}ms`
        : b.code === 'throughput-below-threshold'
          ? `< ${b.limitPerSec}/s`
          : `${b.errors} errors`,
    )
    .join(', ');
}
