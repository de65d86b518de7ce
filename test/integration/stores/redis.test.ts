/**
 * The Redis connector against real, private redis-servers: a set-up step the audit depends on
 * (AUTH, SELECT) that fails makes the connection fail with one clear error — it never "connects"
 * and audits another database — and every command has a client-side deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../../src/stores/redis/connector.js';
import { startRedisServer } from '../../helpers/redis-server.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';

const PASSWORD = 'Right-Redis-Pw-5510';

describe('Redis connector set-up', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  beforeAll(async () => {
    // 16 databases (0-15), the redis-server default, and a password.
    server = await startRedisServer({ requirepass: PASSWORD, args: ['--databases', '16'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const [how, cfg] of [
    ['db: 16', () => ({ port: server.port, password: PASSWORD, db: 16 })],
    ['a URL ending in /16', () => ({ url: `redis://:${PASSWORD}@127.0.0.1:${server.port}/16` })],
  ] as const) {
    it(`a database index the server does not have (${how}) fails the connection instead of reading db 0`, async () => {
      const err = await connectRedis(cfg()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({
        code: 'STORE_MISSING_OBJECT',
        message: `Redis at redis://127.0.0.1:${server.port}/16: object not found (cannot switch to database 16: ERR DB index is out of range)`,
      });
      expect(String((err as Error).message)).not.toContain(PASSWORD);
    });
  }

  it('a database that exists is the one read: keys of db 15 are seen, those of db 0 are not', async () => {
    const { Redis } = await import('ioredis');
    const admin = new Redis({ port: server.port, password: PASSWORD, lazyConnect: true });
    await admin.connect();
    try {
      await admin.select(15);
      await admin.set('in-15', 'x');
      await admin.select(0);
      await admin.set('in-0', 'x');
      const store = await connectRedis({ port: server.port, password: PASSWORD, db: 15 });
      try {
        expect(store.reader.db).toBe(15);
        const keys: string[] = [];
        for await (const page of store.reader.scan()) keys.push(...page.map(String));
        expect(keys).toEqual(['in-15']);
      } finally {
        await store.close();
      }
    } finally {
      await admin.flushall();
      admin.disconnect();
    }
  });

  it('a wrong password fails with STORE_AUTH and never shows the password', async () => {
    const wrong = 'Wr0ng-Redis-Pw-7781';
    const err = await connectRedis({ port: server.port, password: wrong, db: 3 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'STORE_AUTH',
      message: expect.stringMatching(/^Redis at redis:\/\/127\.0\.0\.1:\d+\/3: authentication failed \(WRONGPASS/),
    });
    expect(String((err as Error).message)).not.toContain(wrong);
  });

  it('a database path that is not a number is a configuration error', async () => {
    await expect(connectRedis({ url: `redis://127.0.0.1:${server.port}/one` })).rejects.toMatchObject({
      code: 'CONFIG',
      message: 'stores.redis.url: the database must be a number after the last "/", not "one"',
    });
  });
});

describe('Redis connector deadlines', () => {
  it('a server that accepts the connection and then never answers: the connect fails within connectTimeout', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    try {
      proxy.stall();
      const t0 = performance.now();
      // commandTimeout is far longer: the whole set-up (AUTH, ready check, SELECT) is bounded by connectTimeout.
      const err = await connectRedis({ port: proxy.port, db: 2, connectTimeoutMs: 500, commandTimeoutMs: 600_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const ms = performance.now() - t0;
      expect(err).toMatchObject({
        code: 'STORE_TIMEOUT',
        message: expect.stringMatching(/^Redis at redis:\/\/127\.0\.0\.1:\d+\/2: timed out/),
      });
      expect(ms).toBeLessThan(500 * 3 + 2_000); // ended, and well before the 10 min command timeout
      expect(proxy.connections.total).toBe(1);
    } finally {
      await proxy.close();
      await server.stop();
    }
  });

  it('a server that freezes after the connect: a scan and a pipeline each end with STORE_TIMEOUT within commandTimeout', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    const store = await connectRedis({ port: proxy.port, commandTimeoutMs: 500 });
    try {
      proxy.stall();
      const t0 = performance.now();
      const scan = (async () => {
        for await (const _page of store.reader.scan()) {
          /* frozen: no page comes */
        }
      })();
      await expect(scan).rejects.toMatchObject({ code: 'STORE_TIMEOUT' });
      await expect(
        store.reader.pipeline([
          ['get', 'a'],
          ['get', 'b'],
        ]),
      ).rejects.toMatchObject({
        code: 'STORE_TIMEOUT',
        message: expect.stringMatching(/^Redis at redis:\/\/127\.0\.0\.1:\d+\/0: timed out \(Command timed out\)/),
      });
      expect(performance.now() - t0).toBeLessThan(2 * 500 * 3);
    } finally {
      proxy.resume();
      await store.close();
      await proxy.close();
      await server.stop();
    }
  });
});
