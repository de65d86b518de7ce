/**
 * pool-stress load pools and load threads against the real local Postgres: the client-side
 * deadline of a load query (frozen server, through the TCP proxy), the pool opened in a thread
 * from its target, and the sustained phase on 2 threads: merged counts equal the per-thread sum,
 * count and time bounds hold, the server shows the pool's sessions during the phase and none after.
 * No assertion on speed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import poolStress from '../../../checks/pool-stress/index.js';
import { runCheck } from '../../helpers/check-tester.js';
import { PG_DATABASE, PG_HOST, PG_PORT, PG_USER, sessionsNamed } from '../../helpers/stores.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { startPasswordPostgres } from '../../helpers/fault-postgres.js';
import { connectPostgres, type PostgresStore } from '../../../src/stores/postgres/connector.js';
import { openPostgresLoadPool } from '../../../src/load.js';

type Stats = Record<string, any>;

/** Only the sustained phase, on `threads` threads. */
const sustainedOnly = (sustained: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  stores: { redis: false as const, milvus: false as const },
  options: {
    postgres: {
      burst: { enabled: false },
      exhaustion: { enabled: false },
      slow: { enabled: false },
      ...extra,
      sustained: { thresholds: { maxErrors: 0 }, ...sustained },
    },
  },
});

describe('pool-stress load pool: client-side deadline (frozen server behind a stalled proxy)', () => {
  let proxy: TcpProxy;
  let store: PostgresStore;
  beforeAll(async () => {
    proxy = await startTcpProxy(PG_PORT);
    store = await connectPostgres({ host: PG_HOST, port: proxy.port, user: PG_USER, database: PG_DATABASE, deadlineGraceMs: 300 });
  });
  afterAll(async () => {
    proxy.resume();
    await store.close();
    await proxy.close();
  });

  it.each([false, true])(
    'prepare %s: a query on a frozen server fails at statement_timeout + grace, and the pool serves again',
    async (prepare) => {
      const pool = store.reader.createLoadPool({ max: 1, acquireTimeoutMs: 1_000, statementTimeoutMs: 300, prepare });
      try {
        await pool.query('SELECT 1'); // connected before the freeze: the wait is on the query, not the connect
        proxy.stall();
        const t0 = performance.now();
        const err = await pool.query('SELECT 1').then(
          () => undefined,
          (e: unknown) => e,
        );
        const ms = performance.now() - t0;
        proxy.resume();
        expect(String((err as Error)?.message)).toMatch(/no answer from the server within 600 ms/);
        expect(ms).toBeLessThan(600 + 2_000); // ended (generous slack), not a speed claim
        // The frozen connection was destroyed, not handed out again.
        const r = await pool.query('SELECT 2 AS two');
        expect(r.rows[0]).toEqual(prepare ? [2] : { two: 2 });
      } finally {
        proxy.resume();
        await pool.close();
      }
    },
  );
});

