/**
 * pool-stress load threads that crash or hang mid-load, against the real local Postgres: the phase
 * ends within its bounds with one error of class 'thread', the healthy thread's work is kept, the
 * process lives on, and the server holds no session of the pool afterwards (the failed thread's
 * connections are closed when it is terminated). The fault is a test-only thread module
 * (test/helpers/faulty-load-thread.ts); the main thread's side is the check's own code.
 */
import { describe, expect, it } from 'vitest';
import { runLoadInThreads } from '../../../checks/pool-stress/postgres-threads.js';
import { connectPostgres } from '../../../src/stores/postgres/connector.js';
import { PG_DATABASE, PG_HOST, PG_PORT, PG_USER, sessionsNamed, uniqueName } from '../../helpers/stores.js';

/** Backends exit a moment after their socket closes: the count that remains after up to `ms`. */
async function sessionsLeftAfter(applicationName: string, ms: number): Promise<number> {
  const giveUpAt = Date.now() + ms;
  let n = await sessionsNamed(applicationName);
  while (n > 0 && Date.now() < giveUpAt) {
    await new Promise((r) => setTimeout(r, 100));
    n = await sessionsNamed(applicationName);
  }
  return n;
}

describe('pool-stress load threads that fail mid-load', () => {
  it.each([
    { fault: 'crash', does: 'throws an uncaught error' },
    { fault: 'hang', does: 'blocks its event loop' },
  ])('a thread that $does mid-load: one error of class thread, bounded in time, no session left', async ({ fault }) => {
    const store = await connectPostgres({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE });
    const main = store.reader.createLoadPool({
      max: 4,
      acquireTimeoutMs: 2_000,
      statementTimeoutMs: 2_000,
      prepare: true,
      applicationNameSuffix: uniqueName(`pg-pipeline-${fault}`),
    });
    const { target, applicationName } = main;
    await main.close();
    const durationMs = 1_000;
    const finishTimeoutMs = 1_500;
    try {
      const t0 = performance.now();
      const { metrics, threads } = await runLoadInThreads({
        target,
        threads: 2,
        workers: 4,
        maxOps: 10_000_000,
        durationMs,
        query: 'SELECT $1::int AS n',
        params: [7],
        sampleEvery: 8,
        startupTimeoutMs: 20_000,
        finishTimeoutMs,
        signal: new AbortController().signal,
        threadModule: new URL(`../../helpers/faulty-load-thread.ts?fault=${fault}`, import.meta.url),
      });
      const ms = performance.now() - t0;

      expect(metrics.errorsByClass).toEqual({ thread: 1 });
      expect(metrics.errors).toBe(1);
      expect(metrics.sampleErrors[0]).toMatch(
        fault === 'crash'
          ? /^thread: load thread crashed: load thread fault: crash$/
          : /^thread: load thread did not finish within 2500 ms$/,
      );
      expect(threads[0].failed).toBeDefined();
      expect(threads[0].ops).toBe(0);
      // The healthy thread's operations are kept and counted.
      expect(threads[1].failed).toBeUndefined();
      expect(threads[1].ok).toBeGreaterThan(0);
      expect(metrics.ok).toBe(threads[1].ok);
      // Ended by the phase's bounds (start-up aside, which is loading code): duration + finish
      // timeout + the exit grace, with slack; not a speed claim. The hanging thread was terminated.
      expect(ms).toBeLessThan(20_000 + durationMs + finishTimeoutMs + 2_000 + 3_000);
      expect(await sessionsLeftAfter(applicationName, 3_000)).toBe(0);
    } finally {
      await store.close();
    }
  });
});
