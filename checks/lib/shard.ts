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
 * The hash is the first 32 bits of MD5 (big-endian), mod n: the one hash Postgres computes natively
 * (`md5(text)`), so a Postgres scan filters its own rows (`shardSql`) and each shard reads ~1/n of
 * them. Stable across Node versions, machines and Postgres versions; spread evenly for 2 to 1000
 * shards. Where the store cannot evaluate it, keys are filtered as they arrive (`shardFilter`):
 * - Milvus: expressions have no hash, and `%` is no way out: Milvus Lite rejects it and Milvus 2.3.5
 *   computes it through doubles (wrong above 2^53, INT64_MAX lost), so Milvus scans read every key;
 * - Redis: SCAN cannot hash either; every shard SCANs the key names (cheap) and reads values, or
 *   looks parents up, only for its own keys.
 * A check that cannot split its work runs whole in shard 0 only.
 */
import type { Shard } from '../../src/plugin.js';
import { md5First32 } from './md5.js';

/** The whole key space: what a run without --shard is. */
export const WHOLE: Shard = { index: 0, count: 1 };

/** First 32 bits of MD5 over the UTF-8 bytes of `key` (a Redis key's raw bytes as they are), unsigned. */
export function keyHash(key: string | Uint8Array): number {
  return md5First32(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
}

/** The shard a key belongs to, from its canonical text. */
export function shardOf(keyText: string | Uint8Array, count: number): number {
  return count <= 1 ? 0 : keyHash(keyText) % count;
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
 * The same predicate as a Postgres condition on `textSql`, an SQL expression of type text that
 * yields the key's canonical text (e.g. `"id"::text`); undefined for the whole run (no condition).
 * Not index-assisted: a cheap filter on the streamed scan, so the rows of other shards are never
 * sent. Postgres hashes the text in the database encoding: UTF-8 databases agree with keyHash.
 */
export function shardSql(shard: Shard | undefined, textSql: string): string | undefined {
  const s = shard ?? WHOLE;
  if (s.count <= 1) return undefined;
  return `(('x' || substr(md5(${textSql}), 1, 8))::bit(32)::bigint % ${s.count}) = ${s.index}`;
}

/** True in the one process that does a check's unsplittable work (counts, samples, aggregates). */
export function isFirstShard(shard: Shard | undefined): boolean {
  return (shard ?? WHOLE).index === 0;
}
