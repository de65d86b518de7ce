/**
 * The connectors with fake drivers (src/stores/<kind>/driver.ts): deadlines and error mapping
 * without a server. The real servers stay tested in test/integration/stores/.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openPostgresLoadPool } from '../../src/stores/postgres/load-pool.js';
import type { RedisClient, RedisDriver } from '../../src/stores/redis/driver.js';
import { connectRedis } from '../../src/stores/redis/connector.js';
import { connectMilvus } from '../../src/stores/milvus/connector.js';
import { connectPostgres } from '../../src/stores/postgres/connector.js';
import { pgDriver, type PostgresDriver } from '../../src/stores/postgres/driver.js';
import { STRONG_CONSISTENCY, type MilvusClientLike, type MilvusDriver } from '../../src/stores/milvus/driver.js';

/** A fake ioredis client: each call does what `behave` says, and records what was sent. */
function fakeRedis(behave: Partial<Record<'connect' | 'select' | 'exec', () => Promise<unknown>>> = {}) {
  const sent: string[] = [];
  let disconnected = false;
  const pipeline = {
    getBuffer: (...args: unknown[]) => sent.push(`GET ${args.join(' ')}`),
    setBuffer: (...args: unknown[]) => sent.push(`SET ${args.join(' ')}`),
    exec: behave.exec ?? (async () => []),
  };
  const client = {
    connect: behave.connect ?? (async () => {}),
    select: behave.select ?? (async () => 'OK'),
    on: () => client,
    pipeline: () => pipeline,
    quit: async () => 'OK',
    disconnect: () => {
      disconnected = true;
    },
  };
  const driver: RedisDriver = () => client as unknown as RedisClient;
  return { driver, sent, disconnected: () => disconnected };
}

const never = () => new Promise<never>(() => {});
const cfg = { host: '127.0.0.1', port: 6379, connectTimeoutMs: 50 };

// A connect without its deadline would hang here until the test's own timeout fails it.
describe('Redis connector with a fake driver', () => {
  it('a connect that never answers fails with STORE_TIMEOUT at connectTimeout, and the client is dropped', async () => {
    const fake = fakeRedis({ connect: never });
    await expect(connectRedis(cfg, { driver: fake.driver })).rejects.toMatchObject({ code: 'STORE_TIMEOUT' });
    expect(fake.disconnected()).toBe(true);
  });

  it('a refused connect is STORE_UNREACHABLE, worded with the store and its address', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const fake = fakeRedis({ connect: () => Promise.reject(refused) });
    await expect(connectRedis(cfg, { driver: fake.driver })).rejects.toMatchObject({
      code: 'STORE_UNREACHABLE',
      message: expect.stringMatching(/^Redis at redis:\/\/127\.0\.0\.1:6379\/0: connection refused or lost/),
    });
  });

  it('a database the server lacks is STORE_MISSING_OBJECT, never an audit of db 0', async () => {
    const fake = fakeRedis({ select: () => Promise.reject(new Error('ERR DB index is out of range')) });
    await expect(connectRedis({ ...cfg, db: 16 }, { driver: fake.driver })).rejects.toMatchObject({ code: 'STORE_MISSING_OBJECT' });
  });

  it('a pipeline refuses a write before anything is sent, and a command without an answer is STORE_TIMEOUT', async () => {
    const fake = fakeRedis({ exec: async () => [[new Error('Command timed out'), null]] });
    const store = await connectRedis(cfg, { driver: fake.driver });
    // The type forbids it too; a plugin in plain JavaScript could still try.
    const write = [['set', 'k', 'v']] as unknown as Parameters<typeof store.reader.pipeline>[0];
    await expect(store.reader.pipeline(write)).rejects.toThrow(/refused Redis command SET/);
    expect(fake.sent).toEqual([]);
    await expect(store.reader.pipeline([['get', 'k']])).rejects.toMatchObject({ code: 'STORE_TIMEOUT' });
    expect(fake.sent).toEqual(['GET k']);
    await store.close();
  });

  it('an invalid %-encoding in the URL is a config error, as for Postgres', async () => {
    await expect(connectRedis({ url: 'redis://u:50%@h:6379' }, { driver: fakeRedis().driver })).rejects.toMatchObject({ code: 'CONFIG' });
  });
});

