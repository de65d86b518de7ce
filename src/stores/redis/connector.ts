/**
 * Redis connector (ioredis) behind the RedisReader interface. Only the read commands listed in
 * REDIS_READ_COMMANDS ever reach the server: anything else is refused here, before it is sent.
 */
import type { RedisOptions } from 'ioredis';
import { classifyNetworkError, DbcheckError, storeError } from '../../errors.js';
import { ioredisDriver, type RedisClient, type RedisDriver } from './driver.js';
import { REDIS_READ_COMMANDS, type CallOptions, type RedisLoadConnection, type RedisReadCommand, type RedisReader } from '../types.js';

export interface RedisStoreConfig {
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: boolean;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

export interface RedisStore {
  reader: RedisReader;
  close(): Promise<void>;
}

const LABEL = 'Redis';
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;
const ALLOWED = new Set<string>(REDIS_READ_COMMANDS);
/** Subcommands that keep MEMORY / OBJECT read-only. */
const ALLOWED_SUBCOMMANDS: Record<string, Set<string>> = {
  memory: new Set(['usage', 'stats']),
  object: new Set(['encoding', 'freq', 'idletime', 'refcount']),
};

export function assertReadCommand(cmd: string, args: unknown[]): void {
  const name = cmd.toLowerCase();
  if (!ALLOWED.has(name))
    throw new DbcheckError('INTERNAL', `refused Redis command ${cmd.toUpperCase()}: dbcheck sends read commands only`);
  const subs = ALLOWED_SUBCOMMANDS[name];
  if (subs && !subs.has(String(args[0] ?? '').toLowerCase())) {
    throw new DbcheckError('INTERNAL', `refused Redis command ${cmd.toUpperCase()} ${String(args[0] ?? '')}: not a read`);
  }
}

function describeAddress(cfg: RedisStoreConfig): string {
  if (cfg.url) {
    try {
      const u = new URL(cfg.url);
      return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
    } catch {
      return 'redis://(unparseable url)';
    }
  }
  return `${cfg.tls ? 'rediss' : 'redis'}://${cfg.username ? `${cfg.username}@` : ''}${cfg.host ?? '127.0.0.1'}:${cfg.port ?? 6379}/${cfg.db ?? 0}`;
}

/**
 * The database index to audit, from `db` or the URL's path (`redis://host:6379/3`). A path that is
 * not a whole number is a configuration mistake, said here rather than turned into NaN.
 */
function databaseIndex(cfg: RedisStoreConfig): number {
  if (cfg.db !== undefined) return cfg.db;
  if (!cfg.url) return 0;
  const path = new URL(cfg.url).pathname.replace(/^\//, '');
  if (path === '') return 0;
  if (!/^\d+$/.test(path))
    throw new DbcheckError('CONFIG', `stores.redis.url: the database must be a number after the last "/", not "${path}"`);
  return Number(path);
}

function redisOptions(cfg: RedisStoreConfig, extra: Partial<RedisOptions> = {}): RedisOptions {
  const fromUrl: RedisOptions = {};
  if (cfg.url) {
    const u = new URL(cfg.url);
    fromUrl.host = u.hostname;
    fromUrl.port = u.port ? Number(u.port) : 6379;
    if (u.username) fromUrl.username = decodeURIComponent(u.username);
    if (u.password) fromUrl.password = decodeURIComponent(u.password);
    if (u.protocol === 'rediss:') fromUrl.tls = {};
  }
  return {
    host: cfg.host ?? '127.0.0.1',
    port: cfg.port ?? 6379,
    ...fromUrl,
    ...(cfg.username ? { username: cfg.username } : {}),
    ...(cfg.password ? { password: cfg.password } : {}),
    ...(cfg.tls ? { tls: {} } : {}),
    // ioredis SELECTs its `db` on connect but only emits a failure as an 'error' event and carries
    // on in db 0: openConnection SELECTs itself, so a wrong index fails the connection.
    db: 0,
    lazyConnect: true,
    connectTimeout: cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // A client-side deadline on every command (pipelines too: each command gets one).
    commandTimeout: cfg.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    // An auditor reports a dead store; it does not retry forever or queue commands offline.
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    enableReadyCheck: true,
    connectionName: 'dbcheck',
    ...extra,
  };
}

/**
 * Opens a connection that is ready to audit `db`: connected, authenticated, ready-checked and
 * switched to the database — or fails with one clear store error. ioredis's connectTimeout covers
 * only the TCP connect; the whole set-up (AUTH, INFO ready check, SELECT) is bounded by it here,
 * so a server that accepts and then never answers cannot hold the run.
 */
async function openConnection(
  driver: RedisDriver,
  cfg: RedisStoreConfig,
  address: string,
  db: number,
  extra: Partial<RedisOptions> = {},
): Promise<RedisClient> {
  const client = driver(redisOptions(cfg, extra));
  const connectTimeoutMs = cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let lastError: unknown;
  client.on('error', (err) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${connectTimeoutMs} ms of connecting`), { code: 'ETIMEDOUT' })),
      connectTimeoutMs,
    );
  });
  try {
    try {
      await Promise.race([client.connect(), deadline]);
    } catch (err) {
      const cause = lastError ?? err;
      // With tls on, a plain server never answers the TLS hello (it waits for a command line), so
      // the connect times out: say what most likely happened rather than just "timed out".
      if (cfg.tls && classifyNetworkError(cause) === 'STORE_TIMEOUT') {
        throw storeError(
          LABEL,
          address,
          new Error(`no TLS handshake within ${connectTimeoutMs} ms: does the server offer TLS?`),
          'STORE_TLS',
        );
      }
      throw storeError(LABEL, address, cause);
    }
    if (db !== 0) {
      try {
        await Promise.race([client.select(db), deadline]);
      } catch (err) {
        // "ERR DB index is out of range": that database does not exist on this server;
        // "NOPERM ...": the ACL user may not SELECT.
        const text = String((err as Error)?.message ?? err);
        const code = /out of range/i.test(text) ? 'STORE_MISSING_OBJECT' : /NOPERM/.test(text) ? 'STORE_AUTH' : classifyNetworkError(err);
        throw storeError(LABEL, address, new Error(`cannot switch to database ${db}: ${text}`), code);
      }
    }
    return client;
  } catch (err) {
    client.disconnect();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** `driver` is ioredis unless a test passes a fake (see driver.ts). */
export async function connectRedis(cfg: RedisStoreConfig, opts: CallOptions & { driver?: RedisDriver } = {}): Promise<RedisStore> {
  const driver = opts.driver ?? ioredisDriver;
  if (cfg.url) {
    try {
      decodeURIComponent(new URL(cfg.url).password);
    } catch {
      throw new DbcheckError('CONFIG', 'stores.redis.url is not a valid URL');
    }
  }
  const address = describeAddress(cfg);
  const db = databaseIndex(cfg);
  if (opts.signal?.aborted) throw new DbcheckError('CANCELLED', 'cancelled');
  const client = await openConnection(driver, cfg, address, db);
  const fail = (err: unknown) => (err instanceof DbcheckError ? err : storeError(LABEL, address, err));
  const loadConnections = new Set<RedisClient>();

  const reader: RedisReader = {
    kind: 'redis',
    address,
    db,
    scan(o = {}) {
      return {
        async *[Symbol.asyncIterator]() {
          let cursor = '0';
          do {
            if (o.signal?.aborted) throw new DbcheckError('CANCELLED', 'cancelled');
            const args: (string | number)[] = [cursor, 'MATCH', o.match ?? '*', 'COUNT', o.count ?? 1000];
            if (o.type) args.push('TYPE', o.type);
            let reply: [Buffer, Buffer[]];
            try {
              reply = (await client.scanBuffer(...(args as [string]))) as unknown as [Buffer, Buffer[]];
            } catch (err) {
              throw fail(err);
            }
            cursor = reply[0].toString();
            if (reply[1].length) yield reply[1];
          } while (cursor !== '0');
        },
      };
    },
    async pipeline(commands, o = {}) {
      if (o.signal?.aborted) throw new DbcheckError('CANCELLED', 'cancelled');
      const p = client.pipeline();
      for (const [cmd, ...args] of commands) {
        assertReadCommand(cmd, args);
        // *Buffer variants keep binary values intact; commands without one fall back to the plain form.
        const bufferVariant = `${cmd}Buffer` as keyof typeof p;
        const fn = (typeof p[bufferVariant] === 'function' ? p[bufferVariant] : p[cmd as keyof typeof p]) as (...a: unknown[]) => unknown;
        fn.apply(p, args);
      }
      try {
        const out = ((await p.exec()) ?? []) as Array<[Error | null, unknown]>;
        // A reply error is the server's answer to that command (e.g. WRONGTYPE) and stays the
        // caller's to judge; a command that got no answer in time means the store stalled.
        const timedOut = out.find(([e]) => e?.message === 'Command timed out');
        if (timedOut) throw timedOut[0];
        return out;
      } catch (err) {
        throw fail(err);
      }
    },
    async info(section) {
      try {
        return parseInfo(section ? await client.info(section) : await client.info());
      } catch (err) {
        throw fail(err);
      }
    },
    async ping() {
      const t0 = performance.now();
      try {
        await client.ping();
      } catch (err) {
        throw fail(err);
      }
      return performance.now() - t0;
    },
    async createLoadConnection(o = {}): Promise<RedisLoadConnection> {
      const name = o.connectionName ?? 'dbcheck-load';
      const conn = await openConnection(driver, cfg, address, db, { connectionName: name, commandTimeout: o.commandTimeoutMs ?? 5_000 });
      loadConnections.add(conn);
      return {
        name,
        async command(cmd: RedisReadCommand, ...args) {
          assertReadCommand(cmd, args);
          return conn.call(cmd, ...(args as (string | Buffer | number)[]));
        },
        async close() {
          loadConnections.delete(conn);
          await conn.quit().catch(() => conn.disconnect());
        },
      };
    },
  };

  return {
    reader,
    async close() {
      for (const c of loadConnections) c.disconnect();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
