/**
 * The Postgres phases of pool-stress, run on load pools the engine hands out (read-only sessions
 * tagged with this run's application_name): burst, sustained, exhaustion and recovery, slow
 * statements, then a server-side look for sessions left behind.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { CheckContext, PostgresLoadPool, PostgresReader } from '../../src/plugin.js';
import type { PoolStressContext, StorePhaseStats } from './stats.js';
import { classifyLoadError } from './error-class.js';
import { recoverWithin, type Recovery } from './recovery.js';
import { phaseStats, runLoad, type LoadMetrics, type PhaseStats } from './load-runner.js';
import { runLoadInThreads, type ThreadSummary } from './postgres-threads.js';
import { queryOperation } from './postgres-operation.js';
import type { PostgresLoadOptions } from './options.js';
import { evaluateThresholds, verdict, type Breach, type PhaseThresholds } from './thresholds.js';
import { errorLine } from '../../src/plugin.js';

export interface PhaseRow {
  phase: string;
  stats?: PhaseStats;
  verdict: string;
  /** For phases without a latency table (exhaustion, slow): what happened, in a few words. */
  note?: string;
}

/** Time a load thread may take to load its code before opening connections (tsx compiles it from source). */
const THREAD_LOAD_MS = 15_000;
/** The store's default grace past statement_timeout before a query's client-side deadline. */
const DEADLINE_GRACE_MS = 5_000;

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Reports threshold breaches of one phase as findings; returns the verdict for the table. */
export function reportBreaches(
  ctx: CheckContext,
  store: 'postgres' | 'redis' | 'milvus',
  phase: string,
  s: PhaseStats,
  t: PhaseThresholds,
): string {
  const breaches: Breach[] = evaluateThresholds(s, t);
  for (const b of breaches) {
    const { code, ...data } = b;
    ctx.report({
      code,
      subject: { store, object: phase, key: code === 'latency-threshold-exceeded' ? b.metric : undefined },
      data: { store, phase, ...data },
    });
  }
  return verdict(breaches);
}

/** Counts this run's sessions on the server, and remembers the largest count seen. */
class SessionSampler {
  peak = 0;
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  constructor(
    private readonly reader: PostgresReader,
    private readonly applicationName: string,
  ) {}

  async count(): Promise<number> {
    const r = await this.reader.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
      this.applicationName,
    ]);
    const n = r.rows[0]?.n ?? 0;
    if (n > this.peak) this.peak = n;
    return n;
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      this.inFlight ??= this.count().then(
        () => void (this.inFlight = undefined),
        () => void (this.inFlight = undefined),
      );
    }, everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }
}

