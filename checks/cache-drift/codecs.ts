/**
 * Codecs: how a cache entry is stored in Redis and how to read its fields.
 *
 * To support another encoding (say msgpack strings), add an entry to CODECS: the read command that
 * fetches the raw value and a decode function that turns the reply into a CacheEntry, or a reason
 * why the value is not what the encoding promises (reported as `undecodable`).
 */
import type { RedisReadCommand } from '../../src/plugin.js';

/** A decoded cache entry: field lookup by path. */
export interface CacheEntry {
  /** `present: false` when the field (or any step of a JSON path) is missing. */
  get(path: string): { present: boolean; value: unknown };
  /** True when every value is a string (hashes): numbers, booleans and JSON arrive as text. */
  readonly stringly: boolean;
}

export type DecodeResult = { ok: true; entry: CacheEntry } | { ok: false; reason: string };

export interface CacheCodec {
  /** The Redis type the encoding lives in, for WRONGTYPE messages. */
  redisType: 'string' | 'hash';
  readCommand: RedisReadCommand;
  /** `reply` is the command's reply; never null (a vanished key is filtered out before). */
  decode(reply: unknown): DecodeResult;
}

const jsonCodec: CacheCodec = {
  redisType: 'string',
  readCommand: 'get',
  decode(reply) {
    const text = Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { ok: false, reason: `JSON ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}, expected an object` };
    }
    return { ok: true, entry: jsonEntry(value as Record<string, unknown>) };
  },
};

/** Dot-separated paths: "author.name", "tags.0" (array index). Keys containing dots are not addressable. */
function jsonEntry(doc: Record<string, unknown>): CacheEntry {
  return {
    stringly: false,
    get(path) {
      let cur: unknown = doc;
      for (const step of path.split('.')) {
        if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, step)) {
          return { present: false, value: undefined };
        }
        cur = (cur as Record<string, unknown>)[step];
      }
      return { present: true, value: cur };
    },
  };
}

const hashCodec: CacheCodec = {
  redisType: 'hash',
  readCommand: 'hgetall',
  decode(reply) {
    const fields = new Map<string, string>();
    if (Array.isArray(reply)) {
      // Raw RESP reply: [field, value, field, value, ...]
      for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
    } else if (reply && typeof reply === 'object') {
      for (const [k, v] of Object.entries(reply as Record<string, unknown>)) fields.set(k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
    } else {
      return { ok: false, reason: 'not a hash reply' };
    }
    return {
      ok: true,
      entry: {
        stringly: true,
        get(path) {
          return fields.has(path) ? { present: true, value: fields.get(path) } : { present: false, value: undefined };
        },
      },
    };
  },
};

export const CODECS: Record<string, CacheCodec> = {
  hash: hashCodec,
  json: jsonCodec,
};

export const CODEC_NAMES = Object.keys(CODECS);
