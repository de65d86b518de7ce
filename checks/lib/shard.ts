/**
 * Sharded runs (`--shard i/n`): n processes, started without talking to each other, each take the
 * keys whose hash falls in their shard, so together they cover every key exactly once.
 *
 * Why a hash and not key ranges: a range split needs the table's min and max, which move between
 * the moments the n processes start, so two shards could both take (or both skip) a key. A hash of
 * the key's canonical text (the text every store prints for it: "42", a uuid in lower case, the
 * VarChar as it is) gives every process the same answer for every key, in Postgres, Milvus and
 * Redis alike, with no coordination. The hash is FNV-1a (32 bits): stable across Node versions and
 * machines, and spread evenly enough for counts of 2 to 1000 shards.
 *
 * The split is applied as the keys arrive (scans still read every key; each shard compares,
 * looks up and reports only its own). What it divides is the comparison and lookup work and the
 * findings; a check that cannot split its work runs whole in shard 0 only.
 */
import type { Shard } from '../../src/plugin.js';

/** The whole key space: what a run without --shard is. */
export const WHOLE: Shard = { index: 0, count: 1 };

/** FNV-1a over the UTF-8 bytes of `key` (a Redis key's raw bytes as they are), unsigned 32-bit. */
export function keyHash(key: string | Uint8Array): number {
  let h = 0x811c9dc5;
  for (const byte of typeof key === 'string' ? Buffer.from(key, 'utf8') : key) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
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

/** True in the one process that does a check's unsplittable work (counts, samples, aggregates). */
export function isFirstShard(shard: Shard | undefined): boolean {
  return (shard ?? WHOLE).index === 0;
}
