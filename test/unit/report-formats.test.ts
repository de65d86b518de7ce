import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { validateXML } from 'xmllint-wasm';
import { describe, expect, it } from 'vitest';
import { applyConsistency } from '../../src/report/consistency.js';
import { renderJunit } from '../../src/report/junit.js';
import { md, renderMarkdown } from '../../src/report/markdown.js';
import { renderPrometheus } from '../../src/report/prometheus.js';
import { renderSarif } from '../../src/report/sarif.js';
import { HOSTILE, sampleReport } from '../helpers/sample-report.js';

interface PromFamily {
  name: string;
  type: string;
  metrics: Array<{ value: string; labels?: Record<string, string> }>;
}
// A real exposition parser (a port of the Prometheus Python client's); it ships no types.
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[];

const SCHEMAS = 'test/fixtures/report-schemas';

async function junitErrors(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'report.xml', contents: xml }],
    schema: [{ fileName: 'junit.xsd', contents: readFileSync(`${SCHEMAS}/junit.xsd`, 'utf8') }],
  });
  return result.errors.map((e) => e.rawMessage);
}

describe('junit (issue 16.2)', () => {
  it('is valid against the Jenkins JUnit schema, hostile store text included', async () => {
    for (const hostile of [false, true]) {
      expect(await junitErrors(renderJunit(applyConsistency(sampleReport({ hostile }), 99.99)))).toEqual([]);
    }
  });

  it('the validator does reject what Jenkins would not read', async () => {
    expect(await junitErrors('<testsuites><testsuite name="x"/></testsuites>')).not.toEqual([]);
  });

  it('a testsuite per check, a testcase per mapping or relation, failures carrying the findings', () => {
    const xml = renderJunit(applyConsistency(sampleReport()));
    const suite = (id: string) => new RegExp(`<testsuite name="${id}"[^>]*>([\\s\\S]*?)</testsuite>`).exec(xml)?.[1] ?? '';
    const cases = (id: string) => [...suite(id).matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]);
    expect(cases('reference-integrity')).toEqual(['docs', 'clean', 'estimate']);
    expect(cases('orphan-scan')).toEqual(['doc-cache', 'chunks', 'pg-children']);
    expect(cases('health')).toEqual(['health']);
    expect(suite('reference-integrity')).toMatch(
      /name="docs"[^>]*>\s*<failure type="missing-vector" message="missing-vector: row 0 of documents has no vector/,
    );
    expect(suite('reference-integrity')).toMatch(/name="clean"[^>]*>\s*<system-out>100% consistent/);
    expect(suite('orphan-scan')).toMatch(/name="doc-cache"[^>]*>\s*<failure type="orphan-redis-key"/);
    expect(xml).toMatch(/<testsuite name="pool-stress" tests="1" failures="0" errors="0" skipped="1"/);
    expect(xml).toMatch(/<testsuites name="dbcheck" tests="9" failures="3" errors="0"/);
  });

  it('a check that could not finish is an error; a mapping whose findings were all cut at --max-findings still fails', () => {
    const report = sampleReport();
    const ri = report.checks.find((c) => c.id === 'reference-integrity')!;
    // Every kept finding names "docs"; give "clean" problems that exist only in its counters.
    (ri.stats.mappings as Record<string, Record<string, number>>).clean.inconsistentKeys = 4;
    ri.counts.error = 41;
    Object.assign(report.checks.find((c) => c.id === 'health')!, {
      status: 'error',
      error: { code: 'STORE_TIMEOUT', message: 'Redis at r:6379: no answer in 5 s' },
    });
    const xml = renderJunit(report);
    expect(xml).toMatch(/name="clean"[^>]*>\s*<failure type="min-consistency|name="clean"[^>]*>\s*<failure/);
    expect(xml).toMatch(
      /<testsuite name="health" tests="2" failures="0" errors="1"[\s\S]*?<error type="STORE_TIMEOUT" message="Redis at r:6379: no answer in 5 s"/,
    );
  });
});