export async function runPostgresPhases(
  ctx: PoolStressContext,
  pgReader: PostgresReader,
  o: PostgresLoadOptions,
  label: string,
): Promise<PhaseRow[]> {
  const rows: PhaseRow[] = [];
  const stats: StorePhaseStats = { poolSize: o.poolSize };
  ctx.stats.postgres = stats;
  const suffix = `pool-stress-${label}`;
  const pools: PostgresLoadPool[] = [];
  // Prepared statements: the app's ORM prepares its hot queries too, and it keeps the load
  // generator's CPU per query low enough not to be the bottleneck (docs/performance.md).
  const openPool = (statementTimeoutMs: number, max: number) => {
    const p = pgReader.createLoadPool({
      max,
      acquireTimeoutMs: o.acquireTimeout,
      statementTimeoutMs,
      applicationNameSuffix: suffix,
      prepare: true,
    });
    pools.push(p);
    return p;
  };
  let pool = openPool(o.statementTimeout, o.poolSize);
  const sampler = new SessionSampler(pgReader, pool.applicationName);
  stats.applicationName = pool.applicationName;
  const params = o.params as unknown[];
  let clientPeak = 0;
  const watchPool = setInterval(() => {
    for (const p of pools) clientPeak = Math.max(clientPeak, p.stats().total);
  }, 50);

  try {
    sampler.start(250);

    if (o.burst.enabled && !ctx.signal.aborted) {
      ctx.progress({ done: 0, note: `postgres burst: ${o.burst.concurrency} queries at once on a pool of ${o.poolSize}` });
      const m = await runLoad(
        {
          workers: o.burst.concurrency,
          maxOps: o.burst.concurrency,
          durationMs: o.acquireTimeout + o.statementTimeout + 1_000,
          signal: ctx.signal,
        },
        queryOperation(pool, o.query, params),
      );
      const s = phaseStats(m);
      stats.burst = s;
      rows.push({ phase: 'burst', stats: s, verdict: reportBreaches(ctx, 'postgres', 'burst', s, o.burst.thresholds) });
    }

    if (o.sustained.enabled && !ctx.signal.aborted) {
      const { workers, duration, maxOps } = o.sustained;
      const threads = Math.min(o.threads ?? availableParallelism(), workers, o.poolSize, maxOps);
      ctx.progress({
        done: 0,
        note: `postgres sustained: ${workers} workers on ${threads} thread${threads === 1 ? '' : 's'} for ${duration / 1000}s (at most ${maxOps} queries)`,
      });
      let m: LoadMetrics;
      let perThread: ThreadSummary[] | undefined;
      if (threads > 1) {
        // The threads' pools hold the app's pool size between them: this one lets its connections
        // go first (the later phases get a fresh one), so the server sees poolSize sessions, not twice that.
        const { target } = pool;
        await pool.close();
        pool = openPool(o.statementTimeout, o.poolSize);
        ({ metrics: m, threads: perThread } = await runLoadInThreads({
          target,
          threads,
          workers,
          maxOps,
          durationMs: duration,
          query: o.query,
          params,
          sampleEvery: 8,
          // Loading the thread's code, then opening its connections (each bounded by acquireTimeout
          // and the statement deadline: statement_timeout + the store's grace, 5s by default).
          startupTimeoutMs: THREAD_LOAD_MS + o.acquireTimeout + o.statementTimeout + DEADLINE_GRACE_MS,
          finishTimeoutMs: o.acquireTimeout + o.statementTimeout + DEADLINE_GRACE_MS,
          signal: ctx.signal,
        }));
      } else {
        m = await runLoad({ workers, maxOps, durationMs: duration, signal: ctx.signal }, queryOperation(pool, o.query, params, 8));
      }
      const s = phaseStats(m);
      stats.sustained = { ...s, configuredDurationMs: duration, configuredMaxOps: maxOps, threads, perThread };
      rows.push({ phase: 'sustained', stats: s, verdict: reportBreaches(ctx, 'postgres', 'sustained', s, o.sustained.thresholds) });
    }

    if (o.exhaustion.enabled && !ctx.signal.aborted) {
      rows.push(await exhaustionPhase(ctx, pool, o, params, stats));
    }

    if (o.slow.enabled && !ctx.signal.aborted) {
      const slowPool = openPool(o.slow.statementTimeout, o.slow.count);
      rows.push(await slowPhase(ctx, slowPool, o, params, stats));
    }
  } finally {
    clearInterval(watchPool);
    await sampler.stop();
    await Promise.allSettled(pools.map((p) => p.close()));
    stats.clientConnectionsPeak = clientPeak;
    stats.serverSessionsPeak = sampler.peak;
  }

  rows.push(await leakPhase(ctx, sampler, pool.applicationName, o.leakCheckWithin, stats));
  return rows;
}

/**
 * Holds every pooled connection, shows that one more acquire fails within the acquire timeout
 * (rather than hanging), releases, and shows a query succeeds again within `recoveryWithin`.
 */
