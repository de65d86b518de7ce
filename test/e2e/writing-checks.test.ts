/** docs/writing-checks.md's worked example is a real plugin: load it and run it. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { createPgSchema, PG_DATABASE, PG_HOST, PG_PORT, PG_USER, type PgFixture } from '../helpers/stores.js';

const example = path.resolve('docs/examples/table-row-budget.mjs');

describe('docs/examples/table-row-budget.mjs', () => {
  let fx: PgFixture;
  beforeAll(async () => {
    fx = await createPgSchema('budget');
    await fx.client.query(`CREATE TABLE "${fx.schema}".docs AS SELECT g AS id FROM generate_series(1, 50) g`);
  });
  afterAll(async () => fx.cleanup());

  it('is listed by `dbcheck checks` and reports over-budget and missing tables', async () => {
    const config = `stores:
  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE} }
plugins: ["${example}"]
checks:
  example/table-row-budget:
    tables:
      - { schema: ${fx.schema}, table: docs, maxRows: 10 }
      - { schema: ${fx.schema}, table: "no such table", maxRows: 10 }
`;
    const dir = tempDir({ 'dbcheck.yml': config });
    const list = await runCli(['checks'], { cwd: dir });
    expect(list.stdout).toMatch(/example\/table-row-budget\s+Tables within their row budget/);
    const r = await runCli(['audit', '--only', 'example/table-row-budget', '-f', 'json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const check = JSON.parse(r.stdout).checks[0];
    expect(check.countsByCode).toEqual({ 'over-budget': 1, 'missing-table': 1 });
    expect(check.findings.map((f: { message: string }) => f.message)).toContain(`${fx.schema}.docs has 50 rows, budget 10`);
    // Its declared stats: a counter and a row count per table.
    expect(check.stats).toEqual({ tablesCounted: 1, rows: { [`${fx.schema}.docs`]: '50' } });
  });

  it('rejects bad options before touching a store, naming the path', async () => {
    const dir = tempDir({
      'dbcheck.yml': `stores: { postgres: {} }\nplugins: ["${example}"]\nchecks:\n  example/table-row-budget:\n    tables: [{ table: docs, maxRows: -1 }]\n`,
    });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('checks.example/table-row-budget.tables[0].maxRows');
  });
});