/** A fake Milvus SDK client: connect and GetVersion do what `behave` says. */
function fakeMilvus(behave: { connect?: () => Promise<unknown>; getVersion?: () => Promise<unknown> }) {
  let closed = false;
  const client = {
    connectPromise: (behave.connect ?? (async () => {}))(),
    getVersion: behave.getVersion ?? (async () => ({ status: { error_code: 'Success', code: 0 }, version: 'v2.4.5' })),
    closeConnection: async () => {
      closed = true;
    },
  };
  client.connectPromise.catch(() => {});
  const driver: MilvusDriver = async () => client as unknown as MilvusClientLike;
  return { driver, closed: () => closed };
}

describe('Milvus connector with a fake driver', () => {
  const milvusCfg = { address: '127.0.0.1:19530', connectTimeoutMs: 50 };

  it('a connect that never completes fails with STORE_TIMEOUT at connectTimeout, and the client is closed', async () => {
    const fake = fakeMilvus({ connect: never });
    await expect(connectMilvus(milvusCfg, { driver: fake.driver })).rejects.toMatchObject({ code: 'STORE_TIMEOUT' });
    expect(fake.closed()).toBe(true);
  });

  it('a server that connects but does not answer GetVersion like Milvus is not taken for Milvus', async () => {
    const fake = fakeMilvus({ getVersion: async () => ({}) });
    await expect(connectMilvus(milvusCfg, { driver: fake.driver })).rejects.toThrow(
      /^Milvus at 127\.0\.0\.1:19530: .*did not answer GetVersion like a Milvus server/,
    );
  });

  it('gRPC words for refused credentials become STORE_AUTH with a reason a person can act on', async () => {
    const fake = fakeMilvus({ getVersion: () => Promise.reject(new Error('16 UNAUTHENTICATED: auth check failure\nmore lines')) });
    await expect(connectMilvus(milvusCfg, { driver: fake.driver })).rejects.toMatchObject({
      code: 'STORE_AUTH',
      message: expect.stringContaining('the server refused the credentials'),
    });
  });

  it("the consistency level the connector asks for is the SDK's Strong", async () => {
    const sdk = await import('@zilliz/milvus2-sdk-node');
    expect(STRONG_CONSISTENCY).toBe(sdk.ConsistencyLevelEnum.Strong);
  });
});

/**
 * A fake pg Pool whose connections answer each query with `answer(sql)`: the version query on
 * connect gets a server's row unless `answer` says otherwise.
 */
function fakePostgres(answer: (sql: string) => Promise<unknown> | undefined) {
  const versionRow = { rows: [{ version: '16.4', num: 160004, db: 'app', usr: 'app' }], rowCount: 1 };
  const client = {
    query: (sql: string) => answer(sql) ?? Promise.resolve(versionRow),
    release: () => {},
    on: () => client,
    listeners: () => [],
  };
  class FakePool {
    on() {
      return this;
    }
    async connect() {
      return client;
    }
    async end() {}
  }
  return { ...pgDriver, Pool: FakePool as unknown as PostgresDriver['Pool'] } satisfies PostgresDriver;
}