describe("pool-stress load pool: the handshake (TLS, credentials) is the store config's", () => {
  const loadTarget = (store: Record<string, unknown>) =>
    ({
      kind: 'postgres-load-target',
      store,
      options: { max: 1, acquireTimeoutMs: 5_000, statementTimeoutMs: 5_000, prepare: true },
    }) as const;
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as Error,
    );

  it('sslmode require against a server without TLS fails the query; it never falls back to plain text', async () => {
    const pool = openPostgresLoadPool(
      loadTarget({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE, sslmode: 'require' }),
    );
    try {
      const err = await failureOf(pool.query('SELECT 1'));
      expect(err?.message).toMatch(/does not support SSL/);
    } finally {
      await pool.close();
    }
  });

  it('a password (scram-sha-256 cluster): the right one opens sessions, a wrong one fails without showing it', async () => {
    const server = await startPasswordPostgres('Right-Load-Pw-5532');
    try {
      const at = { host: '127.0.0.1', port: server.port, user: server.user, database: 'postgres' };
      const right = openPostgresLoadPool(loadTarget({ ...at, password: 'Right-Load-Pw-5532' }));
      try {
        expect((await right.query('SELECT $1::int + 1', [1])).rows).toEqual([[2]]);
      } finally {
        await right.close();
      }
      const wrong = 'Wr0ng-Load-Pw-1187';
      const bad = openPostgresLoadPool(loadTarget({ ...at, password: wrong }));
      try {
        const err = await failureOf(bad.query('SELECT 1'));
        expect(err?.message).toMatch(/password authentication failed/);
        expect(`${err?.message} ${err?.stack}`).not.toContain(wrong);
      } finally {
        await bad.close();
      }
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe('pool-stress load threads', () => {
  it('a parameter that cannot be serialised fails that query alone, and its connection is free again', async () => {
    const pool = openPostgresLoadPool({
      kind: 'postgres-load-target',
      store: { host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE },
      options: { max: 1, acquireTimeoutMs: 1_000, statementTimeoutMs: 5_000, prepare: true },
    });
    try {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expect(pool.query('SELECT $1::jsonb', [circular])).rejects.toThrow(/circular/i);
      // The pool's only connection was given back: the next query gets it within the acquire timeout.
      expect((await pool.query('SELECT $1::int AS n', [5])).rows).toEqual([[5]]);
      expect(pool.stats()).toEqual({ total: 1, idle: 1, waiting: 0 });
    } finally {
      await pool.close();
    }
  });

  it('a pool opened from a target (plain data, as a thread gets it) has the same sessions', async () => {
    const store = await connectPostgres({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE });
    const main = store.reader.createLoadPool({ max: 1, acquireTimeoutMs: 2_000, statementTimeoutMs: 1_234, prepare: true });
    const copy = openPostgresLoadPool(structuredClone(main.target));
    try {
      const r = await copy.query("SELECT current_setting('statement_timeout'), current_setting('transaction_read_only')");
      expect(r.rows[0]).toEqual(['1234ms', 'on']);
      expect(copy.applicationName).toBe(main.applicationName);
    } finally {
      await copy.close();
      await main.close();
      await store.close();
    }
  });

  it('threads: 2 splits clients and connections; merged counts are the sum of the threads; the server holds exactly the pool', async () => {
    const result = await runCheck(
      poolStress,
      sustainedOnly({ workers: 4, duration: '1500ms', maxOps: 10_000_000 }, { poolSize: 4, threads: 2 }),
    );
    expect(result.error).toBeUndefined();
    expect(result.findings).toEqual([]);
    const pg = result.stats.postgres as Stats;
    const s = pg.sustained;
    expect(s.threads).toBe(2);
    expect(s.perThread.map((t: Stats) => [t.clients, t.connections])).toEqual([
      [2, 2],
      [2, 2],
    ]);
    const sum = (k: string) => s.perThread.reduce((n: number, t: Stats) => n + t[k], 0);
    expect(s.ops).toBe(sum('ops'));
    expect(s.ok).toBe(sum('ok'));
    expect(s.count).toBe(s.ok); // the merged latency histogram holds every successful operation
    for (const t of s.perThread) expect(t.ok).toBeGreaterThan(0);
    // Time bound: each thread stopped by the duration, and the phase's clock is within a margin of it.
    expect(s.stoppedBy).toBe('duration');
    expect(s.elapsedMs).toBeLessThanOrEqual(1_500 + 1_000);
    // The server saw the pool's 4 sessions (2 per thread), never more; and none once it closed.
    expect(pg.serverSessionsPeak).toBe(4);
    expect(pg.sessionsAfterClose).toBe(0);
    expect(await sessionsNamed(pg.applicationName)).toBe(0);
  });

  it('threads: 2 share the operation cap exactly (count bound)', async () => {
    const result = await runCheck(poolStress, sustainedOnly({ workers: 3, duration: '60s', maxOps: 301 }, { poolSize: 2, threads: 2 }));
    expect(result.findings).toEqual([]);
    const s = (result.stats.postgres as Stats).sustained;
    expect(s.perThread.map((t: Stats) => t.maxOps)).toEqual([151, 150]);
    expect(s.perThread.map((t: Stats) => t.ops)).toEqual([151, 150]);
    expect(s.ops).toBe(301);
    expect(s.ok).toBe(301);
    expect(s.stoppedBy).toBe('count');
  });
});
