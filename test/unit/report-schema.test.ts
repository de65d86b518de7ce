import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportJsonSchema, reportSchema } from '../../src/report/schema.js';
import { renderJson } from '../../src/report/json.js';
import type { Report } from '../../src/engine/result.js';

describe('JSON report schema', () => {
  it('docs/report.schema.json is generated from src/report/schema.ts (run `npm run docs:schema`)', () => {
    expect(JSON.parse(readFileSync('docs/report.schema.json', 'utf8'))).toEqual(reportJsonSchema());
  });

  it('accepts a rendered report and rejects one missing a field', () => {
    const report: Report = {
      schemaVersion: 1,
      tool: { name: 'dbcheck', version: '1.2.3' },
      startedAt: new Date(0).toISOString(),
      durationMs: 5,
      failOn: 'error',
      exitCode: 1,
      summary: { checks: { pass: 0, fail: 1, error: 0, skipped: 0 }, findings: { error: 1, warn: 0, info: 0 }, unreachableStores: [] },
      stores: [{ kind: 'postgres', configured: true, connected: true, address: 'postgres://u@h:5432/d' }],
      checks: [
        {
          id: 'x',
          title: 'X',
          status: 'fail',
          durationMs: 1,
          counts: { error: 1, warn: 0, info: 0 },
          countsByCode: { bad: 1 },
          findings: [{ checkId: 'x', code: 'bad', severity: 'error', message: 'bad', fingerprint: '0123456789abcdef' }],
          truncated: false,
          stats: {},
        },
      ],
    };
    expect(reportSchema.safeParse(JSON.parse(renderJson(report))).success).toBe(true);
    const { summary: _drop, ...broken } = report;
    expect(reportSchema.safeParse(broken).success).toBe(false);
  });
});
