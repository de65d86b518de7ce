/**
 * health: is each configured store up, how fast does it answer, how close is it to its limits?
 * A store the engine could not reach becomes a `store-unreachable` finding here (and exit 3).
 */
import {
  CheckError,
  defineCheck,
  fact,
  z,
  type CheckContext,
  type MilvusReader,
  type PostgresReader,
  type RedisReader,
  type ResultSection,
  STORE_KINDS,
  type StoreHandles,
  type StoreKind,
  storeProbe,
} from '../../src/plugin.js';
import { median, percent } from './measure.js';

const pct = z.number().min(0).max(100);
const options = z
  .object({
    /** Round trips per store for the latency median. */
    latencySamples: z.number().int().min(1).max(50).default(5),
    latencyWarnMs: z.number().positive().default(50),
    connectionsWarnPct: pct.default(80),
    memoryWarnPct: pct.default(80),
    /** Milvus collections whose load state to report; all collections (up to 100) when absent. */
    collections: z.array(z.string()).optional(),
  })
  .strict();
type Options = z.infer<typeof options>;

interface Row {
  store: StoreKind;
  address: string;
  version: string;
  latencyMs: number | null;
  capacity: string;
  state: string;
}

/**
 * The stores whose limits health knows (connections, memory, collection load states); any other
 * store gets version and latency through its descriptor's probe (basicProbe).
 */
const PROBES: { [K in StoreKind]?: (ctx: CheckContext<Options>, reader: NonNullable<StoreHandles[K]>) => Promise<Row> } = {
  postgres,
  redis,
  milvus,
};

export default defineCheck({
  meta: {
    id: 'health',
    title: 'Store health',
    description: 'Reachability, server version, round-trip latency and capacity of each configured store.',
    requires: [],
    uses: [...STORE_KINDS],
    runsFirst: true, // measures the stores before the scans load them (latency, connections)
    options,
    // One fact per store (version, latency, capacity); health does not shard: shard 0 runs it whole.
    stats: { postgres: fact<Record<string, unknown>>(), redis: fact<Record<string, unknown>>(), milvus: fact<Record<string, unknown>>() },
    codes: {
      'store-unreachable': {
        severity: 'error',
        message: (d) => `${d.store} is unreachable: ${d.reason}`,
        description: 'The store could not be connected to, or it answers but says it is not healthy.',
      },
      'slow-store': {
        severity: 'warn',
        message: (d) => `${d.store} answers in ${d.latencyMs} ms (median), above ${d.thresholdMs} ms`,
        description: 'The median round trip is above latencyWarnMs.',
      },
      'connections-near-limit': {
        severity: 'warn',
        description: 'Postgres client connections are at or above connectionsWarnPct of the usable ones.',
        message: (d) =>
          `Postgres connections at ${d.pct}% (${d.used} of ${d.usable} usable; max_connections ${d.max}, reserved ${d.reserved})`,
      },
      'memory-near-limit': {
        severity: 'warn',
        message: (d) => `Redis memory at ${d.pct}% of maxmemory (${d.used} of ${d.max} bytes)`,
        description: 'Redis used_memory is at or above memoryWarnPct of maxmemory.',
      },
      evictions: {
        severity: 'warn',
        message: (d) => `Redis has evicted ${d.evicted} keys since it started (maxmemory-policy ${d.policy})`,
        description: 'Redis dropped keys under memory pressure: cached entries vanish silently.',
      },
      'collection-not-loaded': {
        severity: 'warn',
        message: (d) =>
          d.state === 'missing'
            ? `Milvus collection ${d.collection} does not exist`
            : `Milvus collection ${d.collection} is ${d.state}: queries on it fail`,
        description:
          'A Milvus collection is not loaded (e.g. after a restart) or, when listed in collections, does not exist: searches and queries on it fail.',
      },
    },
  },
  async run(ctx) {
    const rows: Row[] = [];
    for (const kind of STORE_KINDS) {
      const status = ctx.storeStatus[kind];
      if (!status.configured) continue;
      if (status.connected === false) {
        ctx.report({
          code: 'store-unreachable',
          subject: { store: kind },
          data: { store: kind, reason: status.error?.message ?? 'unknown error' },
        });
        rows.push({ store: kind, address: status.address ?? '', version: '', latencyMs: null, capacity: '', state: 'unreachable' });
        continue;
      }
      rows.push(await probe(ctx, kind));
    }
    for (const r of rows) {
      if (r.latencyMs !== null && r.latencyMs > ctx.options.latencyWarnMs) {
        ctx.report({
          code: 'slow-store',
          subject: { store: r.store },
          data: { store: r.store, latencyMs: r.latencyMs, thresholdMs: ctx.options.latencyWarnMs },
        });
      }
    }
    const section: ResultSection = {
      title: 'Stores',
      columns: ['store', 'address', 'version', 'latency ms (median)', 'capacity', 'state'],
      rows: rows.map((r) => [r.store, r.address, r.version, r.latencyMs, r.capacity, r.state]),
    };
    return { sections: [section] };
  },
});

/** Measures one connected store with its kind's probe. */
function probe<K extends StoreKind>(ctx: CheckContext<Options>, kind: K): Promise<Row> {
  const reader = connected(ctx.stores[kind] as NonNullable<StoreHandles[K]> | undefined, kind);
  const known = PROBES[kind] as ((ctx: CheckContext<Options>, reader: NonNullable<StoreHandles[K]>) => Promise<Row>) | undefined;
  return known ? known(ctx, reader) : basicProbe(ctx, kind, reader);
}

