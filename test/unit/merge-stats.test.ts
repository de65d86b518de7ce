/** `dbcheck merge`: each stat of a sharded check combines by the rule its check declared, never blindly summed. */
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../checks/index.js';
import type { Report } from '../../src/engine/result.js';
import { mergeReports, mergeStats } from '../../src/engine/merge.js';
import { perName, type StatShape } from '../../src/plugin.js';

describe('merge by declared rules', () => {
  it('sums counters, takes extremes of maxima and minima, at any depth', () => {
    const rules: StatShape = {
      rowsCompared: 'sum',
      batchSize: 'max',
      minMs: 'min',
      mappings: perName({ missing: 'sum', postgresRowsRead: 'sum', mode: 'text' }),
    };
    const merged = mergeStats(
      [
        { rowsCompared: 10, mappings: { docs: { missing: 1, postgresRowsRead: 4, mode: 'full' } }, batchSize: 1000, minMs: 5 },
        { rowsCompared: 7, mappings: { docs: { missing: 2, postgresRowsRead: 3, mode: 'full' } }, batchSize: 4000, minMs: 2 },
        { rowsCompared: 1, mappings: { docs: { missing: 0, postgresRowsRead: 5, mode: 'full' } }, batchSize: 2000, minMs: 9 },
      ],
      rules,
    );
    expect(merged).toEqual({
      rowsCompared: 18,
      mappings: { docs: { missing: 3, postgresRowsRead: 12, mode: 'full' } },
      batchSize: 4000,
      minMs: 2,
    });
  });

  it('keeps an undeclared number or a `same` one equal in every shard; drops one that differs (listed), never a sum', () => {
    const parts = [
      { pageSize: 500, serverVersion: 23, ratio: 0.5, rowsCompared: 3 },
      { pageSize: 500, serverVersion: 23, ratio: 0.25, rowsCompared: 4 },
    ];
    expect(mergeStats(parts, { serverVersion: 'same', ratio: 'same' })).toEqual({
      pageSize: 500,
      serverVersion: 23,
      unmerged: ['ratio', 'rowsCompared'],
    });
    // No declaration at all (a plain-object plugin): the same safe default, whatever the names.
    expect(mergeStats(parts)).toEqual({ pageSize: 500, serverVersion: 23, unmerged: ['ratio', 'rowsCompared'] });
  });

  it('counts by name with perName("sum"); flags raised anywhere; lists of names united; facts and text are shard 0\'s', () => {
    const rules: StatShape = {
      findings: perName('sum'),
      stoppedAtMaxKeys: 'flag',
      failedRelations: 'names',
      mode: 'text',
      postgres: 'fact',
    };
    const merged = mergeStats(
      [
        { findings: { mismatch: 2 }, stoppedAtMaxKeys: false, failedRelations: ['a'], mode: 'x', postgres: { latencyMs: 3 } },
        {
          findings: { mismatch: 1, 'orphan-key': 4 },
          stoppedAtMaxKeys: true,
          failedRelations: ['b', 'a'],
          mode: 'y',
          postgres: { latencyMs: 9 },
        },
      ],
      rules,
    );
    expect(merged).toEqual({
      findings: { mismatch: 3, 'orphan-key': 4 },
      stoppedAtMaxKeys: true,
      failedRelations: ['a', 'b'],
      mode: 'x',
      postgres: { latencyMs: 3 },
    });
  });

  it('a stat present in some shards only (counts mode runs in shard 0) keeps its value', () => {
    const rules: StatShape = { mappings: perName({ ranges: 'sum', rangesDiffering: 'sum' }) };
    expect(mergeStats([{ mappings: { c: { ranges: 8, rangesDiffering: 1 } } }, { mappings: {} }], rules)).toEqual({
      mappings: { c: { ranges: 8, rangesDiffering: 1 } },
    });
  });
});

describe("a third-party check's own rules travel in the shard reports", () => {
  /** One shard's report of a plugin check 'acme/rows' with the given stats and rules. */
  const shard = (index: number, stats: Record<string, unknown>, statRules?: StatShape): Report => ({
    schemaVersion: 1,
    tool: { name: 'dbcheck', version: '0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    failOn: 'error',
    shard: { index, count: 2 },
    exitCode: 0,
    summary: { checks: { pass: 1, fail: 0, error: 0, skipped: 0 }, findings: { error: 0, warn: 0, info: 0 }, unreachableStores: [] },
    stores: [],
    checks: [
      {
        id: 'acme/rows',
        title: 'rows',
        status: 'pass',
        durationMs: 1,
        counts: { error: 0, warn: 0, info: 0 },
        countsByCode: {},
        findings: [],
        truncated: false,
        stats,
        ...(statRules ? { statRules } : {}),
      },
    ],
  });
  const rules: StatShape = { rowsScanned: 'sum', slowestMs: 'max', tables: perName({ rows: 'sum' }) };
  const stats = [
    { rowsScanned: 40, slowestMs: 12, lagMs: 5, tables: { docs: { rows: 40 } } },
    { rowsScanned: 60, slowestMs: 30, lagMs: 7, tables: { docs: { rows: 50 }, chunks: { rows: 10 } } },
  ];

  it('sums a declared sum, takes the max of a declared max, keeps an undeclared number only when equal', () => {
    const merged = mergeReports([shard(0, stats[0], rules), shard(1, stats[1], rules)]);
    expect(merged.checks[0].stats).toEqual({
      rowsScanned: 100,
      slowestMs: 30,
      tables: { docs: { rows: 90 }, chunks: { rows: 10 } },
      unmerged: ['lagMs'],
    });
  });

  it('the same numbers without declared rules (an older report, a plain-object plugin) are never summed', () => {
    const merged = mergeReports([shard(0, stats[0]), shard(1, stats[1])]);
    expect(merged.checks[0].stats).toEqual({
      tables: { docs: {}, chunks: { rows: 10 } },
      unmerged: ['rowsScanned', 'slowestMs', 'lagMs', 'tables.docs.rows'],
    });
  });

  it('a report without rules merges by the rules the caller knows for its check id (the CLI passes the built-ins)', () => {
    const merged = mergeReports([shard(0, stats[0]), shard(1, stats[1])], undefined, { 'acme/rows': rules });
    expect(merged.checks[0].stats.rowsScanned).toBe(100);
  });

  it("built-ins' declarations: index-freshness's per-document counters and every check's notJudged counts are summed", () => {
    const indexFreshness = builtinChecks.find((c) => c.meta.id === 'index-freshness')!;
    const parts = [
      {
        documents: { docs: { kind: 'docstore', compared: 40, stale: 1 } },
        notJudged: { 'documents changed within the grace window (docs)': 2 },
      },
      {
        documents: { docs: { kind: 'docstore', compared: 60, stale: 0 } },
        notJudged: { 'documents changed within the grace window (docs)': 3 },
      },
    ];
    expect(mergeStats(parts, indexFreshness.meta.stats)).toEqual({
      documents: { docs: { kind: 'docstore', compared: 100, stale: 1 } },
      notJudged: { 'documents changed within the grace window (docs)': 5 },
    });
  });

  it('every built-in shardable check declares its stats, and every declaration is valid report data', () => {
    for (const check of builtinChecks.filter((c) => c.meta.shardable)) expect(check.meta.stats, check.meta.id).toBeDefined();
    // The declaration is plain data: what a report carries is what the check declared.
    for (const check of builtinChecks) expect(JSON.parse(JSON.stringify(check.meta.stats ?? {}))).toEqual(check.meta.stats ?? {});
  });
});
