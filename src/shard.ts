/**
 * Sharded runs (`--shard i/n`): n processes, started without talking to each other, each take the
 * keys whose hash falls in their shard, so together they cover every key exactly once.
 *
 * Why a hash and not key ranges: a range split needs the table's min and max, which move between
 * the moments the n processes start, so two shards could both take (or both skip) a key. A hash of
 * the key's canonical text (the text every store prints for it: "42", a uuid in lower case, the
 * VarChar as it is) gives every process the same answer for every key, in Postgres, Milvus and
 * Redis alike, with no coordination.
 *
 * The hash, on the canonical text: a canonical decimal integer in the int64 range ("42", "-7") is
 * its value mod n (in 0..n-1); any other text is the first 32 bits of MD5 of its UTF-8 bytes
 * (big-endian) mod n. Both are computed natively by Postgres (`%`, `md5()`), so a Postgres scan
 * filters its own rows (`shardSql`) and each shard reads ~1/n of them; integer columns, the common
 * key, get a condition that costs next to nothing. Stable across Node versions, machines and
 * Postgres versions; spread evenly for 2 to 1000 shards (integer ids: exactly). Where the store
 * cannot evaluate it, keys are filtered as they arrive (`shardFilter`):
 * - Milvus: expressions have no hash, and `%` is no way out: Milvus Lite rejects it and Milvus 2.3.5
 *   computes it through doubles (wrong above 2^53, INT64_MAX lost), so Milvus scans read every key;
 * - Redis: SCAN cannot hash either; every shard SCANs the key names (cheap) and reads values, or
 *   looks parents up, only for its own keys.
 * A check that cannot split its work runs whole in shard 0 only.
 *
 * Exported from `dbcheck` (src/plugin.ts): the built-in checks and third-party ones split keys by
 * this one rule, so a plugin's shard of a key is the built-ins' shard of it.
 */
import { INT64_MAX, INT64_MIN, isInt64Text } from './int64.js';
import { md5First32 } from './md5.js';

/** `--shard i/n`: this process takes the keys whose shard (shardOf) is `index` (0-based). */
export interface Shard {
  index: number;
  count: number;
}

/** The whole key space: what a run without --shard is. */
export const WHOLE: Shard = { index: 0, count: 1 };

/** First 32 bits of MD5 over the UTF-8 bytes of `key` (a Redis key's raw bytes as they are), unsigned. */
export function keyHash(key: string | Uint8Array): number {
  return md5First32(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
}

/** The shard a key belongs to, from its canonical text (a Redis key: its bytes). */
export function shardOf(keyText: string | Uint8Array, count: number): number {
  if (count <= 1) return 0;
  const text = typeof keyText === 'string' ? keyText : asShortText(keyText);
  if (text !== undefined && isInt64Text(text)) {
    // Below 2^53 a double is exact; beyond, BigInt.
    if (text.length < 16) return ((Number(text) % count) + count) % count;
    const n = BigInt(count);
    return Number(((BigInt(text) % n) + n) % n);
  }
  return keyHash(keyText) % count;
}

/** Bytes that could spell an int64 (at most 20 ASCII digits or '-') as text, else undefined. */
function asShortText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || bytes.length > 20) return undefined;
  for (const b of bytes) if ((b < 0x30 || b > 0x39) && b !== 0x2d) return undefined;
  return Buffer.from(bytes).toString('latin1');
}

/**
 * A predicate "is this key mine?" for the check's shard (`ctx.shard`; undefined means the whole
 * run). Keys must be given as canonical text, so one key tests the same in every store.
 */
export function shardFilter(shard: Shard | undefined): (keyText: string | Uint8Array) => boolean {
  const s = shard ?? WHOLE;
  if (s.count <= 1) return () => true;
  return (keyText) => shardOf(keyText, s.count) === s.index;
}

/**
 * The same predicate as a Postgres condition; undefined for the whole run (no condition). The key
 * is an SQL expression: `{ integer }` of an integer column type (smallint, integer, bigint: the mod
 * alone), or `{ text }` yielding the key's canonical text (e.g. `"id"::text`). Not index-assisted:
 * a filter on the streamed scan, so the rows of other shards are never sent. Postgres hashes text
 * in the database encoding: UTF-8 databases agree with keyHash.
 */
export function shardSql(shard: Shard | undefined, key: { integer: string } | { text: string }): string | undefined {
  const s = shard ?? WHOLE;
  if (s.count <= 1) return undefined;
  const n = s.count;
  if ('integer' in key) return `(((${key.integer}) % ${n}) + ${n}) % ${n} = ${s.index}`;
  const t = key.text;
  const md5 = `(('x' || substr(md5(${t}), 1, 8))::bit(32)::bigint % ${n})`;
  // Nested CASE: the numeric cast only runs on text the pattern accepted.
  const asInteger = `CASE WHEN (${t})::numeric BETWEEN ${INT64_MIN} AND ${INT64_MAX} THEN mod(mod((${t})::numeric, ${n}) + ${n}, ${n}) ELSE ${md5} END`;
  return `(CASE WHEN ${t} ~ '^(0|-?[1-9][0-9]{0,18})$' THEN ${asInteger} ELSE ${md5} END) = ${s.index}`;
}

/** True in the one process that does a check's unsplittable work (counts, samples, aggregates). */
export function isFirstShard(shard: Shard | undefined): boolean {
  return (shard ?? WHOLE).index === 0;
}
