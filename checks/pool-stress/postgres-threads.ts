/**
 * Runs the Postgres sustained load on several threads, as `pgbench -j` does, so that one dbcheck
 * can push what an app fleet pushes: one Node thread tops out at one core of client CPU.
 *
 * The clients, the pool's connections and the operation cap are split across the threads (the
 * totals stay what the options say); each thread opens its own load pool from the main pool's
 * target (public 'dbcheck/load' entry), and the histograms merge exactly. Every thread obeys the
 * phase's bounds; on top of that the main thread holds a hard deadline: a thread that fails to
 * start, crashes, or does not report within the duration plus the statement deadline is
 * terminated and counted as an error of the phase (class 'thread'), never waited for.
 */
import { Worker } from 'node:worker_threads';
import type { PostgresLoadTarget } from '../../src/load.js';
import { mergeLoadMetrics, type LoadMetrics, type LoadMetricsWire } from './load-runner.js';
import { LatencyHistogram } from '../lib/histogram.js';
import type { LoadThreadData, LoadThreadMessage } from './postgres-load-thread.js';

export interface ThreadedLoadPlan {
  /** The main load pool's target: each thread opens the like of it with its share of `max`. */
  target: PostgresLoadTarget;
  threads: number;
  /** Total concurrent loops, split across threads. */
  workers: number;
  /** Total operation cap, split across threads. */
  maxOps: number;
  durationMs: number;
  query: string;
  params: unknown[];
  sampleEvery: number;
  /** How long a thread may take to load and open its connections before the load starts. */
  startupTimeoutMs: number;
  /** Past the duration, how long the operations in flight may take (the statement deadline). */
  finishTimeoutMs: number;
  signal: AbortSignal;
  /** The module each thread runs: postgres-load-thread's by default (tests pass one that crashes or hangs). */
  threadModule?: URL;
}

/** One thread's share and outcome, for the stats. */
export interface ThreadSummary {
  thread: number;
  clients: number;
  connections: number;
  maxOps: number;
  ops: number;
  ok: number;
  errors: number;
  elapsedMs: number;
  stoppedBy: string;
  /** Why the thread's load did not complete, if it did not. */
  failed?: string;
}

/** How long a thread that reported may take to close its pool and exit before it is terminated. */
const EXIT_GRACE_MS = 2_000;

/** Splits total into n whole shares that add up to total exactly (the first ones get the remainder). */
export function splitEvenly(total: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** The thread module next to this file: .js when running from dist/, .ts under tsx or vitest. */
function spawnLoadThread(data: LoadThreadData, module?: URL): Worker {
  const self = import.meta.url;
  const fromSource = self.endsWith('.ts');
  const entry = module ?? new URL(fromSource ? './postgres-load-thread.ts' : './postgres-load-thread.js', self);
  if (!/\.ts$/.test(entry.pathname)) return new Worker(entry, { workerData: data });
  // From source, the thread needs the TypeScript loader too: register tsx in the thread, then
  // import the module (a worker's execArgv cannot carry tsx's loader on Node 20).
  const code = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: data });
}

