import { describe, expect, it } from 'vitest';
import referenceIntegrity from '../../checks/reference-integrity/index.js';
import { mergeReports } from '../../src/engine/merge.js';
import { applyConsistency, consistencyOf, consistencyText, percentText } from '../../src/report/consistency.js';
import { reportSchema } from '../../src/report/schema.js';
import { renderJson } from '../../src/report/json.js';
import { renderPrometheus } from '../../src/report/prometheus.js';
import { renderTable } from '../../src/report/table.js';
import { sampleReport } from '../helpers/sample-report.js';

describe('consistency ratios (issue 16.3)', () => {
  it('reads them from exact counts: reference-integrity keys, orphan-scan Milvus entities and Redis keys', () => {
    const report = sampleReport();
    const ri = consistencyOf(report.checks.find((c) => c.id === 'reference-integrity')!);
    // counts mode compares no key: no ratio, never a guess.
    expect(ri.map((c) => [c.name, c.compared, c.inconsistent])).toEqual([
      ['docs', 1_000_000, 37],
      ['clean', 500, 0],
    ]);
    expect(consistencyText(ri[0])).toBe('99.9963% consistent (37 of 1,000,000 keys inconsistent)');
    expect(consistencyText(ri[1])).toBe('100% consistent (0 of 500 keys inconsistent)');
    const os = consistencyOf(report.checks.find((c) => c.id === 'orphan-scan')!);
    // A Postgres relation without its child-row count (a report from before it was counted): no ratio.
    expect(os.map((c) => [c.name, c.unit, c.compared, c.inconsistent])).toEqual([
      ['doc-cache', 'keys', 200, 1],
      ['chunks', 'entities', 1_000_000, 0],
    ]);
  });

  it('orphan-scan Postgres relations (child rows counted apart) and cache-drift mappings (entries judged) have one too', () => {
    const os = consistencyOf({
      id: 'orphan-scan',
      stats: { relations: { chunks: { kind: 'postgres', childRows: 80, orphanRows: 30 }, clean: { kind: 'postgres', childRows: 5 } } },
    });
    expect(os.map((c) => [c.name, c.unit, c.compared, c.inconsistent])).toEqual([
      ['chunks', 'rows', 80, 30],
      ['clean', 'rows', 5, 0],
    ]);
    expect(consistencyText(os[0])).toBe('62.5000% consistent (30 of 80 rows orphaned)');
    const cd = consistencyOf({
      id: 'cache-drift',
      stats: {
        mappings: { docs: { entriesCompared: 1000, inconsistentEntries: 3 }, none: { entriesCompared: 0, inconsistentEntries: 0 } },
      },
    });
    expect(cd.map((c) => consistencyText(c))).toEqual(['99.7000% consistent (3 of 1,000 entries drifted)']);
  });

  it('those ratios reach the table, the JSON and Prometheus like the others', () => {
    const report = sampleReport();
    const orphan = report.checks.find((c) => c.id === 'orphan-scan')!;
    orphan.stats.relations = { chunks: { kind: 'postgres', childRows: 80, orphanRows: 30 } };
    report.checks.push({
      ...structuredClone(orphan),
      id: 'cache-drift',
      stats: { mappings: { docs: { entriesCompared: 1000, inconsistentEntries: 3 } } },
    });
    applyConsistency(report);
    const table = renderTable(report, { color: false });
    expect(table).toContain('62.5000% consistent (30 of 80 rows orphaned)');
    expect(table).toContain('99.7000% consistent (3 of 1,000 entries drifted)');
    expect(JSON.parse(renderJson(report)).checks.find((c: { id: string }) => c.id === 'cache-drift').consistency).toEqual([
      { name: 'docs', kind: 'mapping', unit: 'entries', problem: 'drifted', compared: 1000, inconsistent: 3, ratio: 0.997 },
    ]);
    const prom = renderPrometheus(report);
    expect(prom).toContain('dbcheck_consistency_ratio{check="orphan-scan",kind="relation",name="chunks"} 0.625');
    expect(prom).toContain('dbcheck_consistency_ratio{check="cache-drift",kind="mapping",name="docs"} 0.997');
  });

  it('rounds down: one bad item in a billion is never shown as 100%', () => {
    expect(percentText({ ratio: (1e9 - 1) / 1e9, inconsistent: 1 })).toBe('99.9999%');
    expect(percentText({ ratio: 0.5, inconsistent: 1 })).toBe('50.0000%');
    expect(percentText({ ratio: 1, inconsistent: 0 })).toBe('100%');
  });

  it('a sample gives an estimate, marked so; nothing compared gives no ratio', () => {
    const sampled = consistencyOf({
      id: 'reference-integrity',
      stats: {
        mappings: {
          s: { mode: 'sample', rowsCompared: 1000, inconsistentKeys: 2 },
          empty: { mode: 'full', rowsCompared: 0, inconsistentKeys: 0 },
        },
      },
    });
    expect(sampled).toHaveLength(1);
    expect(consistencyText(sampled[0])).toBe('≈ 99.8000% consistent (2 of 1,000 keys inconsistent)');
  });

  it('--min-consistency fails the check and makes exit 0 into 1; an exact boundary passes', () => {
    const clean = sampleReport({ exitCode: 0 });
    const orphan = clean.checks.find((c) => c.id === 'orphan-scan')!;
    orphan.status = 'pass';
    orphan.stats.relations = { r: { kind: 'redis', rowsCompared: 10_000, orphanKeys: 1 } };
    clean.summary.checks = { pass: 2, fail: 2, error: 0, skipped: 1 };
    // 9,999 of 10,000 = exactly 99.99%: not below.
    expect(applyConsistency(structuredClone(clean), 99.99).exitCode).toBe(0);
    const failed = applyConsistency(structuredClone(clean), 99.995);
    expect(failed.exitCode).toBe(1);
    expect(failed.minConsistency).toBe(99.995);
    const r = failed.checks.find((c) => c.id === 'orphan-scan')!;
    expect(r.status).toBe('fail');
    expect(r.consistency![0].belowMinimum).toBe(true);
    expect(failed.summary.checks).toEqual({ pass: 1, fail: 3, error: 0, skipped: 1 });
    // Without the flag nothing changes but the ratios being there.
    expect(applyConsistency(structuredClone(clean)).exitCode).toBe(0);
  });

  it('an incomplete run keeps its exit code (3 outranks findings)', () => {
    expect(applyConsistency(sampleReport({ exitCode: 3 }), 100).exitCode).toBe(3);
  });

  it('the JSON report with ratios matches the report schema', () => {
    const report = applyConsistency(sampleReport(), 99.99);
    const parsed = reportSchema.safeParse(JSON.parse(renderJson(report)));
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(JSON.parse(renderJson(report)).checks.find((c: { id: string }) => c.id === 'reference-integrity').consistency[0]).toEqual({
      name: 'docs',
      kind: 'mapping',
      unit: 'keys',
      problem: 'inconsistent',
      compared: 1_000_000,
      inconsistent: 37,
      ratio: 0.999963,
    });
  });

  it("a merged sharded run gets ratios from the summed counts, not shard 0's (as `dbcheck merge` applies them)", () => {
    const shard = (index: number, compared: number, bad: number) => {
      const r = applyConsistency(sampleReport());
      r.shard = { index, count: 2 };
      r.checks = r.checks.filter((c) => c.id === 'reference-integrity');
      r.checks[0].stats = { rowsCompared: compared, mappings: { docs: { mode: 'full', rowsCompared: compared, inconsistentKeys: bad } } };
      r.checks[0].statRules = referenceIntegrity.meta.stats; // as a sharded run writes it
      return applyConsistency(r);
    };
    const merged = applyConsistency(mergeReports([shard(0, 600_000, 30), shard(1, 400_000, 7)]), 99.999);
    expect(merged.checks[0].consistency).toEqual([
      {
        name: 'docs',
        kind: 'mapping',
        unit: 'keys',
        problem: 'inconsistent',
        compared: 1_000_000,
        inconsistent: 37,
        ratio: 0.999963,
        belowMinimum: true,
      },
    ]);
    expect(merged.exitCode).toBe(1);
  });
});
