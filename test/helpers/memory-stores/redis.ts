/**
 * An in-memory RedisReader: a keyspace of strings, hashes, sets, lists and sorted sets with TTLs,
 * and INFO facts a test states (used_memory, maxmemory, evicted_keys, ...), for server-free tests.
 *
 * Replies have the shapes the real reader returns through ioredis' *Buffer commands: string values
 * as Buffers, HGETALL as an object of Buffers, TYPE as text, TTL/PTTL as numbers (-1 no expiry, -2
 * no key), a wrong-type read as a WRONGTYPE reply error. Write commands are refused by the same
 * guard as the real reader. A command this fake does not model throws rather than answer wrongly.
 */
import { assertReadCommand } from '../../../src/stores/redis/connector.js';
import { DbcheckError } from '../../../src/errors.js';
import type { CallOptions, RedisLoadConnection, RedisReadCommand, RedisReader, RedisScanOptions } from '../../../src/plugin.js';

export type MemoryRedisValue =
  | string
  | Buffer
  | { type: 'string'; value: string | Buffer; ttlMs?: number }
  | { type: 'hash'; value: Record<string, string | Buffer>; ttlMs?: number }
  | { type: 'set'; value: string[]; ttlMs?: number }
  | { type: 'list'; value: string[]; ttlMs?: number }
  | { type: 'zset'; value: Record<string, number>; ttlMs?: number };

export interface MemoryRedisData {
  keys?: Record<string, MemoryRedisValue>;
  /** INFO fields (all sections flattened, as the real reader parses them). */
  info?: Record<string, string>;
  db?: number;
  /** How long PING takes, in ms (default 0): a slow store, for latency thresholds. */
  pingMs?: number;
}

type Entry = Exclude<MemoryRedisValue, string | Buffer>;

const WRONGTYPE = () => new Error('WRONGTYPE Operation against a key holding the wrong kind of value');

export class MemoryRedis implements RedisReader {
  readonly kind = 'redis' as const;
  readonly address = 'memory://redis';
  readonly db: number;
  /** Every command sent, lower-case, in order (scan pages count as 'scan'). */
  readonly calls: string[] = [];
  private readonly keys = new Map<string, Entry>();

  constructor(private readonly data: MemoryRedisData = {}) {
    this.db = data.db ?? 0;
    for (const [k, v] of Object.entries(data.keys ?? {})) {
      this.keys.set(k, typeof v === 'string' || Buffer.isBuffer(v) ? { type: 'string', value: v } : v);
    }
  }

