/**
 * A third-party check splits keys with what `dbcheck` exports (src/plugin.ts); the built-in checks
 * import the shard rule through checks/lib/shard.ts. Both must be the one rule, so a plugin and a
 * built-in put every key in the same shard: the same functions, and the same answers on the keys
 * where two rules would part (int64 bounds, text just past int64, non-canonical integers, bytes).
 */
import { describe, expect, it } from 'vitest';
import * as builtIn from '../../checks/lib/shard.js';
import * as dbcheck from '../../src/plugin.js';

const EDGE_KEYS: Array<string | Uint8Array> = [
  '-9223372036854775808',
  '9223372036854775807',
  '9223372036854775808',
  '9007199254740993',
  '0',
  '-0',
  '-7',
  '042',
  '+42',
  '',
  'doc:1',
  '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  '日本語',
  Buffer.from('doc:7'),
  Buffer.from('12'),
];

describe('the shard rule exported to plugins', () => {
  it('is the very functions the built-in checks use', () => {
    expect(dbcheck.shardOf).toBe(builtIn.shardOf);
    expect(dbcheck.shardFilter).toBe(builtIn.shardFilter);
    expect(dbcheck.shardSql).toBe(builtIn.shardSql);
    expect(dbcheck.isFirstShard).toBe(builtIn.isFirstShard);
  });

  it('gives the documented shard on edge keys', () => {
    // int64 text: its value mod n; anything else: first 32 bits of MD5 mod n (md5('') = d41d8cd9...).
    expect(dbcheck.shardOf('-7', 3)).toBe(2);
    expect(dbcheck.shardOf('9223372036854775807', 10)).toBe(7);
    expect(dbcheck.shardOf('-9223372036854775808', 10)).toBe(2);
    expect(dbcheck.shardOf('', 7)).toBe(0xd41d8cd9 % 7);
    expect(dbcheck.shardOf(Buffer.from('12'), 5)).toBe(2);
    for (const count of [2, 3, 7, 1000]) {
      for (const key of EDGE_KEYS) expect(dbcheck.shardOf(key, count)).toBe(builtIn.shardOf(key, count));
      const mine = dbcheck.shardFilter({ index: 1, count });
      for (const key of EDGE_KEYS) expect(mine(key)).toBe(dbcheck.shardOf(key, count) === 1);
    }
  });

  it('gives a Postgres condition for a shard and none for the whole run', () => {
    expect(dbcheck.shardSql(undefined, { integer: 'id' })).toBeUndefined();
    expect(dbcheck.shardSql({ index: 1, count: 4 }, { integer: 'id' })).toBe('(((id) % 4) + 4) % 4 = 1');
    expect(dbcheck.isFirstShard({ index: 0, count: 4 })).toBe(true);
    expect(dbcheck.isFirstShard({ index: 2, count: 4 })).toBe(false);
  });
});
