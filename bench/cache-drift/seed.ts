/**
 * Seeds the cache-drift benchmark: `keys` documents in Postgres (generate_series, one statement)
 * and their cached JSON copies in Redis (pipelined SETs), with drift of every kind planted at
 * known ids. `planted()` says how many findings of each code a correct check must report.
 */
import type pg from 'pg';
import type { Redis } from 'ioredis';

export const SCHEMA = 'dbcheck_bench_cache_drift';
export const PREFIX = 'dbcheck_bench:cd:';
export const DOC_PATTERN = `${PREFIX}doc:{id}`;
export const WB_PATTERN = `${PREFIX}wb:{id}`;
export const NOTHING_PATTERN = `${PREFIX}nothing:{id}`;
export const FORBIDDEN_GLOB = `${PREFIX}v1:*`;
/** Rows of the small write-behind table. */
export const WB_ROWS = 10_000;
const BASE_MS = Date.parse('2024-01-01T00:00:00Z');
const DAY_MS = 86_400_000;

/** Drift planted in the documents mapping, by id modulo 1000. */
const PLANT = { stale: 1, mismatch: 2, missingTtl: 3, ttlOutOfRange: 4, undecodable: 5 } as const;

const countMod = (n: number, mod: number, r: number) => (r > n ? 0 : Math.floor((n - r) / mod) + 1);

export function planted(keys: number) {
  const orphans = Math.floor(keys / 1000);
  return {
    /** Main (timed) run: the write-through documents mapping. */
    documents: {
      'stale-entry': countMod(keys, 1000, PLANT.stale),
      mismatch: countMod(keys, 1000, PLANT.mismatch),
      'missing-ttl': countMod(keys, 1000, PLANT.missingTtl),
      'ttl-out-of-range': countMod(keys, 1000, PLANT.ttlOutOfRange),
      undecodable: countMod(keys, 1000, PLANT.undecodable),
      'orphan-key': orphans,
    } as Record<string, number>,
    /** Second run: write-behind mapping, a pattern matching nothing, a forbidden namespace. */
    extras: { 'lag-exceeded': countMod(WB_ROWS, 100, 7), 'no-keys': 1, 'forbidden-key': 1 } as Record<string, number>,
    forbiddenKeys: orphans,
    orphans,
  };
}

export async function seed(db: pg.Client, redis: Redis, keys: number, log: (s: string) => void): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await db.query(`CREATE SCHEMA ${SCHEMA}`);
  await db.query(
    `CREATE TABLE ${SCHEMA}.docs (id bigint PRIMARY KEY, title text NOT NULL, price numeric(10,2), active boolean, updated_at timestamptz NOT NULL, email text)`,
  );
  await db.query(
    `INSERT INTO ${SCHEMA}.docs
     SELECT g, 'title ' || g, (g % 10000) / 100.0, g % 3 = 0, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', 'user' || g || '@example.com'
       FROM generate_series(1, $1::bigint) g`,
    [keys],
  );
  await db.query(`CREATE TABLE ${SCHEMA}.wb (id int PRIMARY KEY, total int NOT NULL, updated_at timestamptz NOT NULL)`);
  await db.query(`INSERT INTO ${SCHEMA}.wb SELECT g, g, now() - interval '1 hour' FROM generate_series(1, ${WB_ROWS}) g`);
  await db.query(`ANALYZE ${SCHEMA}.docs; ANALYZE ${SCHEMA}.wb`);
  log(`postgres: ${keys} documents, ${WB_ROWS} write-behind rows`);

  await clearKeys(redis);
  const p = planted(keys);
  let pipe = redis.pipeline();
  let queued = 0;
  const flush = async (force = false) => {
    if (queued >= 5000 || (force && queued)) {
      await pipe.exec();
      pipe = redis.pipeline();
      queued = 0;
    }
  };
  const doc = (id: number, title: string, updatedMs: number) =>
    JSON.stringify({
      id,
      title,
      price: (id % 10000) / 100,
      active: id % 3 === 0,
      updatedAt: new Date(updatedMs).toISOString(),
      email: `user${id}@example.com`,
    });

  for (let id = 1; id <= keys + p.orphans; id++) {
    const key = `${PREFIX}doc:${id}`;
    const r = id % 1000;
    const at = BASE_MS + id * 1000;
    if (id > keys)
      pipe.set(key, doc(id, `title ${id}`, at), 'EX', 3600); // orphan: no row
    else if (r === PLANT.stale) pipe.set(key, doc(id, 'old title', at - DAY_MS), 'EX', 3600);
    else if (r === PLANT.mismatch) pipe.set(key, doc(id, 'drifted title', at), 'EX', 3600);
    else if (r === PLANT.missingTtl) pipe.set(key, doc(id, `title ${id}`, at));
    else if (r === PLANT.ttlOutOfRange) pipe.set(key, doc(id, `title ${id}`, at), 'EX', 7200);
    else if (r === PLANT.undecodable) pipe.set(key, doc(id, `title ${id}`, at).slice(0, 20), 'EX', 3600);
    else pipe.set(key, doc(id, `title ${id}`, at), 'EX', 3600);
    queued++;
    await flush();
  }
  for (let i = 1; i <= p.forbiddenKeys; i++) {
    pipe.set(`${PREFIX}v1:doc:${i}`, '{}', 'EX', 3600);
    queued++;
    await flush();
  }
  const { rows } = await db.query<{ id: number; updated_at: Date }>(`SELECT id, updated_at FROM ${SCHEMA}.wb`);
  const now = Date.now();
  for (const row of rows) {
    const stuck = row.id % 100 === 7; // written 10 minutes ago, never flushed: lag-exceeded at maxLag 1m
    pipe.set(
      `${PREFIX}wb:${row.id}`,
      JSON.stringify({
        total: stuck ? row.id + 1 : row.id,
        updated_at: stuck ? new Date(now - 600_000).toISOString() : row.updated_at.toISOString(),
      }),
      'EX',
      3600,
    );
    queued++;
    await flush();
  }
  await flush(true);
  log(`redis: ${keys + p.orphans} document keys, ${p.forbiddenKeys} forbidden v1 keys, ${WB_ROWS} write-behind keys`);
}

export async function clearKeys(redis: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}