/** Version and median round trip of a store whose limits health does not know: no capacity to judge (exported for its test). */
export async function basicProbe<K extends StoreKind>(
  ctx: CheckContext<Options>,
  kind: K,
  reader: NonNullable<StoreHandles[K]>,
): Promise<Row> {
  const { ping, version } = storeProbe(kind);
  const latencyMs = await timeMedian(ctx.options.latencySamples, () => ping(reader, ctx.signal));
  const v = await version(reader, ctx.signal);
  ctx.stats[kind] = { version: v, latencyMs };
  return { store: kind, address: reader.address, version: v, latencyMs, capacity: '', state: 'up' };
}

/** The handle of a store the engine reports connected: health only `uses` the stores, so it is typed optional. */
function connected<T>(handle: T | undefined, kind: StoreKind): T {
  if (!handle) throw new CheckError('INTERNAL', `${kind} is connected but has no handle`);
  return handle;
}

async function timeMedian(n: number, once: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await once();
    samples.push(performance.now() - t0);
  }
  return Math.round(median(samples) * 100) / 100;
}

async function postgres(ctx: CheckContext<Options>, pg: PostgresReader): Promise<Row> {
  const latencyMs = await timeMedian(ctx.options.latencySamples, () => pg.query('SELECT 1', [], { signal: ctx.signal }));
  const { rows } = await pg.query<{ used: number; max: number; reserved: number }>(
    `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used,
            current_setting('max_connections')::int AS max,
            current_setting('superuser_reserved_connections')::int
              + COALESCE(current_setting('reserved_connections', true)::int, 0) AS reserved`,
    [],
    { signal: ctx.signal },
  );
  const { used, max, reserved } = rows[0];
  const usable = Math.max(1, max - reserved);
  const p = percent(used, usable);
  ctx.stats.postgres = { version: pg.info.version, latencyMs, connectionsUsed: used, maxConnections: max, reserved };
  if (p >= ctx.options.connectionsWarnPct) {
    ctx.report({ code: 'connections-near-limit', subject: { store: 'postgres' }, data: { pct: p, used, usable, max, reserved } });
  }
  return {
    store: 'postgres',
    address: pg.address,
    version: pg.info.version,
    latencyMs,
    capacity: `${used}/${usable} connections (${p}%)`,
    state: 'up',
  };
}

async function redis(ctx: CheckContext<Options>, r: RedisReader): Promise<Row> {
  const latencyMs = await timeMedian(ctx.options.latencySamples, () => r.ping());
  const info = await r.info();
  const used = Number(info.used_memory ?? 0);
  const max = Number(info.maxmemory ?? 0);
  const evicted = Number(info.evicted_keys ?? 0);
  ctx.stats.redis = {
    version: info.redis_version,
    latencyMs,
    usedMemory: used,
    maxMemory: max,
    evictedKeys: evicted,
    connectedClients: Number(info.connected_clients ?? 0),
  };
  let capacity = `${used} bytes used, no maxmemory`;
  if (max > 0) {
    const p = percent(used, max);
    capacity = `${used}/${max} bytes (${p}%)`;
    if (p >= ctx.options.memoryWarnPct) ctx.report({ code: 'memory-near-limit', subject: { store: 'redis' }, data: { pct: p, used, max } });
  }
  if (evicted > 0)
    ctx.report({ code: 'evictions', subject: { store: 'redis' }, data: { evicted, policy: info.maxmemory_policy ?? 'unknown' } });
  return { store: 'redis', address: r.address, version: info.redis_version ?? '', latencyMs, capacity, state: 'up' };
}

async function milvus(ctx: CheckContext<Options>, m: MilvusReader): Promise<Row> {
  let version = '';
  const latencyMs = await timeMedian(ctx.options.latencySamples, async () => {
    version = await m.version();
  });
  const health = await m.checkHealth();
  if (!health.healthy) {
    const reason = `it answers but reports unhealthy (${health.reasons.join('; ') || 'no reason given'})`;
    ctx.report({ code: 'store-unreachable', subject: { store: 'milvus' }, data: { store: 'milvus', reason } });
  }
  const configured = ctx.options.collections;
  const names = configured ?? (await m.listCollections()).slice(0, 100);
  const states: Record<string, string> = {};
  for (const name of names) {
    if (ctx.signal.aborted) break;
    let state: string;
    try {
      state = await m.loadState(name);
    } catch (err) {
      if ((err as { code?: string }).code !== 'STORE_MISSING_OBJECT') throw err;
      // Listed a moment ago, dropped since: nothing to judge. A configured one that is missing is.
      if (!configured) continue;
      state = 'missing';
    }
    states[name] = state;
    if (state !== 'loaded')
      ctx.report({ code: 'collection-not-loaded', subject: { store: 'milvus', object: name }, data: { collection: name, state } });
  }
  const { notes } = m.capabilities(); // e.g. an unrecognised version, taken as Milvus 2.3
  ctx.stats.milvus = { version, latencyMs, healthy: health.healthy, collections: states, ...(notes.length ? { notes } : {}) };
  const loaded = Object.values(states).filter((s) => s === 'loaded').length;
  return {
    store: 'milvus',
    address: m.address,
    version,
    latencyMs,
    capacity: `${loaded}/${names.length} collections loaded`,
    state: health.healthy ? 'up' : 'unhealthy',
  };
}
