/**
 * pool-stress against the real local Postgres and Redis. Loads are kept to a second or two, pools
 * small (the test server has max_connections 100 shared with other tests running in parallel),
 * and pass-case thresholds generous.
 */
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { DataType } from '@zilliz/milvus2-sdk-node';
import poolStress from '../../../checks/pool-stress/index.js';
import { runCheck } from '../../helpers/check-tester.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import {
  createMilvusCollection,
  createMilvusCollectionName,
  PG_DATABASE,
  PG_HOST,
  PG_PORT,
  PG_USER,
  pgAdmin,
  sessionsNamed,
  testStoresConfig,
  uniqueName,
} from '../../helpers/stores.js';
import { connectPostgres } from '../../../src/stores/postgres/connector.js';
import { startRedisServer } from '../../helpers/redis-server.js';
import { Redis } from 'ioredis';

/** Every phase off: tests switch on only what they exercise. */
const quiet = {
  postgres: { burst: { enabled: false }, sustained: { enabled: false }, exhaustion: { enabled: false }, slow: { enabled: false } },
  redis: { burst: { enabled: false }, sustained: { enabled: false } },
};

type Stats = Record<string, any>;

describe('pool-stress', () => {
  it('load pools with prepare send named statements that the server keeps per session (array rows)', async () => {
    const store = await connectPostgres({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE });
    const sql = 'SELECT $1::int + 1 AS next';
    const preparedIn = async (prepare: boolean) => {
      const pool = store.reader.createLoadPool({ max: 1, acquireTimeoutMs: 2_000, statementTimeoutMs: 5_000, prepare });
      try {
        const session = await pool.acquire();
        try {
          const r = await session.query(sql, [41]);
          const again = await session.query(sql, [1]);
          // Asked on the same connection: pg_prepared_statements lists that session's statements only.
          const held = await session.query('SELECT statement FROM pg_prepared_statements WHERE statement = $1', [sql]);
          return { first: r.rows[0], again: again.rows[0], held: held.rowCount };
        } finally {
          session.release();
        }
      } finally {
        await pool.close();
      }
    };
    try {
      const prepared = await preparedIn(true);
      expect(prepared.held).toBe(1);
      expect(prepared.first).toEqual([42]);
      expect(prepared.again).toEqual([2]);
      const unprepared = await preparedIn(false);
      expect(unprepared.held).toBe(0);
      expect(unprepared.first).toEqual({ next: 42 });
    } finally {
      await store.close();
    }
  });

  it('runs every phase within generous thresholds, within its bounds, and leaves no session behind', async () => {
    const result = await runCheck(poolStress, {
      options: {
        postgres: {
          poolSize: 5,
          acquireTimeout: '300ms',
          statementTimeout: '5s',
          burst: { concurrency: 25, thresholds: { p99: '5s' } },
          sustained: { workers: 4, duration: '1s', maxOps: 100_000, thresholds: { p99: '5s', minThroughput: 1 } },
          exhaustion: { recoveryWithin: '3s' },
          slow: { statementTimeout: '100ms', sleep: '2s', count: 2, recoveryWithin: '3s' },
        },
        redis: {
          connections: 2,
          burst: { concurrency: 25, thresholds: { p99: '5s' } },
          sustained: { workers: 4, duration: '1s', maxOps: 100_000, thresholds: { p99: '5s' } },
        },
      },
    });
    expect(result.error).toBeUndefined();
    expect(result.findings).toEqual([]);
    expect(result.status).toBe('pass');
    const pg = result.stats.postgres as Stats;

    // burst: 25 at once on a pool of 5, all served.
    expect(pg.burst.ops).toBe(25);
    expect(pg.burst.ok).toBe(25);
    expect(pg.burst.errors).toBe(0);
    expect(pg.burst.p99Ms).toBeGreaterThan(0);
    expect(pg.burst.p50Ms).toBeLessThanOrEqual(pg.burst.p99Ms);

    // sustained: stopped by its duration, with its own clock within a small margin of it.
    expect(pg.sustained.ok).toBeGreaterThan(0);
    expect(pg.sustained.stoppedBy).toBe('duration');
    expect(pg.sustained.elapsedMs).toBeLessThanOrEqual(1_000 + 1_000);
    expect(pg.sustained.throughputPerSec).toBeGreaterThan(0);

    // exhaustion: the extra acquire failed by itself with the pool's timeout error, then recovery.
    expect(pg.exhaustion.held).toBe(5);
    expect(pg.exhaustion.extraAcquire).toBe('failed');
    expect(pg.exhaustion.extraAcquireErrorClass).toBe('acquire-timeout');
    expect(pg.exhaustion.extraAcquireError).toMatch(/timeout/i);
    expect(pg.exhaustion.recoveryMs).toBeGreaterThan(0);

    // slow: both pg_sleep(2s) cut by the 100ms statement_timeout, pool serves again afterwards.
    expect(pg.slow.cutByTimeout).toBe(2);
    expect(pg.slow.completed).toBe(0);
    expect(pg.slow.recoveryMs).toBeGreaterThan(0);

    // Never more connections than configured (client-side pool count and server-side sessions).
    expect(pg.clientConnectionsPeak).toBeGreaterThan(0);
    expect(pg.clientConnectionsPeak).toBeLessThanOrEqual(5);
    // The server may see both pools at once: the app pool's idle connections (5) while the slow
    // phase's own pool (slow.count = 2) runs.
    expect(pg.serverSessionsPeak).toBeLessThanOrEqual(5 + 2);

    // Nothing left on the server, by the check's own count and by ours.
    expect(pg.sessionsAfterClose).toBe(0);
    expect(pg.applicationName).toMatch(/^dbcheck-pool-stress-/);
    expect(await sessionsNamed(pg.applicationName)).toBe(0);

    const redis = result.stats.redis as Stats;
    expect(redis.connectionsOpened).toBe(2);
    expect(redis.burst.ok).toBe(25);
    expect(redis.sustained.ok).toBeGreaterThan(0);
    expect(redis.sustained.stoppedBy).toBe('duration');
    expect(redis.sustained.elapsedMs).toBeLessThanOrEqual(1_000 + 1_000);

    // One table per store, one row per phase.
    const titles = (result.sections ?? []).map((s) => s.title);
    expect(titles).toEqual(['Postgres load (pool of 5)', 'Postgres pool behaviour', 'Redis load (2 connections)']);
    expect(result.sections![0].rows.map((r) => r[0])).toEqual(['burst', 'sustained']);
    expect(result.sections![0].rows.map((r) => r.at(-1))).toEqual(['pass', 'pass']);
    expect(result.sections![1].rows.map((r) => [r[0], r[1]])).toEqual([
      ['exhaustion', 'pass'],
      ['slow', 'pass'],
      ['leak check', 'pass'],
    ]);
  });

  it('stops a sustained run at its operation cap', async () => {
    const result = await runCheck(poolStress, {
      options: {
        postgres: { ...quiet.postgres, poolSize: 3, sustained: { workers: 3, duration: '30s', maxOps: 60 } },
        redis: { ...quiet.redis, connections: 1, sustained: { workers: 3, duration: '30s', maxOps: 60 } },
      },
    });
    expect(result.status).toBe('pass');
    const pg = (result.stats.postgres as Stats).sustained;
    expect(pg.ops).toBe(60);
    expect(pg.ok).toBe(60);
    expect(pg.stoppedBy).toBe('count');
    expect(pg.configuredMaxOps).toBe(60);
    const redis = (result.stats.redis as Stats).sustained;
    expect(redis.ops).toBe(60);
    expect(redis.stoppedBy).toBe('count');
    expect((result.stats.postgres as Stats).clientConnectionsPeak).toBeLessThanOrEqual(3);
  });

  it('reports a latency threshold nobody can meet, and a throughput nobody can reach', async () => {
    const result = await runCheck(poolStress, {
      options: {
        postgres: { ...quiet.postgres, poolSize: 3, burst: { concurrency: 25, thresholds: { p99: 0.001, minThroughput: 1e9 } } },
        redis: { ...quiet.redis, connections: 1, burst: { concurrency: 25, thresholds: { p99: 0.001 } } },
      },
    });
    expect(result.status).toBe('fail');
    expect(result.countsByCode['latency-threshold-exceeded']).toBe(2);
    expect(result.countsByCode['throughput-below-threshold']).toBe(1);
    const pgLatency = result.findings.find((f) => f.code === 'latency-threshold-exceeded' && f.subject?.store === 'postgres')!;
    expect(pgLatency.data).toMatchObject({ phase: 'burst', metric: 'p99', limitMs: 0.001 });
    expect(pgLatency.data!.actualMs as number).toBeGreaterThan(0.001);
    expect(pgLatency.message).toMatch(/postgres burst: p99 latency .*ms is above the threshold of 0\.001ms/);
    expect(result.sections![0].rows[0].at(-1)).toMatch(/p99 > 0\.001ms/);
  });

  it('reports errors under load, and a service that does not recover, when the query fails', async () => {
    const result = await runCheck(poolStress, {
      options: {
        redis: { enabled: false },
        postgres: {
          ...quiet.postgres,
          poolSize: 2,
          query: 'SELECT * FROM dbcheck_pool_stress_no_such_table',
          burst: { concurrency: 5 },
          exhaustion: { enabled: true, recoveryWithin: '200ms' },
          acquireTimeout: '200ms',
        },
      },
    });
    expect(result.status).toBe('fail');
    const load = result.findings.find((f) => f.code === 'errors-during-load')!;
    expect(load.data).toMatchObject({ store: 'postgres', phase: 'burst', errors: 5, ops: 5, errorsByClass: { server: 5 } });
    expect(load.message).toMatch(/5 of 5 operations failed/);
    const recovery = result.findings.find((f) => f.code === 'recovery-failed')!;
    expect(recovery.data).toMatchObject({ phase: 'exhaustion', recoveredAfterMs: null, withinMs: 200 });
    expect(recovery.data!.lastError).toMatch(/does not exist/);
  });

  it('reports a pool without an acquire timeout: the extra acquire hangs', async () => {
    const result = await runCheck(poolStress, {
      options: {
        redis: { enabled: false },
        // acquireTimeout 0 means "wait forever" to pg's pool: exactly the misconfiguration to catch.
        postgres: { ...quiet.postgres, poolSize: 2, acquireTimeout: 0, exhaustion: { enabled: true } },
      },
    });
    expect(result.countsByCode['exhaustion-hang']).toBe(1);
    const f = result.findings.find((x) => x.code === 'exhaustion-hang')!;
    expect(f.data).toMatchObject({ outcome: 'hung', poolSize: 2, acquireTimeoutMs: 0 });
    // The hung acquire was handed back and everything closed.
    expect((result.stats.postgres as Stats).sessionsAfterClose).toBe(0);
    expect(result.countsByCode['recovery-failed'] ?? 0).toBe(0);
  });

  it('reports statements that statement_timeout does not cut (timeout disabled)', async () => {
    const result = await runCheck(poolStress, {
      options: {
        redis: { enabled: false },
        postgres: { ...quiet.postgres, poolSize: 2, slow: { enabled: true, statementTimeout: 0, sleep: '300ms', count: 2 } },
      },
    });
    expect(result.countsByCode['timeout-not-enforced']).toBe(1);
    const f = result.findings.find((x) => x.code === 'timeout-not-enforced')!;
    expect(f.data).toMatchObject({ completed: 2, launched: 2, statementTimeoutMs: 0 });
    expect((result.stats.postgres as Stats).slow.cutByTimeout).toBe(0);
  });

  it('reports sessions of the run still open after it ends', async () => {
    const label = uniqueName('leak').replace(/^leak_/, 'lk');
    const applicationName = `dbcheck-pool-stress-${label}`;
    // A session under this run's name that the check did not close: a leak as the server sees it.
    const straggler = await pgAdmin();
    await straggler.query(`SET application_name = '${applicationName}'`);
    try {
      const result = await runCheck(poolStress, {
        // leakCheckWithin waits for the check's own sessions to leave; the straggler never does.
        options: {
          label,
          redis: { enabled: false },
          postgres: { ...quiet.postgres, poolSize: 2, burst: { concurrency: 3 }, leakCheckWithin: '2s' },
        },
      });
      expect(result.countsByCode['leaked-connections']).toBe(1);
      const f = result.findings.find((x) => x.code === 'leaked-connections')!;
      expect(f.data).toMatchObject({ applicationName, remaining: 1 });
      expect(f.message).toContain(applicationName);
    } finally {
      await straggler.end();
    }
  });

  it('reports a fleet whose full pools exceed max_connections and maxclients', async () => {
    const admin = await pgAdmin();
    const settings = await admin.query(
      "SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS su, coalesce(current_setting('reserved_connections', true), '0')::int AS r",
    );
    await admin.end();
    const { max, su, r } = settings.rows[0];
    const result = await runCheck(poolStress, {
      options: {
        ...quiet,
        fleet: {
          postgres: { instances: 20, poolSize: max, otherClients: 5 },
          redis: { instances: 1_000, connectionsPerInstance: 50, otherClients: 0 },
        },
      },
    });
    expect(result.countsByCode['fleet-exceeds-capacity']).toBe(2);
    const pg = result.findings.find((f) => f.code === 'fleet-exceeds-capacity' && f.subject?.store === 'postgres')!;
    expect(pg.data).toMatchObject({ demand: 20 * max + 5, capacity: max - su - r, maxConnections: max, instances: 20, exceeds: true });
    expect(pg.message).toContain(`needs ${20 * max + 5} connections`);
    const redis = result.findings.find((f) => f.code === 'fleet-exceeds-capacity' && f.subject?.store === 'redis')!;
    expect(redis.data).toMatchObject({ demand: 50_000, exceeds: true });
    expect(result.sections![0].title).toBe('Fleet headroom');
  });

  it('passes a fleet that fits', async () => {
    const result = await runCheck(poolStress, {
      options: { ...quiet, fleet: { postgres: { instances: 2, poolSize: 5, otherClients: 0 } } },
    });
    expect(result.countsByCode['fleet-exceeds-capacity'] ?? 0).toBe(0);
    expect(result.stats.fleetPostgres).toMatchObject({ demand: 10, exceeds: false });
  });

  it('stops promptly when cancelled and still closes every connection', async () => {
    const controller = new AbortController();
    const label = uniqueName('ab').replace(/^ab_/, 'ab');
    setTimeout(() => controller.abort('SIGINT'), 500);
    const result = await runCheck(poolStress, {
      signal: controller.signal,
      // Postgres alone: connecting the other stores would eat into the 500ms before the abort.
      stores: { redis: false, milvus: false },
      options: {
        label,
        redis: { enabled: false },
        postgres: { ...quiet.postgres, poolSize: 2, sustained: { workers: 2, duration: '60s' } },
      },
    });
    expect(result.partial).toBe(true);
    const sustained = (result.stats.postgres as Stats).sustained;
    expect(sustained.stoppedBy).toBe('aborted');
    expect(sustained.elapsedMs).toBeLessThan(60_000);
    expect(await sessionsNamed(`dbcheck-pool-stress-${label}`)).toBe(0);
  });

  it('loads whichever store is up when the other is configured but down', async () => {
    const result = await runCheck(poolStress, {
      stores: { postgres: { host: '127.0.0.1', port: 1, user: 'postgres', database: 'postgres', connectTimeout: '2s' } },
      options: { redis: { ...quiet.redis, connections: 1, burst: { concurrency: 25 } } },
    });
    expect(result.status).toBe('pass');
    expect(result.stats.postgres).toBeUndefined();
    expect((result.stats.redis as Stats).burst.ok).toBe(25);
    expect(result.sections!.map((s) => s.title)).toEqual(['Redis load (1 connection)']);
  });

  it('through the CLI: opt-in (skipped unless enabled or named), and a breach exits 1', async () => {
    const { postgres, redis } = testStoresConfig();
    const config = (poolStressSection: Record<string, unknown>) =>
      JSON.stringify({ stores: { postgres, redis }, checks: { 'pool-stress': poolStressSection } });
    const breach = {
      postgres: { ...quiet.postgres, poolSize: 2, burst: { concurrency: 25, thresholds: { p99: 0.001 } } },
      redis: { enabled: false },
    };

    const notEnabled = await runCli(['audit', '--config', 'dbcheck.json', '--format', 'json'], {
      cwd: tempDir({ 'dbcheck.json': config(breach) }),
    });
    const skipped = JSON.parse(notEnabled.stdout).checks.find((c: { id: string }) => c.id === 'pool-stress');
    expect(skipped.status).toBe('skipped');
    expect(skipped.skipReason).toMatch(/opt-in/);

    const named = await runCli(['audit', '--config', 'dbcheck.json', '--only', 'pool-stress', '--format', 'json'], {
      cwd: tempDir({ 'dbcheck.json': config(breach) }),
    });
    expect(named.code).toBe(1);
    const ran = JSON.parse(named.stdout).checks[0];
    expect(ran.countsByCode['latency-threshold-exceeded']).toBe(1);
    expect(ran.sections[0].title).toBe('Postgres load (pool of 2)');
    expect(ran.stats.postgres.burst.ops).toBe(25);
  });

  it('Redis exhaustion: fills maxclients of a private server, the next connection is refused at once, and service recovers', async () => {
    const server = await startRedisServer({ args: ['--maxclients', '6'] });
    try {
      const result = await runCheck(poolStress, {
        stores: { postgres: false, milvus: false, redis: { host: '127.0.0.1', port: server.port } },
        options: {
          redis: {
            ...quiet.redis,
            connections: 1,
            exhaustion: { enabled: true, maxConnections: 20, refusedWithin: '2s', recoveryWithin: '3s' },
          },
        },
      });
      expect(result.error).toBeUndefined();
      expect(result.findings).toEqual([]);
      const ex = (result.stats.redis as Stats).exhaustion;
      // The check's own connection is the one client before: 5 more fill maxclients 6.
      expect(ex).toMatchObject({
        maxClients: 6,
        connectedBefore: 1,
        held: 5,
        extraConnection: 'refused',
        extraConnectionErrorClass: 'connection',
      });
      // The refusal counts because the server was full at that moment.
      expect(ex.connectedAtRefusal).toBe(6);
      expect(ex.recoveryMs).toBeGreaterThan(0);
      const behaviour = result.sections!.find((s) => s.title === 'Redis connection behaviour')!;
      expect(behaviour.rows.map((r) => [r[0], r[1]])).toEqual([['exhaustion', 'pass']]);
      // Every connection of the run is gone from the server once it ends.
      const probe = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
      await probe.connect();
      let others = Infinity;
      for (let i = 0; i < 40 && others > 0; i++) {
        others = Number(/connected_clients:(\d+)/.exec(await probe.info('clients'))![1]) - 1;
        if (others > 0) await new Promise((r) => setTimeout(r, 50));
      }
      probe.disconnect();
      expect(others).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('Redis exhaustion: reports a service that does not recover, and skips a server it would take too many connections to fill', async () => {
    const server = await startRedisServer({ args: ['--maxclients', '4'] });
    try {
      const failing = await runCheck(poolStress, {
        stores: { postgres: false, milvus: false, redis: { host: '127.0.0.1', port: server.port } },
        // HGET with one argument is an error reply: the command never succeeds again.
        options: {
          redis: { ...quiet.redis, connections: 1, command: ['HGET', 'k'], exhaustion: { enabled: true, recoveryWithin: '200ms' } },
        },
      });
      expect(failing.countsByCode['recovery-failed']).toBe(1);
      const f = failing.findings.find((x) => x.code === 'recovery-failed')!;
      expect(f.data).toMatchObject({ store: 'redis', phase: 'exhaustion', recoveredAfterMs: null, withinMs: 200 });
      expect(f.data!.lastError).toMatch(/wrong number of arguments/i);
      expect((failing.stats.redis as Stats).exhaustion).toMatchObject({ held: 3, extraConnection: 'refused' });
    } finally {
      await server.stop();
    }
    // The shared test server has thousands of free slots: never filled, and not called a pass.
    const skipped = await runCheck(poolStress, {
      stores: { postgres: false, milvus: false },
      options: { redis: { ...quiet.redis, connections: 1, exhaustion: { enabled: true, maxConnections: 5 } } },
    });
    expect(skipped.findings).toEqual([]);
    expect((skipped.stats.redis as Stats).exhaustion).toMatchObject({ held: 0, skipped: 'too many free slots' });
    expect(skipped.sections!.find((s) => s.title === 'Redis connection behaviour')!.rows[0][1]).toBe('skipped');
  });

  it('refuses options that would be unbounded or write', async () => {
    await expect(runCheck(poolStress, { options: { postgres: { sustained: { duration: '20m' } } } })).rejects.toMatchObject({
      code: 'CONFIG',
    });
    await expect(runCheck(poolStress, { options: { redis: { command: ['SET', 'k', 'v'] } } })).rejects.toMatchObject({ code: 'CONFIG' });
    await expect(
      runCheck(poolStress, { options: { postgres: { slow: { statementTimeout: '1s', sleep: '500ms' } } } }),
    ).rejects.toMatchObject({ code: 'CONFIG' });
  });
});

describe('pool-stress on Milvus', () => {
  let milvus: Awaited<ReturnType<typeof createMilvusCollectionName>>;
  const milvusOnly = { postgres: false, redis: false } as const;
  /** Milvus phases only, tiny bounds: tests switch on what they exercise. */
  const tiny = (extra: Record<string, unknown> = {}) => ({
    redis: { enabled: false },
    postgres: { enabled: false },
    milvus: {
      collection: milvus.collection,
      sampleVectors: 8,
      // The operation cap is what stops these; the duration only bounds a very slow server.
      search: { burst: { concurrency: 5 }, sustained: { workers: 2, duration: '60s', maxOps: 10 } },
      query: { burst: { concurrency: 5 }, sustained: { workers: 2, duration: '60s', maxOps: 10 } },
      ...extra,
    },
  });

  beforeAll(async () => {
    milvus = await createMilvusCollectionName('ps');
    const data = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, tenant: i % 2 ? 'a' : 'b', vec: [i, i % 3, i % 5, 1] }));
    const fields = [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'tenant', data_type: DataType.VarChar, max_length: 8 },
    ];
    await createMilvusCollection(milvus.client, milvus.collection, fields, data);
  }, 120_000);

  afterAll(async () => {
    await milvus?.cleanup();
  });

  it('searches (nq, topk, filter) with vectors from the collection and runs lookups, bounded, without errors', async () => {
    const result = await runCheck(poolStress, {
      stores: milvusOnly,
      options: tiny({
        search: {
          nq: 2,
          topk: 3,
          filter: 'tenant == "a"',
          burst: { concurrency: 5, thresholds: { p99: '30s' } },
          sustained: { workers: 2, duration: '60s', maxOps: 10 },
        },
      }),
    });
    expect(result.error).toBeUndefined();
    expect(result.findings).toEqual([]);
    const m = result.stats.milvus as Stats;
    expect(m).toMatchObject({ collection: milvus.collection, vectorField: 'vec', sampledRows: 8 });
    expect(m.search.burst).toMatchObject({ ops: 5, ok: 5, errors: 0 });
    expect(m.search.sustained).toMatchObject({ ops: 10, ok: 10, errors: 0, stoppedBy: 'count' });
    expect(m.query.burst).toMatchObject({ ops: 5, ok: 5, errors: 0 });
    expect(m.query.sustained).toMatchObject({ ops: 10, errors: 0, stoppedBy: 'count' });
    expect(m.search.burst.p99Ms).toBeGreaterThan(0);
    // 20 rows of tenant "a": every query vector gets its topk of 3.
    expect(m.searchHitsPerQuery).toBe(3);
    const section = result.sections!.find((s) => s.title === `Milvus load (collection ${milvus.collection})`)!;
    expect(section.rows.map((r) => [r[0], r.at(-1)])).toEqual([
      ['search burst', 'pass'],
      ['search sustained', 'pass'],
      ['query burst', 'pass'],
      ['query sustained', 'pass'],
    ]);
    expect(section.columns).not.toContain('acquire p95 ms');
  });

  it('reports a latency threshold nobody can meet, and errors of a filter the server rejects', async () => {
    const result = await runCheck(poolStress, {
      stores: milvusOnly,
      options: tiny({
        search: { burst: { concurrency: 3, thresholds: { p50: 0.001 } }, sustained: { enabled: false } },
        query: { filter: 'no_such_field == 1', burst: { concurrency: 3 }, sustained: { enabled: false } },
      }),
    });
    expect(result.status).toBe('fail');
    const latency = result.findings.find((f) => f.code === 'latency-threshold-exceeded')!;
    expect(latency.data).toMatchObject({ store: 'milvus', phase: 'search burst', metric: 'p50', limitMs: 0.001 });
    const errors = result.findings.find((f) => f.code === 'errors-during-load')!;
    expect(errors.data).toMatchObject({ store: 'milvus', phase: 'query burst', errors: 3, ops: 3 });
  });

  it('preflight: a missing collection or a field that is not a vector is a config error (exit 2), before any load', async () => {
    const missing = await runCheck(poolStress, { stores: milvusOnly, options: tiny({ collection: `${milvus.collection}_nope` }) });
    expect(missing.status).toBe('error');
    expect(missing.error?.code).toBe('CONFIG');
    expect(missing.configProblems).toEqual([{ path: 'milvus.collection', message: expect.stringContaining('no collection') }]);
    expect(missing.stats.milvus).toBeUndefined();

    const notVector = await runCheck(poolStress, { stores: milvusOnly, options: tiny({ vectorField: 'tenant' }) });
    expect(notVector.error?.code).toBe('CONFIG');
    expect(notVector.configProblems).toEqual([
      { path: 'milvus.vectorField', message: expect.stringContaining('is VarChar, not FloatVector') },
    ]);
  });
});
