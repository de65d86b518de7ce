/**
 * Proves the test harness itself: the three real servers answer real protocol calls, and the
 * fixture helpers in test/helpers/stores.ts create what they promise and leave nothing behind.
 */
import { describe, it, expect } from 'vitest';
import net from 'node:net';
import { Redis } from 'ioredis';
import { DataType, MilvusClient, logger as milvusLogger } from '@zilliz/milvus2-sdk-node';
import {
  MILVUS_ADDRESS,
  REDIS_HOST,
  REDIS_PORT,
  createMilvusCollectionName,
  createPgSchema,
  createRedisPrefix,
  pgAdmin,
  testStoresConfig,
  uniqueName,
} from '../helpers/stores.js';
import { TEST_SERVERS, checkServers } from '../global-setup.js';

// The Milvus SDK logs every RPC at debug level when NODE_ENV=test (as under vitest): keep errors only.
milvusLogger.level = 'error';

async function withRedis<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

async function withMilvus<T>(fn: (client: MilvusClient) => Promise<T>): Promise<T> {
  const client = new MilvusClient({
    address: MILVUS_ADDRESS,
    telemetry: { enabled: false },
    logLevel: 'error',
  } as ConstructorParameters<typeof MilvusClient>[0]);
  await client.connectPromise;
  try {
    return await fn(client);
  } finally {
    await client.closeConnection();
  }
}

