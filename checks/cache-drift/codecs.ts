/**
 * Codecs: how a cache entry is stored in Redis and how to read its fields.
 *
 * To support another encoding (say msgpack strings), add an entry to CODECS: the read command that
 * fetches the raw value and a decode function that turns the reply into a CacheEntry, or a reason
 * why the value is not what the encoding promises (reported as `undecodable`).
 */
import type { RedisReadCommand } from '../../src/plugin.js';

/** What CacheEntry.get returns for a missing field (no object per lookup: millions of them). */
export const ABSENT: unique symbol = Symbol('absent');

/** A decoded cache entry: field lookup by path. */
export interface CacheEntry {
  /** The field's value, or ABSENT when the field (or any step of a JSON path) is missing. */
  get(path: string): unknown;
  /** True when every value is a string (hashes): numbers, booleans and JSON arrive as text. */
  readonly stringly: boolean;
}

export type DecodeResult = { ok: true; entry: CacheEntry } | { ok: false; reason: string };

export interface CacheCodec {
  /** The Redis type the encoding lives in, for WRONGTYPE messages. */
  redisType: 'string' | 'hash';
  readCommand: RedisReadCommand;
  /** A command that reads many keys at once (MGET); it returns nil for keys of another type. */
  multiReadCommand?: RedisReadCommand;
  /** The reply of a key that does not exist (GET: nil; HGETALL: an empty hash). */
  isMissing(reply: unknown): boolean;
  /** `reply` is the command's reply for an existing key. */
  decode(reply: unknown): DecodeResult;
}

const jsonCodec: CacheCodec = {
  redisType: 'string',
  readCommand: 'get',
  multiReadCommand: 'mget',
  isMissing: (reply) => reply === null || reply === undefined,
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
      if (!path.includes('.')) {
        return Object.prototype.hasOwnProperty.call(doc, path) ? doc[path] : ABSENT;
      }
      let cur: unknown = doc;
      for (const step of path.split('.')) {
        if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, step)) {
          return ABSENT;
        }
        cur = (cur as Record<string, unknown>)[step];
      }
      return cur;
    },
  };
}

const hashCodec: CacheCodec = {
  redisType: 'hash',
  readCommand: 'hgetall',
  // Redis deletes a hash with its last field, so an empty reply means the key is gone.
  isMissing: (reply) =>
    reply === null || (Array.isArray(reply) ? reply.length === 0 : typeof reply === 'object' && Object.keys(reply as object).length === 0),
  decode(reply) {
    const fields = new Map<string, string>();
    if (Array.isArray(reply)) {
      // Raw RESP reply: [field, value, field, value, ...]
      for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
    } else if (reply && typeof reply === 'object') {
      for (const [k, v] of Object.entries(reply as Record<string, unknown>))
        fields.set(k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
    } else {
      return { ok: false, reason: 'not a hash reply' };
    }
    return {
      ok: true,
      entry: {
        stringly: true,
        get(path) {
          const v = fields.get(path);
          return v === undefined ? ABSENT : v;
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
