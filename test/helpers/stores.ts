/**
 * Test-side access to the real local servers, with WRITE access for seeding fixtures.
 * dbcheck itself never gets these handles. Every test isolates itself: its own Postgres schema,
 * its own Redis key prefix, its own Milvus collection; and cleans up after itself.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export const PG_HOST = process.env.DBCHECK_TEST_PGHOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.DBCHECK_TEST_PGPORT ?? 5432);
export const PG_USER = process.env.DBCHECK_TEST_PGUSER ?? 'postgres';
export const PG_DATABASE = process.env.DBCHECK_TEST_PGDATABASE ?? 'postgres';
export const REDIS_HOST = process.env.DBCHECK_TEST_REDIS_HOST ?? '127.0.0.1';
export const REDIS_PORT = Number(process.env.DBCHECK_TEST_REDIS_PORT ?? 6379);
/** Where the two Milvus servers of `bash scripts/services.sh up` listen. */
export const MILVUS_LITE_ADDRESS = '127.0.0.1:19530';
export const MILVUS_REAL_ADDRESS = '127.0.0.1:19540';

export type MilvusFlavor = 'lite' | 'real';

/**
 * Which Milvus the tests run against: DBCHECK_TEST_MILVUS is `lite` (Milvus Lite 3.x, the
 * default), `real` (the real Milvus standalone; the `integration-milvus-real` vitest project sets
 * it), or an address (host:port) of a server whose flavour DBCHECK_TEST_MILVUS_FLAVOR names.
 */
export function milvusTarget(env: Record<string, string | undefined> = process.env): { address: string; flavor: MilvusFlavor } {
  const v = env.DBCHECK_TEST_MILVUS ?? 'lite';
  if (v === 'lite') return { address: MILVUS_LITE_ADDRESS, flavor: 'lite' };
  if (v === 'real') return { address: MILVUS_REAL_ADDRESS, flavor: 'real' };
  return { address: v, flavor: env.DBCHECK_TEST_MILVUS_FLAVOR === 'real' ? 'real' : 'lite' };
}

export const MILVUS_ADDRESS = milvusTarget().address;

/**
 * The Milvus flavour under test. Behaviour that differs between Milvus Lite and the real server
 * is asserted per flavour (`milvusFlavor() === 'real' ? ... : ...`), never skipped.
 */
export function milvusFlavor(): MilvusFlavor {
  return milvusTarget().flavor;
}

/** A short unique suffix for schema / prefix / collection names. */
export function uniqueName(base: string): string {
  return `${base.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
}

/** dbcheck store config (the `stores:` section) pointing at the local test servers. */
export function testStoresConfig(overrides: Record<string, unknown> = {}) {
  return {
    postgres: { host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE },
    redis: { host: REDIS_HOST, port: REDIS_PORT, db: 0 },
    milvus: { address: MILVUS_ADDRESS },
    ...overrides,
  };
}

/** A writable Postgres client for fixtures. Close it with `end()`. */
export async function pgAdmin(database = PG_DATABASE): Promise<pg.Client> {
  const client = new pg.Client({ host: PG_HOST, port: PG_PORT, user: PG_USER, database });
  await client.connect();
  return client;
}

/** Sessions on the server with this application_name right now (how a test sees a pool's connections). */
export async function sessionsNamed(applicationName: string): Promise<number> {
  const admin = await pgAdmin();
  try {
    const r = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    return r.rows[0].n;
  } finally {
    await admin.end();
  }
}

export interface PgFixture {
  schema: string;
  client: pg.Client;
  /** Drops the schema (cascade) and closes the client. */
  cleanup(): Promise<void>;
}

/** Creates a fresh schema for one test file or test. */
export async function createPgSchema(base = 'dbcheck_t'): Promise<PgFixture> {
  const client = await pgAdmin();
  const schema = uniqueName(base);
  await client.query(`CREATE SCHEMA "${schema}"`);
  return {
    schema,
    client,
    async cleanup() {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

export interface RedisFixture {
  prefix: string;
  redis: Redis;
  /** Deletes every key under the prefix (SCAN + DEL) and disconnects. */
  cleanup(): Promise<void>;
}

/** A writable Redis connection plus a unique key prefix like "t_ab12cd34:". */
export async function createRedisPrefix(base = 't'): Promise<RedisFixture> {
  const redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const prefix = `${uniqueName(base)}:`;
  return {
    prefix,
    redis,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = String(next);
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

/**
 * A writable Milvus client (the SDK directly) and a unique collection name. The caller creates the
 * collection; cleanup drops it if it exists and closes the client. Serialise inserts per collection.
 */
export async function createMilvusCollectionName(base = 'c') {
  const { MilvusClient } = await import('@zilliz/milvus2-sdk-node');
  const client = new MilvusClient({ address: MILVUS_ADDRESS, telemetry: { enabled: false }, logLevel: 'error' } as any);
  await client.connectPromise;
  const collection = uniqueName(base);
  return {
    collection,
    client,
    async cleanup() {
      try {
        await client.dropCollection({ collection_name: collection });
      } finally {
        await client.closeConnection();
      }
    },
  };
}

type AnyMilvusClient = {
  createCollection(a: object): Promise<unknown>;
  createIndex(a: object): Promise<unknown>;
  loadCollectionSync(a: object): Promise<unknown>;
  insert(a: object): Promise<unknown>;
};

/**
 * Creates, indexes (FLAT, L2), loads and fills a collection with a vector field (`vec` unless told:
 * a framework's layout names its own) of `dim` dimensions (4 unless told), after the other fields;
 * a row without the vector gets (0.1, 0.2, ...). Throws on any failed step.
 */
export async function createMilvusCollection(
  client: unknown,
  collection: string,
  fields: object[],
  rows: object[],
  opts: { dim?: number; dynamicFields?: boolean; vectorField?: string } = {},
): Promise<void> {
  const dim = opts.dim ?? 4;
  const vectorField = opts.vectorField ?? 'vec';
  const vec = Array.from({ length: dim }, (_, i) => (i + 1) / 10);
  const c = client as AnyMilvusClient;
  const { DataType } = await import('@zilliz/milvus2-sdk-node');
  const ok = (r: unknown, what: string) => {
    const x = r as { error_code?: string; status?: { error_code?: string } };
    const code = x?.error_code ?? x?.status?.error_code;
    if (code !== 'Success') throw new Error(`${what} failed: ${JSON.stringify(r)}`);
  };
  ok(
    await c.createCollection({
      collection_name: collection,
      ...(opts.dynamicFields ? { enable_dynamic_field: true } : {}),
      fields: [...fields, { name: vectorField, data_type: DataType.FloatVector, dim }],
    }),
    'createCollection',
  );
  ok(await c.createIndex({ collection_name: collection, field_name: vectorField, index_type: 'FLAT', metric_type: 'L2' }), 'createIndex');
  ok(await c.loadCollectionSync({ collection_name: collection }), 'loadCollection');
  for (let i = 0; i < rows.length; i += 5000) {
    const data = rows.slice(i, i + 5000).map((r) => ({ [vectorField]: vec, ...r }));
    ok(await c.insert({ collection_name: collection, data }), 'insert');
  }
}