async function exhaustionPhase(
  ctx: CheckContext,
  pool: PostgresLoadPool,
  o: PostgresLoadOptions,
  params: unknown[],
  stats: Record<string, unknown>,
): Promise<PhaseRow> {
  ctx.progress({ done: 0, note: `postgres exhaustion: holding all ${o.poolSize} connections` });
  const held: Array<{ release(): void }> = [];
  const result: Record<string, unknown> = { held: 0 };
  stats.exhaustion = result;
  const problems: string[] = [];
  try {
    for (let i = 0; i < o.poolSize && !ctx.signal.aborted; i++) held.push(await pool.acquire());
  } catch (err) {
    // The server would not give us the pool's connections: that is a finding in itself.
    result.held = held.length;
    for (const h of held.splice(0)) h.release();
    const message = errorLine(err);
    ctx.report({
      code: 'errors-during-load',
      subject: { store: 'postgres', object: 'exhaustion' },
      data: {
        store: 'postgres',
        phase: 'exhaustion',
        errors: 1,
        ops: Number(result.held) + 1,
        limit: 0,
        errorsByClass: { [classifyLoadError(err)]: 1 },
        sampleErrors: [message],
      },
    });
    return { phase: 'exhaustion', verdict: '1 errors', note: `could only open ${result.held} of ${o.poolSize}: ${message}` };
  }
  result.held = held.length;
  if (ctx.signal.aborted) {
    // Cancelled while filling the pool: an extra acquire now would prove nothing.
    for (const h of held.splice(0)) h.release();
    return { phase: 'exhaustion', verdict: 'cancelled', note: `cancelled after holding ${result.held}` };
  }

  try {
    // One more acquire must fail by itself, within the acquire timeout plus a margin.
    const graceMs = Math.max(1_000, o.acquireTimeout / 2);
    const t0 = performance.now();
    const extra = pool.acquire();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      extra.then(
        (session) => ({ kind: 'acquired' as const, session }),
        (err: unknown) => ({ kind: 'failed' as const, err }),
      ),
      new Promise<{ kind: 'hung' }>((r) => (timer = setTimeout(() => r({ kind: 'hung' }), o.acquireTimeout + graceMs))),
    ]);
    clearTimeout(timer);
    const waitedMs = Math.round(performance.now() - t0);
    result.extraAcquire = outcome.kind;
    result.extraAcquireWaitedMs = waitedMs;
    if (outcome.kind === 'failed') {
      result.extraAcquireErrorClass = classifyLoadError(outcome.err);
      result.extraAcquireError = errorLine(outcome.err);
    } else {
      if (outcome.kind === 'acquired') outcome.session.release();
      // A hung acquire resolves once we release below: hand that connection straight back.
      else
        extra.then(
          (s) => s.release(),
          () => {},
        );
      ctx.report({
        code: 'exhaustion-hang',
        subject: { store: 'postgres', object: 'exhaustion' },
        data: { store: 'postgres', outcome: outcome.kind, waitedMs, acquireTimeoutMs: o.acquireTimeout, poolSize: o.poolSize },
      });
      problems.push(outcome.kind === 'hung' ? `acquire hung > ${waitedMs}ms` : 'acquire got a connection');
    }
  } finally {
    for (const h of held.splice(0)) h.release();
  }

  // Service must come back: the app's query succeeds within recoveryWithin.
  const recovery = await recover(pool, o.query, params, o.exhaustion.recoveryWithin, ctx.signal);
  result.recoveryMs = recovery.ms;
  if (!ctx.signal.aborted && (!recovery.ok || recovery.ms > o.exhaustion.recoveryWithin)) {
    ctx.report({
      code: 'recovery-failed',
      subject: { store: 'postgres', object: 'exhaustion' },
      data: {
        store: 'postgres',
        phase: 'exhaustion',
        recoveredAfterMs: recovery.ok ? recovery.ms : null,
        withinMs: o.exhaustion.recoveryWithin,
        lastError: recovery.lastError,
      },
    });
    problems.push('no recovery');
  }
  const failedAfter =
    result.extraAcquire === 'failed'
      ? `extra acquire failed after ${result.extraAcquireWaitedMs}ms (${result.extraAcquireErrorClass})`
      : `extra acquire ${result.extraAcquire}`;
  const recovered = recovery.ok ? `recovered in ${recovery.ms}ms` : 'did not recover';
  return {
    phase: 'exhaustion',
    verdict: problems.length ? problems.join(', ') : 'pass',
    note: `held ${result.held}; ${failedAfter}; ${recovered}`,
  };
}

/** The app's query succeeds again on the pool within `withinMs`. */
function recover(pool: PostgresLoadPool, sql: string, params: unknown[], withinMs: number, signal: AbortSignal): Promise<Recovery> {
  return recoverWithin(() => pool.query(sql, params), withinMs, signal);
}

/**
 * Launches `count` pg_sleep statements longer than the slow pool's statement_timeout: each must be
 * cancelled by the timeout (SQLSTATE 57014), and the pool must serve the app's query afterwards.
 */
