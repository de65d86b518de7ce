/**
 * The connectors with fake drivers (src/stores/<kind>/driver.ts): deadlines and error mapping
 * without a server. The real servers stay tested in test/integration/stores/.
 */
import { describe, expect, it } from 'vitest';
import type { RedisClient, RedisDriver } from '../../src/stores/redis/driver.js';
import { connectRedis } from '../../src/stores/redis/connector.js';

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

describe('Redis connector with a fake driver', () => {
  it('a connect that never answers fails with STORE_TIMEOUT at connectTimeout, and the client is dropped', async () => {
    const fake = fakeRedis({ connect: never });
    const t0 = performance.now();
    await expect(connectRedis(cfg, { driver: fake.driver })).rejects.toMatchObject({ code: 'STORE_TIMEOUT' });
    expect(performance.now() - t0).toBeLessThan(2_000);
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
