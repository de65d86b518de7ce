/**
 * The bounded load loop every phase uses: `workers` concurrent loops each running `op` until one of
 * the bounds is hit (op count, duration, abort). Pure: the operation is injected, so this file knows
 * nothing about Postgres or Redis.
 *
 * Per operation the runner does a clock read, a counter bump and a histogram record — no
 * allocation — so that the load generator stays cheap next to the server it loads.
 */
import { performance } from 'node:perf_hooks';
import { LatencyHistogram, type HistogramSnapshot, type LatencySummary } from '../lib/histogram.js';
import { classifyLoadError, type LoadErrorClass } from './error-class.js';
import { errorLine } from '../../src/plugin.js';

/**
 * One operation. Resolves to the time (ms) it waited for a pooled connection, when it knows it;
 * rejects when the operation failed (the runner counts and classifies the error, and goes on).
 */
export type LoadOperation = (workerIndex: number) => Promise<number | void>;

export interface LoadBounds {
  /** Concurrent loops. */
  workers: number;
  /** Hard cap on operations started. */
  maxOps: number;
  /** No operation starts after this many ms (the ones in flight finish). */
  durationMs: number;
  signal?: AbortSignal;
}

export type StopReason = 'count' | 'duration' | 'aborted';

export interface LoadMetrics {
  /** Operations started (always <= maxOps). */
  ops: number;
  ok: number;
  errors: number;
  errorsByClass: Partial<Record<LoadErrorClass, number>>;
  /** Up to three distinct error messages, to show what went wrong. */
  sampleErrors: string[];
  latency: LatencyHistogram;
  /** Time spent waiting for a pooled connection (only for operations that report it). */
  acquireWait: LatencyHistogram;
  elapsedMs: number;
  stoppedBy: StopReason;
}

/** Metrics of a loop that has not run yet: every count zero, empty histograms. */
function emptyMetrics(): LoadMetrics {
  return {
    ops: 0,
    ok: 0,
    errors: 0,
    errorsByClass: {},
    sampleErrors: [],
    latency: new LatencyHistogram(),
    acquireWait: new LatencyHistogram(),
    elapsedMs: 0,
    stoppedBy: 'count',
  };
}

export async function runLoad(bounds: LoadBounds, op: LoadOperation): Promise<LoadMetrics> {
  const { workers, maxOps, durationMs, signal } = bounds;
  const m = emptyMetrics();
  const started = performance.now();
  const deadline = started + durationMs;
  let stop: StopReason | undefined;

  const worker = async (index: number) => {
    for (;;) {
      if (stop) return;
      if (signal?.aborted) return void (stop = 'aborted');
      if (m.ops >= maxOps) return void (stop = 'count');
      const t0 = performance.now();
      if (t0 >= deadline) return void (stop = 'duration');
      m.ops++;
      try {
        const waited = await op(index);
        m.latency.record(performance.now() - t0);
        if (typeof waited === 'number') m.acquireWait.record(waited);
        m.ok++;
      } catch (err) {
        m.errors++;
        const cls = classifyLoadError(err);
        m.errorsByClass[cls] = (m.errorsByClass[cls] ?? 0) + 1;
        const msg = `${cls}: ${errorLine(err)}`;
        if (m.sampleErrors.length < 3 && !m.sampleErrors.includes(msg)) m.sampleErrors.push(msg);
      }
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, workers) }, (_, i) => worker(i)));
  m.elapsedMs = performance.now() - started;
  m.stoppedBy = stop ?? 'count';
  return m;
}

/** LoadMetrics as plain data, for a load thread to post back to the main thread. */
export type LoadMetricsWire = Omit<LoadMetrics, 'latency' | 'acquireWait'> & { latency: HistogramSnapshot; acquireWait: HistogramSnapshot };

export function metricsToWire(m: LoadMetrics): LoadMetricsWire {
  return { ...m, latency: m.latency.snapshot(), acquireWait: m.acquireWait.snapshot() };
}

/**
 * The metrics of loops that ran side by side (threads), as one: counts add, histograms merge
 * exactly, the wall time is the longest part's. Stopped by 'aborted' if any part was, else by
 * 'duration' if any part ran out of time, else by 'count'.
 */
export function mergeLoadMetrics(parts: ReadonlyArray<LoadMetrics | LoadMetricsWire>): LoadMetrics {
  const m = emptyMetrics();
  for (const p of parts) {
    m.ops += p.ops;
    m.ok += p.ok;
    m.errors += p.errors;
    for (const [cls, n] of Object.entries(p.errorsByClass) as Array<[LoadErrorClass, number]>) {
      m.errorsByClass[cls] = (m.errorsByClass[cls] ?? 0) + n;
    }
    for (const e of p.sampleErrors) if (m.sampleErrors.length < 3 && !m.sampleErrors.includes(e)) m.sampleErrors.push(e);
    m.latency.merge(p.latency);
    m.acquireWait.merge(p.acquireWait);
    m.elapsedMs = Math.max(m.elapsedMs, p.elapsedMs);
    if (p.stoppedBy === 'aborted' || (p.stoppedBy === 'duration' && m.stoppedBy === 'count')) m.stoppedBy = p.stoppedBy;
  }
  return m;
}

/** What a phase reports: plain numbers for ctx.stats, JSON and the table. */
export interface PhaseStats extends LatencySummary {
  ops: number;
  ok: number;
  errors: number;
  errorsByClass: Partial<Record<LoadErrorClass, number>>;
  sampleErrors: string[];
  /** Successful operations per second over the phase's wall time. */
  throughputPerSec: number;
  acquireWaitP95Ms: number;
  acquireWaitMaxMs: number;
  elapsedMs: number;
  stoppedBy: StopReason;
}

export function phaseStats(m: LoadMetrics): PhaseStats {
  const secs = m.elapsedMs / 1000;
  return {
    ops: m.ops,
    ok: m.ok,
    errors: m.errors,
    errorsByClass: m.errorsByClass,
    sampleErrors: m.sampleErrors,
    throughputPerSec: secs > 0 ? Math.round((m.ok / secs) * 10) / 10 : 0,
    ...m.latency.summary(),
    acquireWaitP95Ms: Math.round(m.acquireWait.percentile(95) * 1000) / 1000,
    acquireWaitMaxMs: Math.round(m.acquireWait.max * 1000) / 1000,
    elapsedMs: Math.round(m.elapsedMs),
    stoppedBy: m.stoppedBy,
  };
}