/** A loopback port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function schemaExists(schema: string): Promise<boolean> {
  const client = await pgAdmin();
  try {
    const res = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
    return res.rowCount === 1;
  } finally {
    await client.end();
  }
}

async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

describe('the real servers answer', () => {
  it('PostgreSQL answers SELECT version()', async () => {
    const client = await pgAdmin();
    try {
      const res = await client.query<{ version: string }>('SELECT version() AS version');
      expect(res.rows[0]?.version).toMatch(/^PostgreSQL \d+/);
    } finally {
      await client.end();
    }
  });

  it('Redis answers PING', async () => {
    await expect(withRedis((redis) => redis.ping())).resolves.toBe('PONG');
  });

  it('Milvus answers GetVersion', async () => {
    const res = await withMilvus((client) => client.getVersion());
    expect(res.version).toMatch(/\d+\.\d+/);
  });

  it('testStoresConfig points at these servers', () => {
    const config = testStoresConfig();
    expect(config.postgres).toMatchObject({ host: expect.any(String), port: expect.any(Number) });
    expect(config.redis).toMatchObject({ port: REDIS_PORT, db: 0 });
    expect(config.milvus).toEqual({ address: MILVUS_ADDRESS });
    expect(testStoresConfig({ redis: false }).redis).toBe(false);
  });

  it('uniqueName gives a fresh, identifier-safe name each call', () => {
    const a = uniqueName('My-Test');
    const b = uniqueName('My-Test');
    expect(a).toMatch(/^my_test_[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });
});

describe('the global setup of the integration project', () => {
  it('passes when the three servers answer', async () => {
    await expect(checkServers(TEST_SERVERS)).resolves.toBeUndefined();
  });

  it('names every server that does not answer and how to start them, without a stack trace', async () => {
    const [pgPort, redisPort, milvusPort] = [await closedPort(), await closedPort(), await closedPort()];
    const error: Error = await checkServers({
      postgres: { ...TEST_SERVERS.postgres, port: pgPort },
      redis: { host: '127.0.0.1', port: redisPort },
      milvus: { address: `127.0.0.1:${milvusPort}` },
    }).then(
      () => {
        throw new Error('checkServers resolved with every server down');
      },
      (err: Error) => err,
    );
    expect(error.message).toContain(`PostgreSQL at 127.0.0.1:${pgPort}: connect ECONNREFUSED`);
    expect(error.message).toContain(`Redis at 127.0.0.1:${redisPort}: connect ECONNREFUSED`);
    expect(error.message).toContain(`Milvus at 127.0.0.1:${milvusPort}:`);
    expect(error.message).toContain('run `npm run services:up`');
    expect(error.stack).toBe(error.message);
  });

  it('names only the server that is down', async () => {
    const redisPort = await closedPort();
    await expect(checkServers({ ...TEST_SERVERS, redis: { host: '127.0.0.1', port: redisPort } })).rejects.toThrow(
      /^Integration tests need the real servers, and some do not answer:\n  Redis at 127\.0\.0\.1:\d+: [^\n]+\nStart them with/,
    );
  });
});

describe('fixture helpers create and clean up', () => {
  it('createPgSchema: a writable schema, dropped with its tables by cleanup', async () => {
    const fixture = await createPgSchema('harness');
    let cleaned = false;
    try {
      expect(await schemaExists(fixture.schema)).toBe(true);
      await fixture.client.query(`CREATE TABLE "${fixture.schema}".docs (id bigint PRIMARY KEY, body text)`);
      await fixture.client.query(`INSERT INTO "${fixture.schema}".docs SELECT g, 'doc ' || g FROM generate_series(1, 100) g`);
      const res = await fixture.client.query(`SELECT count(*)::int AS n FROM "${fixture.schema}".docs`);
      expect(res.rows[0].n).toBe(100);
      await fixture.cleanup();
      cleaned = true;
      expect(await schemaExists(fixture.schema)).toBe(false);
    } finally {
      if (!cleaned) await fixture.cleanup();
    }
  });

  it('createRedisPrefix: cleanup deletes every key under the prefix (several SCAN pages) and nothing else', async () => {
    const fixture = await createRedisPrefix('harness');
    const neighbour = `${uniqueName('harness_neighbour')}:`;
    let cleaned = false;
    try {
      expect(fixture.prefix).toMatch(/^harness_[0-9a-f]{8}:$/);
      const pipeline = fixture.redis.pipeline();
      for (let i = 0; i < 2500; i++) pipeline.set(`${fixture.prefix}doc:${i}`, JSON.stringify({ id: i }), 'EX', 600);
      pipeline.set(`${neighbour}keep`, 'x', 'EX', 600);
      await pipeline.exec();
      await withRedis(async (redis) => expect(await countKeys(redis, `${fixture.prefix}*`)).toBe(2500));

      await fixture.cleanup();
      cleaned = true;
      await withRedis(async (redis) => {
        expect(await countKeys(redis, `${fixture.prefix}*`)).toBe(0);
        expect(await redis.get(`${neighbour}keep`)).toBe('x');
        await redis.del(`${neighbour}keep`);
      });
    } finally {
      if (!cleaned) await fixture.cleanup();
    }
  });

  it('createMilvusCollectionName: a fresh name, a working client, the collection dropped by cleanup', async () => {
    const fixture = await createMilvusCollectionName('harness');
    let cleaned = false;
    try {
      const { client, collection } = fixture;
      expect((await client.hasCollection({ collection_name: collection })).value).toBe(false);
      const created = await client.createCollection({
        collection_name: collection,
        fields: [
          { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
          { name: 'vec', data_type: DataType.FloatVector, dim: 4 },
        ],
      });
      expect(created.error_code).toBe('Success');
      // An id above 2^53: int64 keys must round-trip as exact strings.
      const bigId = '9007199254740993';
      const inserted = await client.insert({
        collection_name: collection,
        data: [
          { id: '1', vec: [0.1, 0.2, 0.3, 0.4] },
          { id: bigId, vec: [0.4, 0.3, 0.2, 0.1] },
        ],
      });
      expect(inserted.status.error_code).toBe('Success');
      await client.createIndex({ collection_name: collection, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
      await client.loadCollection({ collection_name: collection });
      const rows = await client.query({
        collection_name: collection,
        filter: 'id > 0',
        output_fields: ['id'],
        consistency_level: 'Strong' as never,
      });
      expect(rows.status.error_code).toBe('Success');
      expect(rows.data.map((r) => String(r.id)).sort()).toEqual(['1', bigId]);

      await fixture.cleanup();
      cleaned = true;
      const stillThere = await withMilvus((other) => other.hasCollection({ collection_name: collection }));
      expect(stillThere.value).toBe(false);
    } finally {
      if (!cleaned) await fixture.cleanup();
    }
  });
});