describe('Postgres connector with a fake driver', () => {
  const pgCfg = { host: '127.0.0.1', connectTimeoutMs: 50, statementTimeoutMs: 50, deadlineGraceMs: 10 };
  const sqlError = (code: string, message: string) => Promise.reject(Object.assign(new Error(message), { code }));

  it('a server that accepts and never answers fails with STORE_TIMEOUT at connectTimeout', async () => {
    await expect(connectPostgres(pgCfg, { driver: fakePostgres(never) })).rejects.toMatchObject({
      code: 'STORE_TIMEOUT',
      message: expect.stringMatching(/^Postgres at postgres:\/\/127\.0\.0\.1:5432\/: timed out/),
    });
  });

  it('a wrong password (SQLSTATE 28P01) is STORE_AUTH', async () => {
    const driver = fakePostgres(() => sqlError('28P01', 'password authentication failed for user "app"'));
    await expect(connectPostgres(pgCfg, { driver })).rejects.toMatchObject({ code: 'STORE_AUTH' });
  });

  it('SQLSTATEs of a query map to store codes; a statement the server never ends hits the client-side deadline', async () => {
    const driver = fakePostgres((sql) =>
      sql.includes('missing') ? sqlError('42P01', 'relation "missing" does not exist') : sql.includes('slow') ? never() : undefined,
    );
    const store = await connectPostgres(pgCfg, { driver });
    expect(store.reader.info).toMatchObject({ version: '16.4', database: 'app' });
    await expect(store.reader.query('SELECT * FROM missing')).rejects.toMatchObject({ code: 'STORE_MISSING_OBJECT' });
    await expect(store.reader.query('SELECT slow()')).rejects.toMatchObject({ code: 'STORE_TIMEOUT' });
    await store.close();
  });

  it("the load pool opens its connections through the injected driver's Client, with the load sessions' settings", async () => {
    const opened: Array<{ application_name?: string; options?: string }> = [];
    class RecordingClient {
      constructor(config: { application_name?: string; options?: string }) {
        opened.push(config);
      }
      on() {
        return this;
      }
      async connect() {
        throw Object.assign(new Error('connect ECONNREFUSED (fake)'), { code: 'ECONNREFUSED' });
      }
    }
    const driver = { ...fakePostgres(() => undefined), Client: RecordingClient as unknown as PostgresDriver['Client'] };
    const store = await connectPostgres(pgCfg, { driver });
    const pool = store.reader.createLoadPool({ max: 2, acquireTimeoutMs: 100, statementTimeoutMs: 1_234, applicationNameSuffix: 'x' });
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(opened).toHaveLength(1);
    expect(opened[0].application_name).toBe('dbcheck-x');
    expect(opened[0].options).toContain('-c default_transaction_read_only=on');
    expect(opened[0].options).toContain('-c statement_timeout=1234');
    expect(pool.stats()).toEqual({ total: 0, idle: 0, waiting: 0 });
    await store.close();
  });

  it('load pool: an acquire that times out while a connection is being opened for it leaves that connection to the pool', async () => {
    // Connections whose opening the test releases by hand; their socket is a PassThrough.
    const opening: Array<() => void> = [];
    const sockets: PassThrough[] = [];
    class GatedClient {
      connection = { stream: new PassThrough() };
      constructor() {
        sockets.push(this.connection.stream);
      }
      on() {
        return this;
      }
      connect() {
        return new Promise<void>((r) => opening.push(r));
      }
    }
    const driver = { ...pgDriver, Client: GatedClient as unknown as PostgresDriver['Client'] };
    const pool = openPostgresLoadPool(
      { kind: 'postgres-load-target', store: { host: '127.0.0.1' }, options: { max: 1, acquireTimeoutMs: 50, statementTimeoutMs: 0 } },
      driver,
    );
    const first = pool.acquire();
    opening[0]();
    const held = await first;
    const waiter = pool.acquire().then(
      () => 'acquired',
      (e: Error) => e.message,
    );
    sockets[0].destroy(); // the held connection dies: a new one is opened for the waiter...
    expect(await waiter).toBe('timeout exceeded when trying to connect'); // ...which gives up first
    opening[1](); // then the new connection opens: it must go back to the pool, not to the waiter
    await new Promise((r) => setImmediate(r));
    held.release();
    expect(pool.stats()).toEqual({ total: 1, idle: 1, waiting: 0 });
    await pool.close();
  });

  it('an invalid %-encoding in the URL is a config error, as for Redis (not swallowed)', async () => {
    await expect(connectPostgres({ url: 'postgres://u:50%@h/db' }, { driver: fakePostgres(() => undefined) })).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });
});