describe('markdown (issue 16.2)', () => {
  it('a summary table, consistency, the top 10 findings and the rest folded', () => {
    const text = renderMarkdown(applyConsistency(sampleReport(), 99.99));
    expect(text).toMatch(/^## dbcheck: ❌ FINDINGS\n/);
    expect(text).toContain('| reference\\-integrity | ❌ fail | 37 | 0 | 0 | 12 ms |');
    expect(text).toContain('| reference\\-integrity | docs | 99\\.9963% consistent \\(37 of 1,000,000 keys inconsistent\\) |');
    const [top, folded] = text.split('<details>');
    expect(top.match(/^- \*\*/gm)).toHaveLength(10);
    expect(folded).toMatch(/^<summary>6 more<\/summary>/);
    expect(folded.match(/^- \*\*/gm)).toHaveLength(6);
    expect(text).toContain('25 more not in this report');
  });

  it('store text cannot open a link, an image, HTML or a table cell, nor close the fold', () => {
    const text = renderMarkdown(sampleReport({ hostile: true }));
    for (const raw of ['<b>', '</details>[', '](http', '\x1b', '\u202e', '|`']) expect(text).not.toContain(raw);
    expect(md(HOSTILE)).toBe(String.raw`x"y'&lt;b&gt;&amp;&lt;\/details&gt;\[l\]\(http\:\/\/e\.vil\)\*\_\`\|\\x1b\[2J\\u202e\]\]&gt;\\x0a`);
  });
});

describe('prometheus (issue 16.2)', () => {
  const value = (families: PromFamily[], name: string, labels: Record<string, string> = {}) =>
    families.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;

  it('parses, with status, findings, rows compared, durations, ratios and the run time', () => {
    const families = parsePrometheus(renderPrometheus(applyConsistency(sampleReport())));
    expect(value(families, 'dbcheck_check_status', { check: 'orphan-scan', status: 'fail' })).toBe('1');
    expect(value(families, 'dbcheck_check_status', { check: 'orphan-scan', status: 'pass' })).toBe('0');
    expect(value(families, 'dbcheck_check_findings', { check: 'reference-integrity', severity: 'error' })).toBe('37');
    expect(value(families, 'dbcheck_check_findings_by_code', { check: 'rollback-validation', code: 'empty-down', severity: 'warn' })).toBe(
      '1',
    );
    expect(value(families, 'dbcheck_rows_compared', { check: 'reference-integrity' })).toBe('1000000');
    expect(value(families, 'dbcheck_check_duration_seconds', { check: 'health' })).toBe('0.012');
    expect(value(families, 'dbcheck_consistency_ratio', { check: 'reference-integrity', name: 'docs' })).toBe('0.999963');
    expect(value(families, 'dbcheck_consistency_inconsistent', { check: 'orphan-scan', name: 'doc-cache' })).toBe('1');
    expect(value(families, 'dbcheck_run_exit_code')).toBe('1');
    expect(Number(value(families, 'dbcheck_last_complete_run_timestamp_seconds'))).toBe(Date.parse('2026-11-30T00:31:02.500Z') / 1000);
    expect(families.find((f) => f.name === 'dbcheck_check_status')?.type).toBe('GAUGE');
  });

  it('label values survive hostile store text exactly', () => {
    const families = parsePrometheus(renderPrometheus(applyConsistency(sampleReport({ hostile: true }))));
    const names = families.find((f) => f.name === 'dbcheck_consistency_ratio')!.metrics.map((m) => m.labels!.name);
    expect(names).toContain(`docs${HOSTILE}`);
  });

  it('an incomplete run keeps the last complete run time from the earlier file; none before: absent', () => {
    const earlier = renderPrometheus(sampleReport());
    const incomplete = sampleReport({ exitCode: 3 });
    incomplete.startedAt = '2026-12-01T00:00:00.000Z';
    const kept = parsePrometheus(renderPrometheus(incomplete, { previous: earlier }));
    expect(Number(value(kept, 'dbcheck_last_complete_run_timestamp_seconds'))).toBe(Date.parse('2026-11-30T00:31:02.500Z') / 1000);
    expect(Number(value(kept, 'dbcheck_last_run_timestamp_seconds'))).toBe(Date.parse('2026-12-01T00:00:02.500Z') / 1000);
    expect(value(parsePrometheus(renderPrometheus(incomplete)), 'dbcheck_last_complete_run_timestamp_seconds')).toBeUndefined();
  });
});

describe('sarif (issue 16.2)', () => {
  // CommonJS packages: their class and plugin are the `default` export (Node's ESM interop).
  const ajv = new ajvDraft04.default({ allErrors: true, strict: false });
  ajvFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(`${SCHEMAS}/sarif-schema-2.1.0.json`, 'utf8')));

  it('is valid SARIF 2.1.0, with results only for findings that point at a file', () => {
    const log = JSON.parse(renderSarif(sampleReport({ hostile: true }), { cwd: '/repo' }));
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const results = log.runs[0].results;
    expect(results.map((r: { ruleId: string }) => r.ruleId)).toEqual([
      'rollback-validation/destructive-rollback',
      'rollback-validation/empty-down',
    ]);
    expect(results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'db/migrations/0002_users.down.sql', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3 },
    });
    expect(results[1].locations[0].physicalLocation.artifactLocation.uri).toBe('db/migrations/sub%20dir/0003%20x.down.sql');
    expect(results[0].level).toBe('error');
    expect(results[1].level).toBe('warning');
  });

  it('the validator does reject a broken log', () => {
    const log = JSON.parse(renderSarif(sampleReport(), { cwd: '/repo' }));
    log.runs[0].results[0].level = 'fatal';
    expect(validate(log)).toBe(false);
  });

  it('a migrations folder outside the working folder gets a file: URI', () => {
    const log = JSON.parse(renderSarif(sampleReport(), { cwd: '/elsewhere' }));
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({
      uri: 'file:///repo/db/migrations/0002_users.down.sql',
    });
    expect(validate(log)).toBe(true);
  });
});
