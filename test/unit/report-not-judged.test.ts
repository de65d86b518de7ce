/** The table explains a silence: `stats.notJudged` counts (checks/lib/not-judged.ts) under the check. */
import { describe, expect, it } from 'vitest';
import { notJudged } from '../../checks/lib/not-judged.js';
import { notJudgedText, renderTable } from '../../src/report/table.js';
import { sampleReport } from '../helpers/sample-report.js';

describe('not judged: the counts that explain a silence', () => {
  it('adds by reason and skips zero', () => {
    const stats: Record<string, unknown> = {};
    notJudged(stats, 'cache entries stale within their TTL', 2);
    notJudged(stats, 'cache entries stale within their TTL');
    notJudged(stats, 'keys gone between SCAN and the read', 0);
    expect(stats.notJudged).toEqual({ 'cache entries stale within their TTL': 3 });
    expect(notJudgedText(stats)).toBe('3 cache entries stale within their TTL');
    expect(notJudgedText({})).toBeUndefined();
    expect(notJudgedText({ notJudged: { 'a thing': 0 } })).toBeUndefined();
  });

  it('a passing check with tolerated items gets a line under it, escaped like all store text', () => {
    const report = sampleReport();
    const check = report.checks.find((c) => c.findings.length === 0 && c.status !== 'skipped') ?? report.checks[0]!;
    check.stats = { ...check.stats, notJudged: { 'cache entries stale within their TTL (docs\u001b[31m)': 1234 } };
    const text = renderTable(report, { color: false });
    expect(text).toContain(`not judged 1,234 cache entries stale within their TTL (docs\\x1b[31m)`);
    expect(text).not.toContain('\u001b[31m');
  });
});
