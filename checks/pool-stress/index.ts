/**
 * pool-stress: will the connection pools, and the servers behind them, hold the app's load?
 *
 * The one built-in check that generates load, so it is opt-in, runs alone (exclusive), is bounded
 * in count and time by its options, and loads only the configured stores through the load pools
 * the engine hands out. First a fleet headroom check (arithmetic, no load), then per store:
 * burst, sustained, for Postgres exhaustion/recovery, slow statements and a leak check, for Redis
 * (opt-in) exhaustion of maxclients, and for Milvus search and query load on one collection.
 */
import { randomBytes } from 'node:crypto';
import { CheckError, defineCheck, storeLabel, type CheckContext, type ResultSection } from '../../src/plugin.js';
import { postgresHeadroom, redisHeadroom } from './fleet.js';
import { poolStressOptions, type PoolStressOptions } from './options.js';
import { runPostgresPhases, type PhaseRow } from './postgres-phases.js';
import { preflightMilvus, runMilvusPhases } from './milvus-phases.js';
import { runRedisPhases } from './redis-phases.js';
import { STATS } from './stats.js';
import { errorLine } from '../../src/plugin.js';

const fmt = (n: number | undefined) => (n === undefined ? null : Math.round(n * 100) / 100);

export default defineCheck({
  meta: {
    id: 'pool-stress',
    title: 'Connection pool stress',
    description: 'Bounded burst, sustained, exhaustion and slow-statement load against the pools and servers, plus fleet headroom.',
    requires: [],
    uses: ['postgres', 'redis', 'milvus'],
    exclusive: true,
    optIn: true,
    options: poolStressOptions,
    stats: STATS,
    codes: {
      'latency-threshold-exceeded': {
        severity: 'error',
        message: (d) => `${d.store} ${d.phase}: ${d.metric} latency ${d.actualMs}ms is above the threshold of ${d.limitMs}ms`,
        description: 'A latency percentile of a load phase is above its configured threshold.',
      },
      'throughput-below-threshold': {
        severity: 'error',
        message: (d) => `${d.store} ${d.phase}: ${d.actualPerSec} ops/s is below the threshold of ${d.limitPerSec} ops/s`,
        description: 'A load phase completed fewer operations per second than its configured minimum.',
      },
      'errors-during-load': {
        severity: 'error',
        message: (d) =>
          d.phase === 'setup'
            ? `${d.store}: the load could not be set up: ${d.sampleErrors?.[0] ?? 'unknown error'}`
            : `${d.store} ${d.phase}: ${d.errors} of ${d.ops} operations failed (tolerated: ${d.limit})${d.sampleErrors?.[0] ? `, e.g. ${d.sampleErrors[0]}` : ''}`,
        description: 'Operations failed during a load phase (more than maxErrors).',
      },
      'exhaustion-hang': {
        severity: 'error',
        message: (d) =>
          d.store === 'redis'
            ? d.outcome === 'acquired'
              ? `redis: the server accepted ${d.held} connections of this run besides its own, with maxclients ${d.maxClients}: the limit is not enforced`
              : `redis: with maxclients ${d.maxClients} reached, one more connection was neither opened nor refused within ${d.refusedWithinMs}ms: clients would hang`
            : d.outcome === 'acquired'
              ? `postgres: an acquire on a full pool of ${d.poolSize} got a connection instead of failing`
              : `postgres: an acquire on a full pool of ${d.poolSize} did not fail within ${d.waitedMs}ms (acquire timeout ${d.acquireTimeoutMs}ms): requests would hang`,
        description:
          'With every pooled connection held (Postgres) or maxclients reached (Redis), one more acquire or connection did not fail promptly.',
      },
      'recovery-failed': {
        severity: 'error',
        message: (d) =>
          d.recoveredAfterMs === null
            ? `${d.store} ${d.phase}: service did not recover within ${d.withinMs}ms${d.lastError ? ` (${d.lastError})` : ''}`
            : `${d.store} ${d.phase}: service took ${d.recoveredAfterMs}ms to recover (allowed ${d.withinMs}ms)`,
        description: 'After exhaustion or timeouts, the query did not succeed again within the recovery bound.',
      },
      'timeout-not-enforced': {
        severity: 'error',
        message: (d) =>
          `${d.store}: ${d.completed} of ${d.launched} statements sleeping ${d.sleepMs}ms ran to completion despite statement_timeout ${d.statementTimeoutMs}ms`,
        description: 'A statement longer than statement_timeout was not cancelled.',
      },
      'leaked-connections': {
        severity: 'error',
        message: (d) =>
          `postgres: ${d.remaining} sessions named ${d.applicationName} are still open ${d.waitedMs}ms after the load pools closed`,
        description: "Sessions with this run's application_name remained on the server after the check closed its pools.",
      },
      'fleet-exceeds-capacity': {
        severity: 'error',
        message: (d) =>
          `${d.store}: the fleet at full pools needs ${d.demand} connections (${d.instances} x ${d.perInstance} + ${d.otherClients} other) but the server accepts ${d.capacity}${d.store === 'postgres' ? ` (max_connections ${d.maxConnections} - ${d.reservedTotal} reserved)` : ' (maxclients)'}`,
        description: 'App instances x pool size plus other clients exceeds what the server accepts.',
      },
    },
  },

  preflight: preflightMilvus,

  async run(ctx) {
    const o = ctx.options;
    const pg = o.postgres.enabled ? ctx.stores.postgres : undefined;
    const redis = o.redis.enabled ? ctx.stores.redis : undefined;
    // Milvus is loaded only on a named collection.
    const milvus = o.milvus.enabled && o.milvus.collection ? ctx.stores.milvus : undefined;
    if (!ctx.stores.postgres && !ctx.stores.redis && !milvus) {
      throw new CheckError(
        'NO_STORE',
        'pool-stress needs Postgres, Redis, or Milvus with milvus.collection set, and none is configured and reachable',
      );
    }
    const label = o.label ?? randomBytes(4).toString('hex');
    ctx.stats.label = label;
    const plan = planText(o, Boolean(pg), Boolean(redis), Boolean(milvus));
    ctx.log(plan);
    ctx.progress({ done: 0, note: plan });

    const sections: ResultSection[] = [];
    const fleetRows = await fleetHeadroom(ctx, o);
    if (fleetRows.length) {
      sections.push({
        title: 'Fleet headroom',
        columns: ['store', 'demand', 'capacity', 'headroom', 'now in use', 'verdict'],
        rows: fleetRows,
      });
    }

    for (const [store, runPhases] of [
      ['postgres', pg && (() => runPostgresPhases(ctx, pg, o.postgres, label))],
      ['redis', redis && (() => runRedisPhases(ctx, redis, o.redis, label))],
      ['milvus', milvus && (() => runMilvusPhases(ctx, milvus, o.milvus))],
    ] as const) {
      if (!runPhases || ctx.signal.aborted) continue;
      let rows: PhaseRow[];
      try {
        rows = await runPhases();
      } catch (err) {
        if (ctx.signal.aborted) break;
        // A configuration mistake found only now (exit 2) is not a load error.
        if ((err as { code?: string })?.code === 'CONFIG') throw err;
        const message = errorLine(err);
        ctx.report({
          code: 'errors-during-load',
          subject: { store, object: 'setup' },
          data: { store, phase: 'setup', errors: 1, ops: 0, limit: 0, sampleErrors: [message] },
        });
        continue;
      }
      const sizing =
        store === 'postgres'
          ? `pool of ${o.postgres.poolSize}`
          : store === 'redis'
            ? `${o.redis.connections} connection${o.redis.connections === 1 ? '' : 's'}`
            : `collection ${o.milvus.collection}`;
      sections.push(...phaseSections(store, sizing, rows));
    }
    return { sections, partial: ctx.signal.aborted || undefined };
  },
});