async function slowPhase(
  ctx: CheckContext,
  slowPool: PostgresLoadPool,
  o: PostgresLoadOptions,
  params: unknown[],
  stats: Record<string, unknown>,
): Promise<PhaseRow> {
  const { count, statementTimeout, sleep, recoveryWithin } = o.slow;
  ctx.progress({ done: 0, note: `postgres slow: ${count} x pg_sleep(${sleep / 1000}s) against statement_timeout ${statementTimeout}ms` });
  let cut = 0;
  let completed = 0;
  let otherErrors = 0;
  let cutAfterMaxMs = 0;
  const otherErrorSamples: string[] = [];
  await Promise.all(
    Array.from({ length: count }, async () => {
      const t0 = performance.now();
      try {
        await slowPool.query('SELECT pg_sleep($1::float8)', [sleep / 1000]);
        completed++;
      } catch (err) {
        if (classifyLoadError(err) === 'statement-timeout') {
          cut++;
          cutAfterMaxMs = Math.max(cutAfterMaxMs, performance.now() - t0);
        } else {
          otherErrors++;
          if (otherErrorSamples.length < 3) otherErrorSamples.push(errorLine(err));
        }
      }
    }),
  );
  const recovery = await recover(slowPool, o.query, params, recoveryWithin, ctx.signal);
  const result = {
    launched: count,
    cutByTimeout: cut,
    completed,
    otherErrors,
    cutAfterMaxMs: Math.round(cutAfterMaxMs),
    statementTimeoutMs: statementTimeout,
    sleepMs: sleep,
    recoveryMs: recovery.ms,
  };
  stats.slow = result;

  const problems: string[] = [];
  if (completed > 0) {
    ctx.report({
      code: 'timeout-not-enforced',
      subject: { store: 'postgres', object: 'slow' },
      data: { store: 'postgres', completed, launched: count, statementTimeoutMs: statementTimeout, sleepMs: sleep },
    });
    problems.push(`${completed} not cut`);
  }
  if (otherErrors > 0) {
    ctx.report({
      code: 'errors-during-load',
      subject: { store: 'postgres', object: 'slow' },
      data: {
        store: 'postgres',
        phase: 'slow',
        errors: otherErrors,
        ops: count,
        limit: 0,
        errorsByClass: {},
        sampleErrors: otherErrorSamples,
      },
    });
    problems.push(`${otherErrors} errors`);
  }
  if (!ctx.signal.aborted && (!recovery.ok || recovery.ms > recoveryWithin)) {
    ctx.report({
      code: 'recovery-failed',
      subject: { store: 'postgres', object: 'slow' },
      data: {
        store: 'postgres',
        phase: 'slow',
        recoveredAfterMs: recovery.ok ? recovery.ms : null,
        withinMs: recoveryWithin,
        lastError: recovery.lastError,
      },
    });
    problems.push('no recovery');
  }
  return {
    phase: 'slow',
    verdict: problems.length ? problems.join(', ') : 'pass',
    note: `${cut}/${count} cut by statement_timeout (after <= ${result.cutAfterMaxMs}ms); ${recovery.ok ? `recovered in ${recovery.ms}ms` : 'did not recover'}`,
  };
}

/** After the pools closed, no session of this run may remain on the server. */
async function leakPhase(
  ctx: CheckContext,
  sampler: SessionSampler,
  applicationName: string,
  withinMs: number,
  stats: Record<string, unknown>,
): Promise<PhaseRow> {
  // Backends exit a moment after their client says goodbye: poll briefly before calling it a leak.
  const giveUpAt = performance.now() + withinMs;
  let remaining = await sampler.count();
  while (remaining > 0 && performance.now() < giveUpAt) {
    await sleepMs(100);
    remaining = await sampler.count();
  }
  stats.sessionsAfterClose = remaining;
  if (remaining > 0) {
    ctx.report({
      code: 'leaked-connections',
      subject: { store: 'postgres', object: applicationName },
      data: { store: 'postgres', applicationName, remaining, waitedMs: withinMs },
    });
    return {
      phase: 'leak check',
      verdict: `${remaining} left`,
      note: `${remaining} sessions named ${applicationName} still open after ${withinMs}ms`,
    };
  }
  return { phase: 'leak check', verdict: 'pass', note: 'no session of this run left on the server' };
}