export async function runLoadInThreads(plan: ThreadedLoadPlan): Promise<{ metrics: LoadMetrics; threads: ThreadSummary[] }> {
  const clients = splitEvenly(plan.workers, plan.threads);
  const connections = splitEvenly(plan.target.options.max, plan.threads);
  const caps = splitEvenly(plan.maxOps, plan.threads);
  const results: Array<LoadMetricsWire | undefined> = [];
  const failures: Array<string | undefined> = [];
  const failedBeforeCleanup: Array<string | undefined> = [];

  const threads = clients.map((n, i) => {
    const worker = spawnLoadThread(
      {
        thread: i + 1,
        target: { ...plan.target, options: { ...plan.target.options, max: connections[i] } },
        clients: n,
        maxOps: caps[i],
        durationMs: plan.durationMs,
        query: plan.query,
        params: plan.params,
        sampleEvery: plan.sampleEvery,
      },
      plan.threadModule,
    );
    let ready!: () => void;
    let finished!: () => void;
    let exited!: () => void;
    const state = {
      worker,
      ready: new Promise<void>((r) => (ready = r)),
      finished: new Promise<void>((r) => (finished = r)),
      exited: new Promise<void>((r) => (exited = r)),
    };
    const fail = (why: string) => {
      failures[i] ??= why;
      ready();
      finished();
    };
    worker.on('message', (m: LoadThreadMessage) => {
      if (m.type === 'ready') ready();
      else if (m.type === 'done') {
        results[i] = m.metrics;
        ready();
        finished();
      } else fail(m.error);
    });
    worker.on('error', (err) => fail(`crashed: ${String(err?.message ?? err).split('\n')[0]}`));
    worker.on('exit', (code) => {
      fail(`exited (code ${code}) without reporting`);
      exited();
    });
    return state;
  });

  // Abort: every thread stops starting operations, reports what it did, and closes its pool.
  const stopAll = () => {
    for (const t of threads) t.worker.postMessage({ type: 'stop' });
  };
  plan.signal.addEventListener('abort', stopAll, { once: true });
  try {
    // An abort during start-up ends the wait at once: no load has started, the threads are terminated below.
    const readyInTime = await settleWithin(
      threads.map((t) => t.ready),
      plan.startupTimeoutMs,
      plan.signal,
    );
    if (!plan.signal.aborted) {
      readyInTime.forEach((ok, i) => {
        if (!ok) failures[i] ??= `did not start within ${plan.startupTimeoutMs} ms`;
      });
      for (const [i, t] of threads.entries()) if (!failures[i]) t.worker.postMessage({ type: 'go' });
      const finishBy = plan.durationMs + plan.finishTimeoutMs;
      const doneInTime = await settleWithin(
        threads.map((t) => t.finished),
        finishBy,
      );
      doneInTime.forEach((ok, i) => {
        if (!ok) failures[i] ??= `did not finish within ${finishBy} ms`;
      });
    }
  } finally {
    plan.signal.removeEventListener('abort', stopAll);
    // Failures as they stand: terminating a thread below makes it exit "without reporting" too.
    for (const [i, f] of failures.entries()) failedBeforeCleanup[i] = f;
    // A thread that reported closes its pool and exits by itself (given a moment); any other is
    // terminated at once, which closes its sockets.
    const exited = await settleWithin(
      threads.map((t, i) => (results[i] ? t.exited : Promise.resolve())),
      EXIT_GRACE_MS,
    );
    await Promise.all(threads.map((t, i) => (results[i] && exited[i] ? undefined : t.worker.terminate())));
  }

  // Cancelled before it reported: no operations, stopped by the abort (not a failure of the thread).
  const parts = threads.map(
    (_t, i) =>
      results[i] ?? (failedBeforeCleanup[i] || !plan.signal.aborted ? failedPart(failedBeforeCleanup[i] ?? 'no report') : abortedPart()),
  );
  const summaries = parts.map((p, i) => ({
    thread: i + 1,
    clients: clients[i],
    connections: connections[i],
    maxOps: caps[i],
    ops: p.ops,
    ok: p.ok,
    errors: p.errors,
    elapsedMs: Math.round(p.elapsedMs),
    stoppedBy: p.stoppedBy,
    ...(failedBeforeCleanup[i] && !results[i] ? { failed: failedBeforeCleanup[i] } : {}),
  }));
  return { metrics: mergeLoadMetrics(parts), threads: summaries };
}

/** Waits for the promises, at most ms (and not past an abort); tells which of them settled in time. */
async function settleWithin(promises: Array<Promise<void>>, ms: number, signal?: AbortSignal): Promise<boolean[]> {
  const settled = promises.map(() => false);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  await Promise.race([
    Promise.all(promises.map((p, i) => p.then(() => void (settled[i] = true)))),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
      onAbort = () => r();
      if (signal?.aborted) r();
      else signal?.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  clearTimeout(timer);
  if (onAbort) signal?.removeEventListener('abort', onAbort);
  return settled;
}

function abortedPart(): LoadMetrics {
  return { ...failedPart(''), errors: 0, errorsByClass: {}, sampleErrors: [], stoppedBy: 'aborted' };
}

/** A thread that never reported: one error of class 'thread', no operations. */
function failedPart(why: string): LoadMetrics {
  return {
    ops: 0,
    ok: 0,
    errors: 1,
    errorsByClass: { thread: 1 },
    sampleErrors: [`thread: load thread ${why}`],
    latency: new LatencyHistogram(),
    acquireWait: new LatencyHistogram(),
    elapsedMs: 0,
    stoppedBy: 'count',
  };
}
