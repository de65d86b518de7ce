/** `dbcheck merge`: each stat of a sharded check combines by its rule (sum, max, min, same), never blindly summed. */
import { describe, expect, it } from 'vitest';
import { mergeStats, STAT_RULES } from '../../src/engine/merge.js';

describe('merge rules per stat', () => {
  it('sums counters, takes extremes of maxima and minima, at any depth', () => {
    const merged = mergeStats([
      { rowsCompared: 10, mappings: { docs: { missing: 1, postgresRowsRead: 4, mode: 'full' } }, batchSize: 1000, minMs: 5 },
      { rowsCompared: 7, mappings: { docs: { missing: 2, postgresRowsRead: 3, mode: 'full' } }, batchSize: 4000, minMs: 2 },
      { rowsCompared: 1, mappings: { docs: { missing: 0, postgresRowsRead: 5, mode: 'full' } }, batchSize: 2000, minMs: 9 },
    ]);
    expect(merged).toEqual({
      rowsCompared: 18,
      mappings: { docs: { missing: 3, postgresRowsRead: 12, mode: 'full' } },
      batchSize: 4000,
      minMs: 2,
    });
  });

  it('keeps a setting or version equal in every shard; drops one that differs (listed), never a sum', () => {
    const merged = mergeStats([
      { pageSize: 500, serverVersion: 23, ratio: 0.5 },
      { pageSize: 500, serverVersion: 23, ratio: 0.25 },
    ]);
    expect(merged).toEqual({ pageSize: 500, serverVersion: 23, unmerged: ['ratio'] });
    expect(STAT_RULES.ratio).toBeUndefined(); // unknown names fall back to `same`
  });

  it("counts cache-drift's findings by code whatever the code; flags raised anywhere; lists of names united", () => {
    const merged = mergeStats([
      { findings: { mismatch: 2 }, stoppedAtMaxKeys: false, failedRelations: ['a'] },
      { findings: { mismatch: 1, 'orphan-key': 4 }, stoppedAtMaxKeys: true, failedRelations: ['b', 'a'] },
    ]);
    expect(merged).toEqual({ findings: { mismatch: 3, 'orphan-key': 4 }, stoppedAtMaxKeys: true, failedRelations: ['a', 'b'] });
  });

  it('a stat present in some shards only (counts mode runs in shard 0) keeps its value', () => {
    expect(mergeStats([{ mappings: { c: { ranges: 8, rangesDiffering: 1 } } }, { mappings: {} }])).toEqual({
      mappings: { c: { ranges: 8, rangesDiffering: 1 } },
    });
  });
});
