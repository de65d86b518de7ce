/**
 * --report FORMAT:PATH and --min-consistency through the real CLI against real Postgres and Redis:
 * an orphan-scan Redis relation with 1 orphan key among 200 (99.5% consistent).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import {
  createPgSchema,
  createRedisPrefix,
  PG_DATABASE,
  PG_HOST,
  PG_PORT,
  PG_USER,
  REDIS_HOST,
  REDIS_PORT,
  type PgFixture,
  type RedisFixture,
} from '../helpers/stores.js';

const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => Array<{ name: string; metrics: Array<{ value: string; labels?: Record<string, string> }> }>;

describe('--report and --min-consistency (issue 16.2, 16.3)', () => {
  let pg: PgFixture;
  let redis: RedisFixture;
  let dir: string;

  beforeAll(async () => {
    pg = await createPgSchema('report_formats');
    redis = await createRedisPrefix('report_formats');
    await pg.client.query(`CREATE TABLE "${pg.schema}".documents (id bigint PRIMARY KEY)`);
    await pg.client.query(`INSERT INTO "${pg.schema}".documents SELECT generate_series(1, 199)`);
    for (let i = 1; i <= 200; i++) await redis.redis.set(`${redis.prefix}doc:${i}`, 'x'); // doc:200 has no row
    // The orphan is only info: the findings alone do not fail the run, the ratio can.
    dir = tempDir({
      'dbcheck.yml': `stores:
  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE} }
  redis: { host: ${REDIS_HOST}, port: ${REDIS_PORT} }
checks:
  orphan-scan:
    redis:
      - name: doc-cache
        pattern: '${redis.prefix}doc:{id}'
        parent: { schema: ${pg.schema}, table: documents, column: id }
    severity: { orphan-redis-key: info }
`,
    });
  }, 60_000);
  afterAll(async () => {
    await redis?.cleanup();
    await pg?.cleanup();
  });

  it('writes every report atomically beside the table; the ratio is exact in each', async () => {
    const r = await runCli(
      [
        'audit',
        '--only',
        'orphan-scan',
        '--report',
        'junit:out/r.xml',
        '--report',
        'prometheus:out/r.prom',
        '--report',
        'markdown:out/r.md',
        '--report',
        'json:out/r.json',
        '--report',
        'sarif:out/r.sarif',
      ],
      { cwd: dir, env: { COLUMNS: '80' } },
    );
    expect(r.code, r.stderr).toBe(2); // out/ does not exist: refused before any store is touched
    expect(r.stderr).toBe('dbcheck: invalid option\n  --report junit:out/r.xml: folder ' + path.join(dir, 'out') + ' does not exist\n');

    const ok = await runCli(
      [
        'audit',
        '--only',
        'orphan-scan',
        '--report',
        'junit:r.xml',
        '--report',
        'prometheus:r.prom',
        '--report',
        'markdown:r.md',
        '--report',
        'json:r.json',
        '--report',
        'sarif:r.sarif',
      ],
      { cwd: dir, env: { COLUMNS: '80' } },
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('relation doc-cache: 99.5000% consistent (1 of 200 keys');
    expect(Math.max(...ok.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    // No temp file left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const json = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8'));
    expect(json.checks.find((c: { id: string }) => c.id === 'orphan-scan').consistency).toEqual([
      { name: 'doc-cache', kind: 'relation', unit: 'keys', problem: 'orphaned', compared: 200, inconsistent: 1, ratio: 0.995 },
    ]);
    const prom = parsePrometheus(readFileSync(path.join(dir, 'r.prom'), 'utf8'));
    expect(prom.find((f) => f.name === 'dbcheck_consistency_ratio')!.metrics).toEqual([
      { value: '0.995', labels: { check: 'orphan-scan', kind: 'relation', name: 'doc-cache' } },
    ]);
    const xml = readFileSync(path.join(dir, 'r.xml'), 'utf8');
    const valid = await validateXML({
      xml: [{ fileName: 'r.xml', contents: xml }],
      schema: [{ fileName: 'junit.xsd', contents: readFileSync('test/fixtures/report-schemas/junit.xsd', 'utf8') }],
    });
    expect(valid.errors).toEqual([]);
    expect(xml).toMatch(/<testcase classname="dbcheck.orphan-scan" name="doc-cache"/);
    expect(readFileSync(path.join(dir, 'r.md'), 'utf8')).toContain('## dbcheck: ✅ OK');
    expect(JSON.parse(readFileSync(path.join(dir, 'r.sarif'), 'utf8')).runs[0].results).toEqual([]);
  }, 120_000);

  it('--min-consistency: below it exit 1, at it exactly exit 0; a bad value is exit 2', async () => {
    const below = await runCli(['audit', '--only', 'orphan-scan', '--min-consistency', '99.9', '-f', 'json'], { cwd: dir });
    expect(below.code, below.stderr).toBe(1);
    const report = JSON.parse(below.stdout);
    expect(report.minConsistency).toBe(99.9);
    expect(report.checks[0].status).toBe('fail');
    expect(report.checks[0].consistency[0].belowMinimum).toBe(true);

    const at = await runCli(['audit', '--only', 'orphan-scan', '--min-consistency', '99.5', '--report', 'prometheus:m.prom'], { cwd: dir });
    expect(at.code, at.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'm.prom'))).toBe(true);

    const bad = await runCli(['audit', '--only', 'orphan-scan', '--min-consistency', '101'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('dbcheck: invalid option\n  --min-consistency 101: expected a percentage from 0 to 100, e.g. 99.99\n');
    const badFormat = await runCli(['audit', '--report', 'xml:r.xml'], { cwd: dir });
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain(
      '--report xml:r.xml: expected FORMAT:PATH with FORMAT one of json, junit, markdown, prometheus, sarif',
    );
  }, 120_000);
});
