/**
 * The load operation of the Postgres phases: the app's query on a load pool. Shared by the phases
 * run on the main thread and by the load threads (postgres-load-thread.ts).
 */
import { performance } from 'node:perf_hooks';
import type { PostgresLoadPool } from '../../src/load.js';
import type { LoadOperation } from './load-runner.js';

/**
 * One operation of the app's query on the pool. Every `sampleEvery`-th operation takes the
 * connection explicitly (acquire, query, release) to time the wait for a free connection; the
 * others use the pool's own query path, which costs the client ~12% less CPU per operation and so
 * keeps the load generator from becoming the bottleneck. Percentiles of a 1-in-8 sample are as
 * good as of all, for the thousands of operations a sustained phase runs.
 */
export function queryOperation(pool: PostgresLoadPool, sql: string, params: unknown[], sampleEvery = 1): LoadOperation {
  let n = 0;
  return async () => {
    if (++n % sampleEvery !== 0) {
      await pool.query(sql, params);
      return;
    }
    const t0 = performance.now();
    const session = await pool.acquire();
    const waited = performance.now() - t0;
    try {
      await session.query(sql, params);
    } finally {
      session.release();
    }
    return waited;
  };
}
