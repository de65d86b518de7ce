/**
 * Reports for the reporter tests, shaped like real runs: reference-integrity and orphan-scan stats
 * as those checks write them, health's Stores section, rollback-validation's file findings. Store
 * text can be made hostile with `hostile`.
 */
import { summarySection } from '../../checks/reference-integrity/index.js';
import type { CheckResult, Finding, Report } from '../../src/engine/result.js';

export const HOSTILE = 'x"y\'<b>&</details>[l](http://e.vil)*_`|\x1b[2J\u202e]]>\n';

function finding(
  checkId: string,
  code: string,
  severity: Finding['severity'],
  message: string,
  data: Record<string, unknown>,
  key?: string,
): Finding {
  return {
    checkId,
    code,
    severity,
    message,
    data,
    subject: { key },
    fingerprint: `${checkId.length.toString(16).padStart(8, '0')}${code.length.toString(16).padStart(8, '0')}`,
  };
}

function check(over: Partial<CheckResult> & Pick<CheckResult, 'id'>): CheckResult {
  return {
    title: over.id,
    status: 'pass',
    durationMs: 12,
    counts: { error: 0, warn: 0, info: 0 },
    countsByCode: {},
    findings: [],
    truncated: false,
    stats: {},
    ...over,
  };
}

export function sampleReport(opts: { hostile?: boolean; exitCode?: number } = {}): Report {
  const name = (s: string) => (opts.hostile ? `${s}${HOSTILE}` : s);
  const docs = name('docs');
  const missing = Array.from({ length: 12 }, (_, i) =>
    finding(
      'reference-integrity',
      'missing-vector',
      'error',
      `row ${name(String(i))} of documents has no vector in docs_vec`,
      { mapping: docs, key: String(i) },
      String(i),
    ),
  );
  const read = { postgresSnapshotAt: '2026-11-30T00:31:02.123Z', milvusReadStartedAt: '2026-11-30T00:31:02.456Z' };
  const referenceMappings: Record<string, Record<string, unknown>> = {
    [docs]: {
      mode: 'full',
      rowsCompared: 1_000_000,
      postgresRows: 999_990,
      milvusEntities: 999_963,
      inconsistentKeys: 37,
      missing: 37,
      orphans: 0,
      duplicateKeys: 0,
      stale: 0,
      pending: 0,
      ...read,
    },
    clean: {
      mode: 'full',
      rowsCompared: 500,
      postgresRows: 500,
      milvusEntities: 500,
      inconsistentKeys: 0,
      missing: 0,
      orphans: 0,
      duplicateKeys: 0,
      stale: 0,
      pending: 0,
      ...read,
    },
    estimate: { mode: 'counts', missingAtLeast: 0 },
  };
  const checks: CheckResult[] = [
    check({
      id: 'health',
      stats: {},
      sections: [
        {
          title: 'Stores',
          columns: ['store', 'address', 'version', 'latency ms (median)', 'capacity', 'state'],
          rows: [
            [
              'postgres',
              'postgres://auditor@db-primary.internal.example.com:5432/application_production',
              'PostgreSQL 16.4 (Debian 16.4-1.pgdg120+2)',
              0.41,
              '37 of 100 connections (max_connections), 12 idle in transaction',
              'up',
            ],
            [
              'redis',
              'redis://cache-cluster-0001.example.com:6379/0',
              '7.2.4',
              0.12,
              'used_memory 1.2 GiB of maxmemory 4 GiB (allkeys-lru)',
              'up',
            ],
            ['milvus', 'milvus.example.com:19530', '2.4.9', null, '', 'unreachable'],
          ],
        },
      ],
    }),
    check({
      id: 'orphan-scan',
      status: 'fail',
      counts: { error: 1, warn: 0, info: 0 },
      countsByCode: { 'orphan-redis-key': 1 },
      findings: [
        finding('orphan-scan', 'orphan-redis-key', 'error', `key doc:${name('9')} has no parent`, {
          relation: 'doc-cache',
          key: `doc:${name('9')}`,
        }),
      ],
      stats: {
        rowsCompared: 1_000_200,
        relations: {
          'doc-cache': { kind: 'redis', rowsCompared: 200, orphanKeys: 1 },
          chunks: { kind: 'milvus', rowsCompared: 3, entities: 1_000_000, orphanEntities: 0 },
          'pg-children': { kind: 'postgres', rowsCompared: 0 },
        },
      },
    }),
    check({
      id: 'reference-integrity',
      status: 'fail',
      counts: { error: 37, warn: 0, info: 0 },
      countsByCode: { 'missing-vector': 37 },
      findings: missing,
      truncated: true,
      stats: { rowsCompared: 1_000_000, mappings: referenceMappings },
      // The check's own table, from the stats of the mappings it compared by key.
      sections: [summarySection({ [docs]: referenceMappings[docs]!, clean: referenceMappings.clean! })],
    }),
    check({
      id: 'rollback-validation',
      status: 'fail',
      counts: { error: 1, warn: 2, info: 0 },
      countsByCode: { 'destructive-rollback': 1, 'empty-down': 1, 'missing-file': 1 },
      findings: [
        finding('rollback-validation', 'destructive-rollback', 'error', `down of 0002 drops table ${name('users')} (12 rows)`, {
          migration: '0002',
          file: '0002_users.down.sql',
          line: 3,
        }),
        finding('rollback-validation', 'empty-down', 'warn', 'down of 0003 is empty', {
          migration: '0003',
          file: 'sub dir/0003 x.down.sql',
        }),
        finding('rollback-validation', 'missing-file', 'warn', 'tracking table lists 0009 with no file', { migration: '0009' }),
      ],
      stats: { migrationsDir: '/repo/db/migrations' },
    }),
    check({ id: 'pool-stress', status: 'skipped', durationMs: 0, skipReason: 'opt-in: enable it or name it with --only' }),
  ];
  return {
    schemaVersion: 1,
    tool: { name: 'dbcheck', version: '1.2.3' },
    startedAt: '2026-11-30T00:31:00.000Z',
    durationMs: 2500,
    failOn: 'error',
    exitCode: opts.exitCode ?? 1,
    summary: { checks: { pass: 1, fail: 3, error: 0, skipped: 1 }, findings: { error: 39, warn: 2, info: 0 }, unreachableStores: [] },
    stores: [],
    checks,
  };
}