  scan(opts: RedisScanOptions = {}): AsyncIterable<Buffer[]> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const match = globToRegExp(opts.match ?? '*');
        const all = [...self.keys.keys()].filter((k) => match.test(k) && (!opts.type || self.keys.get(k)!.type === opts.type));
        const count = opts.count ?? 1000;
        for (let i = 0; i < all.length; i += count) {
          self.calls.push('scan');
          if (opts.signal?.aborted) throw new DbcheckError('CANCELLED', 'cancelled');
          yield all.slice(i, i + count).map((k) => Buffer.from(k));
        }
      },
    };
  }

  async pipeline(
    commands: Array<[RedisReadCommand, ...(string | Buffer | number)[]]>,
    opts: CallOptions = {},
  ): Promise<Array<[Error | null, unknown]>> {
    if (opts.signal?.aborted) throw new DbcheckError('CANCELLED', 'cancelled');
    for (const [cmd, ...args] of commands) assertReadCommand(cmd, args);
    return commands.map(([cmd, ...args]) => {
      this.calls.push(cmd.toLowerCase());
      try {
        return [
          null,
          this.command(
            cmd.toLowerCase(),
            args.map((a) => (Buffer.isBuffer(a) ? a.toString() : String(a))),
          ),
        ];
      } catch (err) {
        if (err instanceof DbcheckError) throw err;
        return [err as Error, null];
      }
    });
  }

  /** Every section's fields whatever `section` is named: a superset of what the server sends. */
  async info(_section?: string): Promise<Record<string, string>> {
    this.calls.push('info');
    return {
      redis_version: '7.2.0-memory',
      used_memory: '1000000',
      maxmemory: '0',
      evicted_keys: '0',
      connected_clients: '1',
      maxclients: '10000',
      ...(this.data.info ?? {}),
    };
  }

  async ping(): Promise<number> {
    this.calls.push('ping');
    const ms = this.data.pingMs ?? 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }

  async createLoadConnection(o: { connectionName?: string } = {}): Promise<RedisLoadConnection> {
    const name = o.connectionName ?? 'dbcheck-load';
    return {
      name,
      command: async (cmd, ...args) => {
        assertReadCommand(cmd, args);
        const [[err, value]] = await this.pipeline([[cmd, ...args]]);
        if (err) throw err;
        return value;
      },
      close: async () => {},
    };
  }

  /** One command's reply; reply errors (WRONGTYPE) are thrown and become [error, null]. */
  private command(cmd: string, args: string[]): unknown {
    const get = (key: string, type?: Entry['type']) => {
      const e = this.keys.get(key);
      if (e && type && e.type !== type) throw WRONGTYPE();
      // Each case below reads the value shape of the type it just checked.
      // biome-ignore lint/suspicious/noExplicitAny: one loose accessor instead of a cast per command
      return e as any;
    };
    const buf = (v: string | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(v));
    const [key] = args;
    switch (cmd) {
      case 'get':
        return get(key, 'string') ? buf(get(key).value) : null;
      case 'mget':
        return args.map((k) => (this.keys.get(k)?.type === 'string' ? buf(get(k).value) : null));
      case 'strlen':
        return get(key, 'string') ? buf(get(key).value).length : 0;
      case 'getrange':
        return get(key, 'string') ? buf(get(key).value).subarray(Number(args[1]), Number(args[2]) + 1) : Buffer.alloc(0);
      case 'hgetall':
        return get(key, 'hash')
          ? Object.fromEntries(Object.entries(get(key).value as Record<string, string>).map(([f, v]) => [f, buf(v)]))
          : {};
      case 'hget':
        return get(key, 'hash')?.value[args[1]] !== undefined ? buf(get(key).value[args[1]]) : null;
      case 'hmget':
        return args.slice(1).map((f) => (get(key, 'hash')?.value[f] !== undefined ? buf(get(key).value[f]) : null));
      case 'hlen':
        return get(key, 'hash') ? Object.keys(get(key).value).length : 0;
      case 'type':
        return this.keys.get(key)?.type ?? 'none';
      case 'ttl':
      case 'pttl': {
        const e = this.keys.get(key);
        if (!e) return -2;
        if (e.ttlMs === undefined) return -1;
        return cmd === 'ttl' ? Math.ceil(e.ttlMs / 1000) : e.ttlMs;
      }
      case 'exists':
        return args.filter((k) => this.keys.has(k)).length;
      case 'dbsize':
        return this.keys.size;
      case 'memory': {
        // MEMORY USAGE: the value's bytes plus a fixed overhead, like the server's estimate.
        const e = this.keys.get(args[1]);
        if (!e) return null;
        return 50 + args[1].length + Buffer.byteLength(JSON.stringify(e.value));
      }
      case 'smembers':
        return get(key, 'set') ? (get(key).value as string[]).map(buf) : [];
      case 'scard':
        return get(key, 'set') ? get(key).value.length : 0;
      case 'llen':
        return get(key, 'list') ? get(key).value.length : 0;
      case 'lrange': {
        const list: string[] = get(key, 'list')?.value ?? [];
        const end = Number(args[2]) < 0 ? list.length + Number(args[2]) : Number(args[2]);
        return list.slice(Number(args[1]), end + 1).map(buf);
      }
      case 'zcard':
        return get(key, 'zset') ? Object.keys(get(key).value).length : 0;
      default:
        throw new DbcheckError('INTERNAL', `memory Redis does not model ${cmd.toUpperCase()}; test this against the real server`);
    }
  }
}

/** Redis glob (* ? [abc] and \x escapes) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '\\' && i + 1 < glob.length) re += escapeRe(glob[++i]);
    else if (ch === '*') re += '[\\s\\S]*';
    else if (ch === '?') re += '[\\s\\S]';
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, close);
        re += `[${body.startsWith('^') ? `^${body.slice(1)}` : body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += escapeRe(ch);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