/** A latency table for the load phases, and a short table for the behaviour phases (Postgres). */
function phaseSections(store: 'postgres' | 'redis' | 'milvus', sizing: string, rows: PhaseRow[]): ResultSection[] {
  const loadRows = rows.filter((r) => r.stats);
  const behaviourRows = rows.filter((r) => !r.stats);
  const sections: ResultSection[] = [];
  if (loadRows.length) {
    sections.push({
      title: `${storeLabel(store)} load (${sizing})`,
      columns: [
        'phase',
        'ops',
        'ops/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
        ...(store === 'postgres' ? ['acquire p95 ms'] : []),
        'errors',
        'verdict',
      ],
      rows: loadRows.map(({ phase, stats: s, verdict }) => [
        phase,
        s!.ops,
        s!.throughputPerSec,
        fmt(s!.p50Ms),
        fmt(s!.p95Ms),
        fmt(s!.p99Ms),
        fmt(s!.maxMs),
        ...(store === 'postgres' ? [fmt(s!.acquireWaitP95Ms)] : []),
        s!.errors,
        verdict,
      ]),
    });
  }
  if (behaviourRows.length) {
    sections.push({
      title: `${storeLabel(store)} ${store === 'postgres' ? 'pool' : 'connection'} behaviour`,
      columns: ['phase', 'verdict', 'what happened'],
      rows: behaviourRows.map((r) => [r.phase, r.verdict, r.note ?? null]),
    });
  }
  return sections;
}

