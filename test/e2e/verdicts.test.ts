/**
 * Trustworthy verdicts through the real CLI (bin/dbcheck -> dist/, run `npm run build` first):
 * no "OK, exit 0" about stores nobody read, config mistakes exit 2 (fix) and never 3 (retry), one
 * schema for file, environment and flags, and `validate --connect` against a real Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { PG_DATABASE, PG_HOST, PG_PORT, PG_USER, pgAdmin, uniqueName } from '../helpers/stores.js';

const postgresOnly = `stores:
  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE} }
`;

// A plugin that needs Redis: asked for in a config that lists only Postgres.
const needsRedisPlugin = `export default {
  meta: { id: 'acme/needs-redis', title: 'Needs Redis', requires: ['redis'], codes: { x: { severity: 'error', message: () => 'x' } } },
  async run() {},
};
`;

// A plugin with a preflight: each listed table must exist (catalog lookup only, no rows read).
const tablesPlugin = `export default {
  meta: {
    id: 'acme/tables',
    title: 'Tables exist',
    requires: ['postgres'],
    options: { safeParse: (v) => Array.isArray(v?.tables) ? { success: true, data: v } : { success: false, error: new Error('tables: required') } },
    codes: { x: { severity: 'error', message: () => 'x' } },
  },
  async preflight(ctx) {
    for (const [i, t] of ctx.options.tables.entries()) {
      const { rows } = await ctx.stores.postgres.query('SELECT to_regclass($1) AS found', [t], { signal: ctx.signal });
      if (rows[0].found === null) ctx.problem({ path: 'tables[' + i + ']', message: 'table ' + t + ' does not exist' });
    }
  },
  async run() { process.stderr.write('SCANNED\\n'); },
};
`;

const lines = (s: string) => s.split('\n').filter(Boolean);

describe('no false all-clear: a check that was asked for and cannot run is exit 2, with one line saying why', () => {
  it('--only a check whose store is not configured', async () => {
    const dir = tempDir({ 'dbcheck.yml': postgresOnly, 'needs-redis.mjs': needsRedisPlugin });
    const r = await runCli(['audit', '--plugin', 'needs-redis.mjs', '--only', 'acme/needs-redis'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([
      'dbcheck: invalid config',
      '  --only: acme/needs-redis needs redis, which is not configured (add stores.redis)',
    ]);
  });

  it('a check given a config section whose store is not configured (the line of the section)', async () => {
    const dir = tempDir({
      'dbcheck.yml': `${postgresOnly}plugins: [needs-redis.mjs]\nchecks:\n  acme/needs-redis: {}\n`,
      'needs-redis.mjs': needsRedisPlugin,
    });
    const r = await runCli(['audit'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'dbcheck: invalid config',
      '  dbcheck.yml:5:3: checks.acme/needs-redis: acme/needs-redis needs redis, which is not configured (add stores.redis)',
    ]);
  });

  it('--only health --skip health', async () => {
    const r = await runCli(['audit', '--only', 'health', '--skip', 'health'], { cwd: tempDir({ 'dbcheck.yml': postgresOnly }) });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['dbcheck: invalid config', '  --skip: "health" is also named by --only: nothing would run it']);
  });

  it('a config in which every check is disabled or unconfigured runs nothing: exit 2, not 0', async () => {
    const r = await runCli(['audit'], { cwd: tempDir({ 'dbcheck.yml': `${postgresOnly}checks:\n  health: { enabled: false }\n` }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dbcheck: invalid config\n {2}checks: no check would run \(.*health: disabled in config/);
  });
});

describe('one schema for file, environment and flags (exit 2, naming the variable or flag)', () => {
  const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
    [['audit'], { DBCHECK_TIMEOUT_MS: 'abc' }, 'DBCHECK_TIMEOUT_MS="abc": a duration like 500ms, 30s, 5m or 1h'],
    [['audit'], { DBCHECK_MAX_FINDINGS: '-4' }, 'DBCHECK_MAX_FINDINGS="-4": must be at least 0'],
    [['audit'], { DBCHECK_CONCURRENCY: '0' }, 'DBCHECK_CONCURRENCY="0": must be at least 1'],
    [['audit', '--concurrency', '100'], {}, '--concurrency "100": must be at most 32'],
  ];
  for (const [args, env, line] of cases) {
    it(`${Object.keys(env)[0] ?? args.slice(1).join(' ')}`, async () => {
      const r = await runCli(args, { cwd: tempDir({ 'dbcheck.yml': postgresOnly }), env });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toEqual(['dbcheck: invalid config', `  ${line}`]);
    });
  }

  it('a misspelt DBCHECK_ variable is a warning on stderr, not silence', async () => {
    const r = await runCli(['validate'], { cwd: tempDir({ 'dbcheck.yml': postgresOnly }), env: { DBCHECK_MAX_FINDING: '5' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'dbcheck: warning: DBCHECK_MAX_FINDING: is not a dbcheck setting and is ignored (did you mean "DBCHECK_MAX_FINDINGS"?)\n',
    );
  });

  it('a self-referencing YAML alias is one line with its place, not "Maximum call stack size exceeded"', async () => {
    const r = await runCli(['validate'], { cwd: tempDir({ 'dbcheck.yml': `${postgresOnly}checks:\n  health: &h\n    again: *h\n` }) });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'dbcheck: invalid config',
      '  dbcheck.yml:5:5: checks.health.again: a YAML alias refers to a node that contains it (a cycle); copy the values instead',
    ]);
  });
});

describe('validate --connect against a real Postgres', () => {
  let schema: string;
  beforeAll(async () => {
    schema = uniqueName('verdicts');
    const admin = await pgAdmin();
    await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.documents (id bigint primary key)`);
    await admin.end();
  });
  afterAll(async () => {
    const admin = await pgAdmin();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  const config = (tables: string[]) =>
    `${postgresOnly}plugins: [tables.mjs]\nchecks:\n  health: { enabled: false }\n  acme/tables:\n    tables:\n${tables.map((t) => `      - ${t}\n`).join('')}`;

  it('reports every misspelt table at once, with file:line, exit 2; the scan never runs', async () => {
    const dir = tempDir({
      'dbcheck.yml': config([`${schema}.documents`, `${schema}.documnets`, `${schema}.chunks`]),
      'tables.mjs': tablesPlugin,
    });
    const plain = await runCli(['validate'], { cwd: dir });
    expect(plain.code).toBe(0); // without --connect nothing is looked up

    const r = await runCli(['validate', '--connect'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([
      'dbcheck: invalid config (checked against the live stores)',
      `  dbcheck.yml:9:9: checks.acme/tables.tables[1]: table ${schema}.documnets does not exist`,
      `  dbcheck.yml:10:9: checks.acme/tables.tables[2]: table ${schema}.chunks does not exist`,
    ]);

    // The audit says the same through the preflight: exit 2 (fix the config), not 3 (retry).
    const audit = await runCli(['audit', '-f', 'json'], { cwd: dir });
    expect(audit.code).toBe(2);
    expect(audit.stderr).not.toContain('SCANNED');
    expect(JSON.parse(audit.stdout).checks.find((c: { id: string }) => c.id === 'acme/tables').error.code).toBe('CONFIG');
  });

  it('a correct config is valid against the live stores, exit 0', async () => {
    const r = await runCli(['validate', '--connect'], {
      cwd: tempDir({ 'dbcheck.yml': config([`${schema}.documents`]), 'tables.mjs': tablesPlugin }),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('dbcheck.yml: valid (against the live stores: postgres; preflight: acme/tables)\n');
  });

  it("a built-in check's preflight (orphan-scan): both misspellings of one relation at once, each at its line", async () => {
    const yaml = `${postgresOnly}checks:
  health: { enabled: false }
  orphan-scan:
    postgres:
      - child: { schema: ${schema}, table: chunkz, column: document_id }
        parent: { schema: ${schema}, table: documents, column: idd }
`;
    const r = await runCli(['validate', '--connect'], { cwd: tempDir({ 'dbcheck.yml': yaml }) });
    expect(r.code).toBe(2);
    const out = lines(r.stderr);
    expect(out[0]).toBe('dbcheck: invalid config (checked against the live stores)');
    expect(out.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^ {2}dbcheck\\.yml:7:9: checks\\.orphan-scan\\.postgres\\[0\\]\\.child: .*chunkz.*does not exist`)),
      expect.stringMatching(new RegExp(`^ {2}dbcheck\\.yml:8:9: checks\\.orphan-scan\\.postgres\\[0\\]\\.parent: .*idd`)),
    ]);
  });

  it('an unreachable store is exit 3 (retry), with one line', async () => {
    const yaml = config([`${schema}.documents`]).replace(`port: ${PG_PORT}`, 'port: 1');
    const r = await runCli(['validate', '--connect'], { cwd: tempDir({ 'dbcheck.yml': yaml, 'tables.mjs': tablesPlugin }) });
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbcheck: Postgres at .*127\.0\.0\.1:1.*: connection refused or lost/);
  });
});
