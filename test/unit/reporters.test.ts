/**
 * The table and JSON reporters on fixed reports, made by the real engine from inline checks (no
 * servers) with the clock fields pinned: what each check's status, findings, errors, sections and
 * skips look like, the verdict line, colour only when asked, and store text escaped.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { planAudit } from '../../src/engine/plan.js';
import type { Report } from '../../src/engine/result.js';
import { runAudit } from '../../src/engine/run.js';
import { renderJson } from '../../src/report/json.js';
import { render } from '../../src/report/index.js';
import { CheckError, defineCheck, type Check } from '../../src/plugin.js';

const codes = {
  'bad-row': { severity: 'error' as const, message: (d: { key?: unknown }) => `row ${d.key} is bad` },
  'odd-row': { severity: 'warn' as const, message: (d: { key?: unknown }) => `row ${d.key} is odd` },
};

const checks: Check[] = [
  defineCheck({
    meta: { id: 'finds', title: 'Finds rows', requires: [], codes },
    async run(ctx) {
      for (let i = 1; i <= 12; i++) ctx.report({ code: 'odd-row', data: { key: i } });
      // Store text with a terminal escape sequence: it must never reach the terminal raw.
      ctx.report({ code: 'bad-row', data: { key: '\u001b[2Jevil' } });
      return {
        sections: [
          {
            title: 'Phases',
            columns: ['phase', 'ops'],
            rows: [
              ['burst', 120],
              ['idle', null],
            ],
          },
        ],
      };
    },
  }),
  defineCheck({ meta: { id: 'clean', title: 'Clean', requires: [], codes }, async run() {} }),
  defineCheck({
    meta: { id: 'broken', title: 'Broken', requires: [], codes },
    async run() {
      throw new CheckError('STORE_TIMEOUT', 'Redis at redis://cache:6379: no answer in 2000 ms');
    },
  }),
  defineCheck({ meta: { id: 'later', title: 'Later', requires: [], codes }, async run() {} }),
];

let report: Report;

beforeAll(async () => {
  const raw = { stores: { redis: { host: 'memory.invalid' } }, run: { maxFindings: 100 }, checks: { later: { enabled: false } } };
  const { config } = resolveConfig(raw, { baseDir: process.cwd(), env: {} });
  const { plan, errors } = planAudit(
    config!,
    checks.map((check) => ({ check, source: 'test' })),
    {},
  );
  expect(errors).toEqual([]);
  report = await runAudit({ config: config!, plan, version: '9.9.9' });
  // Fixed: the clock is the only thing that varies between runs.
  report.startedAt = '2026-01-01T00:00:00.000Z';
  report.durationMs = 1500;
  for (const c of report.checks) c.durationMs = c.status === 'skipped' ? 0 : 12;
});

describe('table reporter', () => {
  const table = () => render(report, 'table', { color: false });

  it('one summary row per check with its status and counts, skipped ones said why', () => {
    const text = table();
    expect(text).toMatch(/finds\s*│\s*fail\s*│\s*1\s*│\s*12\s*│/);
    expect(text).toMatch(/clean\s*│\s*pass\s*│/);
    expect(text).toMatch(/broken\s*│\s*error \(partial\)\s*│/);
    expect(text).toContain('skipped: later (disabled in config)');
  });

  it('findings most severe first, the first 10 shown, the rest counted; errors and sections under their check', () => {
    const lines = table().split('\n');
    const first = lines.findIndex((l) => l.includes('bad-row'));
    expect(lines[first]).toMatch(/^\s+error bad-row\s+row \\x1b\[2Jevil is bad$/);
    expect(lines.filter((l) => /^\s+warn\s+odd-row/.test(l))).toHaveLength(9);
    expect(table()).toContain('… 3 more not shown (totals: odd-row 12, bad-row 1)');
    expect(table()).toContain('error Redis at redis://cache:6379: no answer in 2000 ms');
    expect(table()).toMatch(/Phases[\s\S]*burst\s*│\s*120/);
  });

  it('never lets store text reach the terminal raw, and colours only when asked', () => {
    expect(table()).not.toContain('\u001b');
    expect(render(report, 'table', { color: true })).toContain('\u001b[31m');
  });

  it('ends with the verdict and the exit code', () => {
    expect(report.exitCode).toBe(3);
    expect(table().trimEnd().split('\n').at(-1)).toBe(
      'INCOMPLETE 1 errors, 12 warnings, 0 info; 1 check(s) could not finish — 1.5 s, exit 3',
    );
  });
});

describe('JSON reporter', () => {
  it('is the report itself, one document ending in a newline', () => {
    const text = renderJson(report);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(report)));
    expect(JSON.parse(text)).toMatchObject({ schemaVersion: 1, tool: { name: 'dbcheck', version: '9.9.9' }, exitCode: 3 });
  });

  it('writes bidi and C1 characters as \\u escapes: the exact text for a parser, none raw for a terminal', () => {
    const r = structuredClone(report);
    r.checks.find((c) => c.id === 'finds')!.findings[0].message = 'key \u202eevil\u0085 \u2066x\u2069';
    const text = renderJson(r);
    expect(text).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text).toContain('key \\u202eevil\\u0085 \\u2066x\\u2069');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(r)));
  });

  it('keeps every finding up to --max-findings and the exact counts', () => {
    const finds = JSON.parse(renderJson(report)).checks.find((c: { id: string }) => c.id === 'finds');
    expect(finds.findings).toHaveLength(13);
    expect(finds.findings[0]).toMatchObject({ code: 'bad-row', severity: 'error', message: 'row \u001b[2Jevil is bad' });
    expect(finds.countsByCode).toEqual({ 'odd-row': 12, 'bad-row': 1 });
  });
});