/** What the check is about to do, for the progress line (and --verbose) before any load starts. */
function planText(o: PoolStressOptions, pg: boolean, redis: boolean, milvus: boolean): string {
  const parts: string[] = [];
  if (pg) {
    const p = o.postgres;
    const phases = [
      p.burst.enabled && `burst ${p.burst.concurrency}`,
      p.sustained.enabled && `sustained ${p.sustained.workers} workers x ${p.sustained.duration / 1000}s (<= ${p.sustained.maxOps} ops)`,
      p.exhaustion.enabled && 'exhaustion',
      p.slow.enabled && `slow ${p.slow.count} x ${p.slow.sleep}ms`,
    ].filter(Boolean);
    parts.push(`postgres pool of ${p.poolSize}: ${phases.join(', ') || 'no phases'}`);
  }
  if (redis) {
    const r = o.redis;
    const phases = [
      r.burst.enabled && `burst ${r.burst.concurrency}`,
      r.sustained.enabled && `sustained ${r.sustained.workers} workers x ${r.sustained.duration / 1000}s (<= ${r.sustained.maxOps} ops)`,
      r.exhaustion.enabled && `exhaustion of maxclients (<= ${r.exhaustion.maxConnections} connections)`,
    ].filter(Boolean);
    parts.push(`redis ${r.connections} connections, ${String(r.command[0]).toUpperCase()}: ${phases.join(', ') || 'no phases'}`);
  }
  if (milvus) {
    const m = o.milvus;
    const load = (kind: 'search' | 'query') => {
      const p = m[kind];
      if (!p.enabled) return [];
      return [
        p.burst.enabled && `${kind} burst ${p.burst.concurrency}`,
        p.sustained.enabled &&
          `${kind} sustained ${p.sustained.workers} workers x ${p.sustained.duration / 1000}s (<= ${p.sustained.maxOps} requests)`,
      ];
    };
    const phases = [...load('search'), ...load('query')].filter(Boolean);
    parts.push(`milvus collection ${m.collection} (nq ${m.search.nq}, topk ${m.search.topk}): ${phases.join(', ') || 'no phases'}`);
  }
  return `pool-stress plan: ${parts.join('; ')}`;
}

async function fleetHeadroom(
  ctx: CheckContext<PoolStressOptions, never, string, typeof STATS>,
  o: PoolStressOptions,
): Promise<Array<Array<string | number | null>>> {
  const rows: Array<Array<string | number | null>> = [];
  const fleet = o.fleet;
  const pg = ctx.stores.postgres;
  if (fleet?.postgres && pg) {
    const r = await pg.query<{ max: number; su: number; reserved: number; current: number }>(
      `SELECT current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int AS su,
              coalesce(current_setting('reserved_connections', true), '0')::int AS reserved,
              (SELECT count(*)::int FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND application_name NOT LIKE 'dbcheck%') AS current`,
      [],
      { signal: ctx.signal },
    );
    const s = r.rows[0];
    const h = postgresHeadroom(
      { maxConnections: s.max, superuserReserved: s.su, reserved: s.reserved, currentConnections: s.current },
      fleet.postgres,
    );
    const data = {
      store: 'postgres',
      ...h,
      instances: fleet.postgres.instances,
      perInstance: fleet.postgres.poolSize,
      maxConnections: s.max,
      superuserReserved: s.su,
      reservedConnections: s.reserved,
      reservedTotal: s.su + s.reserved,
      currentConnections: s.current,
    };
    ctx.stats.fleetPostgres = data;
    if (h.exceeds) ctx.report({ code: 'fleet-exceeds-capacity', subject: { store: 'postgres' }, data });
    rows.push(['postgres', h.demand, h.capacity, h.headroom, s.current, h.exceeds ? 'exceeds capacity' : 'pass']);
  }
  const redis = ctx.stores.redis;
  if (fleet?.redis && redis) {
    const info = await redis.info('clients');
    const maxClients = Number(info.maxclients);
    const connectedClients = Number(info.connected_clients ?? 0);
    if (!Number.isFinite(maxClients)) {
      rows.push(['redis', null, null, null, connectedClients, 'maxclients not reported by this server']);
    } else {
      const h = redisHeadroom({ maxClients, connectedClients }, fleet.redis);
      const data = {
        store: 'redis',
        ...h,
        instances: fleet.redis.instances,
        perInstance: fleet.redis.connectionsPerInstance,
        maxClients,
        connectedClients,
      };
      ctx.stats.fleetRedis = data;
      if (h.exceeds) ctx.report({ code: 'fleet-exceeds-capacity', subject: { store: 'redis' }, data });
      rows.push(['redis', h.demand, h.capacity, h.headroom, connectedClients, h.exceeds ? 'exceeds capacity' : 'pass']);
    }
  }
  return rows;
}
