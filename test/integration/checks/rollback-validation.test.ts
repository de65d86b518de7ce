/**
 * rollback-validation against real Postgres. Every test gets its own schema (migration SQL uses
 * unqualified names; the admin session and the check both put that schema on the search_path) and
 * its own migrations folder in a temp dir, and removes both afterwards.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import check from '../../../checks/rollback-validation/index.js';
import { flywayChecksum, prismaChecksum } from '../../../checks/rollback-validation/checksums.js';
import { snapshotSchema } from '../../../checks/rollback-validation/schema-snapshot.js';
import type { CheckResult } from '../../../src/engine/result.js';
import { runCheck } from '../../helpers/check-tester.js';
import { createPgSchema, PG_DATABASE, PG_HOST, PG_PORT, PG_USER, pgAdmin, uniqueName, type PgFixture } from '../../helpers/stores.js';

interface Fixture extends PgFixture {
  dir: string;
  /** Runs SQL with the test schema on the search_path. */
  exec(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  write(files: Record<string, string>): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function fixture(files: Record<string, string> = {}): Promise<Fixture> {
  const pgf = await createPgSchema('rv');
  const dir = await mkdtemp(path.join(tmpdir(), 'rv-mig-'));
  cleanups.push(async () => {
    await pgf.cleanup();
    await rm(dir, { recursive: true, force: true });
  });
  await pgf.client.query(`SET search_path TO "${pgf.schema}"`);
  const f: Fixture = {
    ...pgf,
    dir,
    exec: (sql, params) => pgf.client.query(sql, params),
    async write(more) {
      for (const [name, content] of Object.entries(more)) {
        await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
        await writeFile(path.join(dir, name), content);
      }
    },
  };
  await f.write(files);
  return f;
}

function run(f: Fixture, options: Record<string, unknown> = {}, extra: Parameters<typeof runCheck>[1] = {}): Promise<CheckResult> {
  return runCheck(check, { options: { migrations: f.dir, schema: f.schema, ...options }, ...extra });
}

const findings = (r: CheckResult, code: string) => r.findings.filter((x) => x.code === code);

/** Catalog snapshot and exact row counts of every table in the schema, read from an admin session. */
async function dbState(f: Fixture) {
  const runner = {
    query: async (sql: string, params?: unknown[]) => {
      const r = await f.client.query(sql, params as unknown[]);
      return { rows: r.rows, rowCount: r.rowCount ?? 0 };
    },
  };
  const snapshot = [...(await snapshotSchema(runner as never, [f.schema], new AbortController().signal))].sort();
  const tables = await f.exec(`SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind = 'r' ORDER BY relname`, [
    f.schema,
  ]);
  const rows: Record<string, number> = {};
  for (const t of tables.rows) rows[t.relname] = Number((await f.exec(`SELECT count(*) AS n FROM "${t.relname}"`)).rows[0].n);
  return { snapshot, rows };
}

/** Runs the check and asserts it left the schema and every row exactly as they were (the dry-run's promise). */
async function runLeavingDbAsItWas(f: Fixture, options: Record<string, unknown>): Promise<CheckResult> {
  const before = await dbState(f);
  const r = await run(f, options);
  expect(await dbState(f)).toEqual(before);
  return r;
}

// ------------------------------------------------------------------ golang-migrate fixtures

const GOLANG_TRACKING = 'CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)';

const usersAndOrders = {
  '1_users.up.sql': 'CREATE TABLE users (id int PRIMARY KEY, name varchar(50) NOT NULL);\nCREATE INDEX users_name_idx ON users (name);\n',
  '1_users.down.sql': 'DROP TABLE users;\n',
  '2_orders.up.sql':
    'BEGIN;\nCREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL CONSTRAINT orders_user_fk REFERENCES users (id), total numeric(10,2) DEFAULT 0);\nCOMMIT;\n',
  '2_orders.down.sql': 'BEGIN;\nDROP TABLE orders;\nCOMMIT;\n',
};

async function applyGolang(f: Fixture, files: Record<string, string>, upTo: number, dirty = false) {
  await f.exec(GOLANG_TRACKING);
  const ups = Object.keys(files)
    .filter((n) => n.endsWith('.up.sql'))
    .sort((a, b) => parseInt(a) - parseInt(b));
  for (const name of ups) if (parseInt(name) <= upTo) await f.exec(files[name]);
  await f.exec('INSERT INTO schema_migrations VALUES ($1, $2)', [upTo, dirty]);
}

/** A fixture with golang-migrate's files, applied up to `upTo` (marked dirty when told). */
async function golangFixture(files: Record<string, string>, upTo: number, dirty = false): Promise<Fixture> {
  const f = await fixture(files);
  await applyGolang(f, files, upTo, dirty);
  return f;
}

/** Runs fn while another session holds an ACCESS EXCLUSIVE lock on the schema's `table`. */
async function whileLocked(f: Fixture, table: string, fn: () => Promise<void>): Promise<void> {
  const holder = await pgAdmin();
  try {
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE "${f.schema}".${table} IN ACCESS EXCLUSIVE MODE`);
    await fn();
  } finally {
    await holder.query('ROLLBACK').catch(() => {});
    await holder.end();
  }
}

describe('rollback-validation: options', () => {
  it('needs a migrations folder: {} is rejected as config', async () => {
    await expect(runCheck(check, { options: {} })).rejects.toMatchObject({ code: 'CONFIG' });
  });

  it('a missing folder is a config mistake, found by the preflight (exit 2, not 3)', async () => {
    const r = await runCheck(check, { options: { migrations: '/nonexistent/rv-migrations' } });
    expect(r.status).toBe('error');
    expect(r.error?.code).toBe('CONFIG');
    expect(r.configProblems).toEqual([{ path: 'migrations', message: 'migrations folder not found: /nonexistent/rv-migrations' }]);
  });

  it('a folder with no recognisable migrations is a clear check error', async () => {
    const f = await fixture({ 'README.md': '# nothing here' });
    const r = await run(f);
    expect(r.status).toBe('error');
    expect(r.error?.code).toBe('NO_MIGRATIONS');
  });
});

describe('rollback-validation: golang-migrate', () => {
  it('a clean history passes', async () => {
    const f = await golangFixture(usersAndOrders, 2);
    const r = await run(f);
    expect(r.status).toBe('pass');
    expect(r.findings).toEqual([]);
    expect(r.stats).toMatchObject({ tool: 'golang-migrate', migrationsOnDisk: 2, applied: 2 });
  });

  it('reports dirty state, pending migrations and a missing down script', async () => {
    const files = {
      ...usersAndOrders,
      '3_audit.up.sql': 'CREATE TABLE audit (id int);',
      '4_more.up.sql': 'SELECT 1;',
      '4_more.down.sql': 'SELECT 1;',
    };
    const f = await golangFixture(files, 3, true);
    const r = await run(f);
    expect(r.status).toBe('fail');
    expect(findings(r, 'dirty-state').map((x) => x.data)).toEqual([expect.objectContaining({ migration: '3_audit', state: 'dirty' })]);
    expect(findings(r, 'pending').map((x) => x.data?.migration)).toEqual(['4_more']);
    // version 3 is dirty, not cleanly applied: only clean ones count as "applied without down".
    expect(findings(r, 'no-down-script')).toEqual([]);
  });

  it('reports an applied version whose file is gone, and applied versions without down scripts', async () => {
    const files = { '1_users.up.sql': usersAndOrders['1_users.up.sql'] };
    const f = await golangFixture(files, 1);
    await f.exec('UPDATE schema_migrations SET version = 7');
    const r = await run(f);
    expect(findings(r, 'missing-file').map((x) => x.data?.migration)).toEqual(['7']);
    // An ups-only folder: one summary finding, not one per migration.
    expect(findings(r, 'no-down-script').map((x) => x.data?.migration)).toEqual(['all 2 applied migrations']);
  });

  it('without a tracking table, says nothing records what is applied', async () => {
    const f = await fixture(usersAndOrders);
    const r = await run(f);
    expect(findings(r, 'no-tracking-table')).toHaveLength(1);
    expect(findings(r, 'no-tracking-table')[0].data).toMatchObject({ migrations: 2, table: `${f.schema}.schema_migrations` });
  });
});

describe('rollback-validation: node-pg-migrate', () => {
  const TRACKING = 'CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)';
  const files = {
    '1700000000001_users.sql': '-- Up Migration\nCREATE TABLE users (id int PRIMARY KEY);\n-- Down Migration\nDROP TABLE users;\n',
    '1700000000002_tags.sql': '-- Up Migration\nCREATE TABLE tags (id int);\n-- Down Migration\nDROP TABLE tags;\n',
    '1700000000003_flags.js':
      'exports.up = (pgm) => { pgm.createTable("flags", { id: "id" }); };\nexports.down = (pgm) => { pgm.dropTable("flags"); };\n',
    '1700000000004_notes.sql': '-- Up Migration\nCREATE TABLE notes (id int);\n-- Down Migration\nDROP TABLE notes;\n',
  };

  it('reads SQL and JS migrations; finds out-of-order applications and a missing file', async () => {
    const f = await fixture(files);
    await f.exec(TRACKING);
    await f.exec(`INSERT INTO pgmigrations (name, run_on) VALUES
      ('1700000000001_users', '2024-01-01'), ('1700000000003_flags', '2024-01-02'),
      ('1700000000002_tags', '2024-01-03'), ('1700000000000_gone', '2024-01-04')`);
    const r = await run(f);
    expect(r.stats.tool).toBe('node-pg-migrate');
    expect(findings(r, 'out-of-order').map((x) => [x.data?.migration, x.data?.kind])).toEqual([
      ['1700000000002_tags.sql', 'applied-after-later'],
      ['1700000000000_gone', 'applied-after-later'],
    ]);
    expect(findings(r, 'missing-file').map((x) => x.data?.migration)).toEqual(['1700000000000_gone']);
    expect(findings(r, 'pending').map((x) => x.data?.migration)).toEqual(['1700000000004_notes.sql']);
  });

  it('a pending migration older than the latest applied one is out of order', async () => {
    const f = await fixture(files);
    await f.exec(TRACKING);
    await f.exec(
      `INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000001_users', '2024-01-01'), ('1700000000004_notes', '2024-01-02')`,
    );
    const r = await run(f);
    const ooo = findings(r, 'out-of-order').map((x) => [x.data?.migration, x.data?.kind]);
    expect(ooo).toEqual([
      ['1700000000002_tags.sql', 'pending-before-applied'],
      ['1700000000003_flags.js', 'pending-before-applied'],
    ]);
  });
});

describe('rollback-validation: Knex', () => {
  const TRACKING = 'CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch int, migration_time timestamptz)';

  it('reads JS migrations as history: a migration without down, and the dry-run is refused for code', async () => {
    const f = await fixture({
      '20240101000000_users.js':
        'exports.up = (knex) => knex.schema.createTable("users", (t) => t.increments());\nexports.down = (knex) => knex.schema.dropTable("users");\n',
      '20240102000000_seed.js': 'exports.up = async (knex) => { await knex("users").insert({}); };\n',
    });
    await f.exec(TRACKING);
    await f.exec(
      `INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20240101000000_users.js', 1, now()), ('20240102000000_seed.js', 1, now())`,
    );
    const r = await run(f, { dryRun: { enabled: true } });
    expect(r.stats.tool).toBe('knex');
    expect(findings(r, 'no-down-script').map((x) => x.data?.migration)).toEqual(['20240102000000_seed.js']);
    expect(findings(r, 'dry-run-skipped')).toHaveLength(1);
    expect(String(findings(r, 'dry-run-skipped')[0].data?.reason)).toMatch(/JavaScript\/TypeScript migration/);
    expect(findings(r, 'pending')).toEqual([]);
  });
});

describe('rollback-validation: Flyway', () => {
  const TRACKING = `CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL,
    type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL,
    installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL)`;
  const v1 = 'CREATE TABLE users (id int PRIMARY KEY);\r\n';
  const v2 = 'CREATE TABLE items (id int);\n';
  const v3 = 'ALTER TABLE items ADD COLUMN price int;\n';

  async function flywayFixture() {
    const f = await fixture({
      'V1__users.sql': v1,
      'U1__users.sql': 'DROP TABLE users;',
      'sql/V2__items.sql': v2,
      'sql/U2__items.sql': 'DROP TABLE items;',
      'V3__price.sql': v3,
    });
    await f.exec(TRACKING);
    const rec = (rank: number, version: string, script: string, checksum: number | null, success = true) =>
      f.exec(`INSERT INTO flyway_schema_history VALUES ($1, $2, 'd', 'SQL', $3, $4, 'me', now(), 1, $5)`, [
        rank,
        version,
        script,
        checksum,
        success,
      ]);
    return { f, rec };
  }

  it('accepts checksums computed the Flyway way (CRLF file included)', async () => {
    const { f, rec } = await flywayFixture();
    await rec(1, '1', 'V1__users.sql', flywayChecksum(v1));
    await rec(2, '2', 'V2__items.sql', flywayChecksum(v2));
    await rec(3, '3', 'V3__price.sql', flywayChecksum(v3));
    const r = await run(f);
    expect(r.stats.tool).toBe('flyway');
    expect(findings(r, 'checksum-mismatch')).toEqual([]);
    expect(findings(r, 'no-down-script').map((x) => x.data?.migration)).toEqual(['V3__price']);
  });

  it('finds an edited file (checksum mismatch) and a failed migration (success = false)', async () => {
    const { f, rec } = await flywayFixture();
    await rec(1, '1', 'V1__users.sql', flywayChecksum(v1));
    await rec(2, '2', 'V2__items.sql', flywayChecksum('CREATE TABLE items (id bigint);\n'));
    await rec(3, '3', 'V3__price.sql', flywayChecksum(v3), false);
    const r = await run(f);
    expect(findings(r, 'checksum-mismatch').map((x) => x.data)).toEqual([
      expect.objectContaining({
        migration: 'V2__items',
        recorded: String(flywayChecksum('CREATE TABLE items (id bigint);\n')),
        onDisk: String(flywayChecksum(v2)),
      }),
    ]);
    expect(findings(r, 'dirty-state').map((x) => [x.data?.migration, x.data?.state])).toEqual([['V3__price', 'failed']]);
  });
});

describe('rollback-validation: Prisma', () => {
  const TRACKING = `CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz,
    migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(),
    applied_steps_count int NOT NULL DEFAULT 0)`;
  const a = 'CREATE TABLE "User" (id serial PRIMARY KEY);\n';
  const b = 'ALTER TABLE "User" ADD COLUMN email text;\n';
  const c = 'CREATE TABLE "Post" (id serial PRIMARY KEY);\n';

  it('finds checksum mismatches, unfinished and rolled-back migrations; says Prisma has no down scripts', async () => {
    const f = await fixture({
      '20240101000000_init/migration.sql': a,
      '20240102000000_email/migration.sql': b,
      '20240103000000_post/migration.sql': c,
      'migration_lock.toml': 'provider = "postgresql"',
    });
    await f.exec(TRACKING);
    const rec = (id: string, name: string, checksum: string, finished: boolean, rolledBack: boolean, started: string) =>
      f.exec(
        `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at, started_at) VALUES ($1, $2, CASE WHEN $3 THEN now() END, $4, CASE WHEN $5 THEN now() END, $6)`,
        [id, checksum, finished, name, rolledBack, started],
      );
    await rec('1', '20240101000000_init', prismaChecksum(a), true, false, '2024-01-01');
    await rec('2', '20240102000000_email', prismaChecksum('ALTER TABLE "User" ADD COLUMN mail text;\n'), true, false, '2024-01-02');
    await rec('3', '20240103000000_post', prismaChecksum(c), false, false, '2024-01-03');
    const r = await run(f, { dryRun: { enabled: true } });
    expect(r.stats.tool).toBe('prisma');
    expect(findings(r, 'checksum-mismatch').map((x) => x.data?.migration)).toEqual(['20240102000000_email']);
    expect(findings(r, 'dirty-state').map((x) => [x.data?.migration, x.data?.state])).toEqual([['20240103000000_post', 'failed']]);
    expect(findings(r, 'no-down-script')).toHaveLength(1);
    expect(String(findings(r, 'no-down-script')[0].data?.reason)).toMatch(/Prisma Migrate has no down migrations/);
    expect(String(findings(r, 'dry-run-skipped')[0].data?.reason)).toMatch(/no down migrations/);

    // Marked rolled back (prisma migrate resolve --rolled-back): Prisma counts it as not applied and
    // applies it again on the next deploy. Pending, not dirty (failed before).
    await f.exec(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = '3'`);
    const r2 = await run(f);
    expect(findings(r2, 'dirty-state')).toEqual([]);
    expect(findings(r2, 'pending').map((x) => x.data?.migration)).toEqual(['20240103000000_post']);
    // "all N applied" counts only the applied ones (failed before: the failed one was counted too).
    expect(findings(r, 'no-down-script')[0].data?.migration).toBe('all 2 applied migrations');
  });
});

describe('rollback-validation: plain SQL folder', () => {
  it('uses a configurable tracking table and columns', async () => {
    const f = await fixture({
      '001_users.up.sql': 'CREATE TABLE users (id int);',
      '001_users.down.sql': 'DROP TABLE users;',
      '002_items.up.sql': 'CREATE TABLE items (id int);',
      '002_items.down.sql': 'DROP TABLE items;',
      '003_tags.up.sql': 'CREATE TABLE tags (id int);',
      '003_tags.down.sql': 'DROP TABLE tags;',
    });
    await f.exec('CREATE TABLE applied_versions (v text PRIMARY KEY, applied_at timestamptz NOT NULL)');
    await f.exec(`INSERT INTO applied_versions VALUES ('3', '2024-01-01'), ('1', '2024-01-02')`);
    const r = await run(f, { tool: 'plain', table: 'applied_versions', plain: { versionColumn: 'v', orderColumn: 'applied_at' } });
    expect(r.stats.tool).toBe('plain');
    expect(findings(r, 'out-of-order').map((x) => [x.data?.migration, x.data?.kind])).toEqual([
      ['001_users', 'applied-after-later'],
      ['002_items', 'pending-before-applied'],
    ]);
    // Reported once, as out of order, not also as pending.
    expect(findings(r, 'pending').map((x) => x.data?.migration)).toEqual([]);
    expect(r.stats.pending).toBe(1);
  });

  it('a forced table with the wrong columns is a config mistake, found by the preflight', async () => {
    const f = await fixture({ '1_a.up.sql': 'SELECT 1;' });
    await f.exec('CREATE TABLE applied_versions (something text)');
    const r = await run(f, { tool: 'plain', table: 'applied_versions' });
    expect(r.status).toBe('error');
    expect(r.error?.code).toBe('CONFIG');
    expect(r.configProblems).toEqual([
      {
        path: 'table',
        message: expect.stringMatching(/applied_versions does not look like a plain SQL folder tracking table \(columns: something\)/),
      },
    ]);
  });
});

describe('rollback-validation: destructive rollbacks', () => {
  const files = {
    '1_users.up.sql': 'CREATE TABLE users (id int PRIMARY KEY, kind text, legacy text);',
    '1_users.down.sql': 'DROP TABLE users;',
    '2_cleanup.up.sql': 'ALTER TABLE users ADD COLUMN score int;',
    '2_cleanup.down.sql': "DELETE FROM users u WHERE u.kind = 'bot';\nALTER TABLE users DROP COLUMN legacy;\nTRUNCATE gone_table;\n",
  };

  it('counts the rows at stake exactly for small tables', async () => {
    const f = await golangFixture(files, 2);
    // legacy is set on 40 of the 120 rows: dropping it loses 40 values, not 120 (failed before).
    await f.exec(
      `INSERT INTO users (id, kind, legacy) SELECT g, CASE WHEN g <= 30 THEN 'bot' ELSE 'human' END, CASE WHEN g % 3 = 0 THEN 'x' END FROM generate_series(1, 120) g`,
    );
    const r = await run(f);
    const d = findings(r, 'destructive-rollback').map((x) => [
      x.data?.migration,
      x.data?.action,
      x.data?.target,
      x.data?.rows,
      x.data?.rowsBasis,
    ]);
    expect(d).toEqual([
      ['1_users', 'drop-table', `${f.schema}.users`, 120, 'exact count'],
      ['2_cleanup', 'delete', `${f.schema}.users`, 30, 'exact count'],
      ['2_cleanup', 'drop-column', `${f.schema}.users.legacy`, 40, 'exact count of non-null values'],
    ]);
    // TRUNCATE of a table that does not exist puts nothing at stake: not reported.
    expect(r.stats).toMatchObject({ destructiveStatements: 4, rowCountsExact: 3 });
  });

  it('uses the planner estimate for big tables, and says so', async () => {
    const f = await golangFixture(files, 2);
    await f.exec(`INSERT INTO users (id, kind) SELECT g, 'human' FROM generate_series(1, 5000) g`);
    await f.exec('ANALYZE users');
    const r = await run(f, { destructive: { exactCountBelow: 1000 } });
    const drop = findings(r, 'destructive-rollback').find((x) => x.data?.action === 'drop-table')!;
    expect(drop.data).toMatchObject({ rows: 5000, rowsBasis: 'planner estimate (pg_class.reltuples)' });
    const del = findings(r, 'destructive-rollback').find((x) => x.data?.action === 'delete')!;
    expect(del.data).toMatchObject({ rows: 5000, rowsBasis: 'planner estimate (pg_class.reltuples)', upperBound: true });
    // legacy is NULL in every row: the estimate of non-null values (pg_stats.null_frac) is 0, so
    // dropping it puts nothing at stake (failed before: "5000 rows").
    expect(findings(r, 'destructive-rollback').filter((x) => x.data?.action === 'drop-column')).toEqual([]);
    expect(del.message).toContain('up to 5000 rows');
    expect(r.stats.rowCountsExact).toBe(0);
  });
});

describe('rollback-validation: dry-run', () => {
  it('a clean round trip passes and leaves schema and data exactly as they were', async () => {
    const f = await golangFixture(usersAndOrders, 2);
    await f.exec(`INSERT INTO users VALUES (1, 'ann'), (2, 'bob'); INSERT INTO orders VALUES (1, 1, 9.5)`);
    const r = await runLeavingDbAsItWas(f, { dryRun: { enabled: true, last: 1 }, destructive: { enabled: false } });
    expect(r.findings).toEqual([]);
    expect(r.status).toBe('pass');
    expect(r.stats).toMatchObject({ dryRunRoundTrips: 1 });
    expect(Number(r.stats.dryRunStatements)).toBe(2); // DROP TABLE + CREATE TABLE; BEGIN/COMMIT skipped
  });

  it('a down script that breaks a foreign key fails with the statement named; nothing changes', async () => {
    const files = {
      ...usersAndOrders,
      '3_loosen.up.sql': 'ALTER TABLE orders DROP CONSTRAINT orders_user_fk;',
      '3_loosen.down.sql': 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);',
    };
    const f = await golangFixture(files, 3);
    await f.exec(`INSERT INTO users VALUES (1, 'ann'); INSERT INTO orders VALUES (1, 1, 5), (2, 42, 7)`); // order 2: no such user
    const r = await runLeavingDbAsItWas(f, { dryRun: { enabled: true, last: 1 } });
    const failed = findings(r, 'rollback-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].data).toMatchObject({
      migration: '3_loosen',
      direction: 'down',
      file: '3_loosen.down.sql',
      line: 1,
      sqlstate: '23503',
    });
    expect(String(failed[0].data?.statement)).toContain('ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)');
    expect(String(failed[0].data?.error)).toMatch(/foreign key constraint "orders_user_fk"/);
    expect(failed[0].message).toContain('3_loosen.down.sql:1');
  });

  it('a down script that forgets to drop an index is caught by the schema diff', async () => {
    const files = {
      ...usersAndOrders,
      '3_email.up.sql':
        'ALTER TABLE users ADD COLUMN email text;\nCREATE INDEX IF NOT EXISTS users_name_lower_idx ON users (lower(name));\n',
      '3_email.down.sql': 'ALTER TABLE users DROP COLUMN email;\n', // forgot: DROP INDEX users_name_lower_idx
    };
    const f = await golangFixture(files, 3);
    const r = await runLeavingDbAsItWas(f, { dryRun: { enabled: true, last: 1 } });
    const diff = findings(r, 'round-trip-diff');
    expect(diff.map((x) => [x.data?.object, x.data?.change])).toEqual([
      [`index ${f.schema}.users_name_lower_idx`, 'left behind by the down script'],
    ]);
    expect(findings(r, 'rollback-failed')).toEqual([]);
  });

  it('a down script that drops what it does not own shows up as a difference after down + up', async () => {
    const files = {
      ...usersAndOrders,
      '3_nick.up.sql': 'ALTER TABLE users ADD COLUMN nick text;\n',
      '3_nick.down.sql': 'ALTER TABLE users DROP COLUMN nick;\nDROP INDEX users_name_idx;\n', // users_name_idx belongs to 1_users
    };
    const f = await golangFixture(files, 3);
    const r = await runLeavingDbAsItWas(f, { dryRun: { enabled: true, last: 1 } });
    expect(findings(r, 'round-trip-diff').map((x) => [x.data?.object, x.data?.change])).toEqual([
      [`index ${f.schema}.users_name_idx`, 'missing after down + up'],
    ]);
  });

  it('rolls back the last K migrations newest first and re-applies them', async () => {
    const f = await golangFixture(usersAndOrders, 2);
    const r = await runLeavingDbAsItWas(f, { dryRun: { enabled: true, last: 2 }, destructive: { enabled: false } });
    expect(r.findings).toEqual([]);
    expect(r.stats).toMatchObject({ dryRunRoundTrips: 2, dryRunStatements: 5 });
  });

  it('a statement that cannot run in a transaction is a finding, and the dry-run stops before it', async () => {
    const files = {
      ...usersAndOrders,
      '3_idx.up.sql': 'CREATE INDEX CONCURRENTLY users_name2_idx ON users (name);',
      '3_idx.down.sql': 'DROP INDEX CONCURRENTLY users_name2_idx;',
    };
    const f = await fixture(files);
    await applyGolang(f, usersAndOrders, 2);
    await f.exec('CREATE INDEX users_name2_idx ON users (name)');
    await f.exec('UPDATE schema_migrations SET version = 3');
    const r = await runLeavingDbAsItWas(f, { dryRun: { enabled: true } });
    expect(findings(r, 'non-transactional-statement').map((x) => [x.data?.direction, x.data?.file])).toEqual([['down', '3_idx.down.sql']]);
    expect(String(findings(r, 'non-transactional-statement')[0].data?.reason)).toMatch(
      /CONCURRENTLY cannot run inside a transaction block/,
    );
    // A finding (warn), not a run error: the check fails only on what it found, and says what it skipped.
    expect(r.status).not.toBe('error');
    expect(findings(r, 'non-transactional-statement')[0].severity).toBe('warn');
    expect(findings(r, 'dry-run-skipped')[0].data).toMatchObject({ blocker: '3_idx', skipped: ['3_idx'] });
    expect(r.stats.dryRunStatements).toBe(0);
  });

  it('gives up quickly with a clear message when another session holds a lock', async () => {
    // log has no index and no default, so the snapshot does not touch it: the down script waits.
    const files = { ...usersAndOrders, '3_log.up.sql': 'CREATE TABLE log (msg text);', '3_log.down.sql': 'DROP TABLE log;' };
    const f = await golangFixture(files, 3);
    const before = await dbState(f);
    await whileLocked(f, 'log', async () => {
      const r = await run(f, { dryRun: { enabled: true, lockTimeout: '300ms' }, destructive: { enabled: false } });
      expect(r.status).toBe('error');
      expect(r.error?.code, JSON.stringify(r.error)).toBe('LOCK_TIMEOUT');
      expect(r.error?.message).toBe(
        'rollback dry-run gave up after 300ms waiting for a lock held by another session, while the down script of 3_log (3_log.down.sql, line 1): DROP TABLE log',
      );
      expect(r.error?.hint).toMatch(/shadow database/);
    });
    expect(await dbState(f)).toEqual(before);
  });

  it('a lock on a table the snapshot reads also ends the dry-run with a lock-timeout message', async () => {
    const f = await golangFixture(usersAndOrders, 2);
    const before = await dbState(f);
    await whileLocked(f, 'orders', async () => {
      const r = await run(f, { dryRun: { enabled: true, lockTimeout: '300ms' }, destructive: { enabled: false } });
      expect(r.error?.code).toBe('LOCK_TIMEOUT');
      expect(r.error?.message).toContain(
        'gave up after 300ms waiting for a lock held by another session, while reading the schema snapshot',
      );
    });
    expect(await dbState(f)).toEqual(before);
  });

  it('Flyway: runs the U (undo) scripts and the V scripts again; a clean round trip passes', async () => {
    const v1 = 'CREATE TABLE users (id int PRIMARY KEY);\n';
    const v2 =
      'CREATE TABLE items (id int PRIMARY KEY, owner int REFERENCES users (id));\nCREATE INDEX items_owner_idx ON items (owner);\n';
    const f = await fixture({
      'V1__users.sql': v1,
      'U1__users.sql': 'DROP TABLE users;',
      'V2__items.sql': v2,
      'U2__items.sql': 'DROP TABLE items;',
    });
    await f.exec(`CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL,
      type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL,
      installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL)`);
    await f.exec(v1 + v2);
    await f.exec(
      `INSERT INTO flyway_schema_history VALUES (1, '1', 'users', 'SQL', 'V1__users.sql', $1, 'me', now(), 1, true),
      (2, '2', 'items', 'SQL', 'V2__items.sql', $2, 'me', now(), 1, true)`,
      [flywayChecksum(v1), flywayChecksum(v2)],
    );
    await f.exec('INSERT INTO users VALUES (1), (2); INSERT INTO items VALUES (10, 1)');
    const r = await runLeavingDbAsItWas(f, { dryRun: { enabled: true, last: 2 } });
    expect(r.stats).toMatchObject({ tool: 'flyway', dryRunRoundTrips: 2, dryRunStatements: 5 });
    expect(r.findings.map((x) => x.code)).toEqual(['destructive-rollback', 'destructive-rollback']); // users (2 rows), items (1 row)
  });

  it('node-pg-migrate: a down script naming a missing object fails with the server error', async () => {
    const f = await fixture({
      '1700000000001_users.sql': '-- Up Migration\nCREATE TABLE users (id int PRIMARY KEY);\n-- Down Migration\nDROP TABLE users;\n',
      '1700000000002_tags.sql': '-- Up Migration\nCREATE TABLE tags (id int);\n\n-- Down Migration\n-- typo below\nDROP TABLE tagz;\n',
    });
    await f.exec('CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)');
    await f.exec('CREATE TABLE users (id int PRIMARY KEY); CREATE TABLE tags (id int)');
    await f.exec(`INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000001_users', now()), ('1700000000002_tags', now())`);
    const r = await runLeavingDbAsItWas(f, { dryRun: { enabled: true } });
    expect(findings(r, 'rollback-failed').map((x) => x.data)).toEqual([
      expect.objectContaining({
        migration: '1700000000002_tags.sql',
        direction: 'down',
        statement: 'DROP TABLE tagz',
        sqlstate: '42P01',
        line: 6,
      }),
    ]);
    expect(String(findings(r, 'rollback-failed')[0].data?.error)).toContain('table "tagz" does not exist');
  });

  it('Ctrl-C in the middle of a down script rolls everything back and leaves no session behind', async () => {
    const files = { ...usersAndOrders, '2_orders.down.sql': 'DROP TABLE orders;\nSELECT pg_sleep(30);\n' };
    const f = await golangFixture(files, 2);
    const before = await dbState(f);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 1500);
    try {
      const r = await run(f, { dryRun: { enabled: true } }, { signal: ac.signal });
      expect(r.status).not.toBe('pass');
      expect(findings(r, 'round-trip-diff')).toEqual([]);
    } finally {
      clearTimeout(timer);
    }
    // The table the down script dropped is back, unlocked, and the dry-run session is gone.
    await f.exec('BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE NOWAIT; ROLLBACK');
    let sessions = 1;
    for (let i = 0; i < 50 && sessions > 0; i++) {
      sessions = Number(
        (
          await f.exec(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'dbcheck-rollback-dry-run' AND query LIKE '%pg_sleep(30)%'`,
          )
        ).rows[0].n,
      );
      if (sessions > 0) await new Promise((res) => setTimeout(res, 100));
    }
    expect(sessions).toBe(0);
    expect(await dbState(f)).toEqual(before);
  });

  it('a shadow database that does not exist is a clear check error', async () => {
    const f = await golangFixture(usersAndOrders, 2);
    const r = await run(f, { dryRun: { enabled: true, shadowDatabase: 'rv_no_such_db' }, destructive: { enabled: false } });
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ code: 'SHADOW_DATABASE', message: 'shadow database "rv_no_such_db" does not exist' });
  });

  it('runs in a shadow database when one is configured, leaving the target alone', async () => {
    const f = await golangFixture(usersAndOrders, 2);
    const shadowName = uniqueName('rv_shadow');
    const admin = await pgAdmin();
    await admin.query(`CREATE DATABASE "${shadowName}"`);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${shadowName}" WITH (FORCE)`);
      await admin.end();
    });
    // The shadow copy differs on purpose: its down script breaks there (a view depends on orders).
    const shadow = await pgAdmin(shadowName);
    try {
      await shadow.query(`CREATE SCHEMA "${f.schema}"; SET search_path TO "${f.schema}"`);
      await shadow.query(usersAndOrders['1_users.up.sql']);
      await shadow.query(usersAndOrders['2_orders.up.sql']);
      await shadow.query('CREATE VIEW order_totals AS SELECT sum(total) FROM orders');
    } finally {
      await shadow.end();
    }
    const r = await runLeavingDbAsItWas(f, { dryRun: { enabled: true, shadowDatabase: shadowName }, destructive: { enabled: false } });
    const failed = findings(r, 'rollback-failed');
    expect(failed.map((x) => x.data?.sqlstate)).toEqual(['2BP01']); // dependent objects: only true in the shadow
    expect(String(failed[0].data?.error)).toMatch(/other objects depend on it/);
  });
});

// ------------------------------------------------------------------ issue 15: real migration folders

const FLYWAY_HISTORY = `CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL,
  type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL,
  installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL)`;

describe('rollback-validation: Flyway folders with Java and repeatable migrations', () => {
  // A Flyway community layout: V scripts, R__ repeatables, no U (undo is a paid feature); Java
  // migrations (V3) live in compiled code and have rows of type JDBC with a NULL checksum.
  const v1 = 'CREATE TABLE jobs (id int PRIMARY KEY, name text);\n';
  const v2 = 'ALTER TABLE jobs ADD COLUMN owner text;\n';
  const v4 = 'CREATE INDEX jobs_owner_idx ON jobs (owner);\n';
  const view = 'CREATE OR REPLACE VIEW jobs_view AS SELECT id, name FROM jobs;\n';
  const files = { 'V1__jobs.sql': v1, 'V2__owner.sql': v2, 'V4__owner_index.sql': v4, 'R__jobs_view.sql': view };

  async function flyway(rows: Array<[number, string | null, string, string, string, number | null, boolean]>) {
    const f = await fixture(files);
    await f.exec(FLYWAY_HISTORY);
    await f.exec(v1 + v2 + v4 + view);
    for (const [rank, version, description, type, script, checksum, success] of rows) {
      await f.exec(`INSERT INTO flyway_schema_history VALUES ($1, $2, $3, $4, $5, $6, 'flyway', now(), 3, $7)`, [
        rank,
        version,
        description,
        type,
        script,
        checksum,
        success,
      ]);
    }
    return f;
  }

  it('Java (JDBC) rows are not missing files; R__ scripts are read; one summary for a folder without undo scripts', async () => {
    const f = await flyway([
      [1, '1', 'jobs', 'SQL', 'V1__jobs.sql', flywayChecksum(v1), true],
      [2, '2', 'owner', 'SQL', 'V2__owner.sql', flywayChecksum(v2), true],
      [3, '3', 'BackfillOwners', 'JDBC', 'db.migration.V3__BackfillOwners', null, true],
      [4, '4', 'owner index', 'SQL', 'V4__owner_index.sql', flywayChecksum(v4), true],
      [5, null, 'jobs view', 'SQL', 'R__jobs_view.sql', flywayChecksum(view), true],
    ]);
    const r = await run(f);
    // Failed before: missing-file for V3 (exit 1), and one no-down-script per migration.
    expect(findings(r, 'missing-file')).toEqual([]);
    expect(findings(r, 'pending')).toEqual([]);
    expect(findings(r, 'no-down-script').map((x) => x.data?.migration)).toEqual(['all 4 applied migrations']);
    expect(r.findings.filter((x) => x.severity === 'error')).toEqual([]);
    expect(r.stats).toMatchObject({ tool: 'flyway', applied: 5 });
  });

  it('an edited R__ script is re-applied by Flyway: pending, not a checksum mismatch; the newest row counts', async () => {
    const f = await flyway([
      [1, '1', 'jobs', 'SQL', 'V1__jobs.sql', flywayChecksum(v1), true],
      [2, null, 'jobs view', 'SQL', 'R__jobs_view.sql', flywayChecksum('CREATE VIEW jobs_view AS SELECT 1;\n'), true],
      [3, '2', 'owner', 'SQL', 'V2__owner.sql', flywayChecksum(v2), true],
      [4, '4', 'owner index', 'SQL', 'V4__owner_index.sql', flywayChecksum(v4), true],
      [5, null, 'jobs view', 'SQL', 'R__jobs_view.sql', flywayChecksum('CREATE VIEW jobs_view AS SELECT 2;\n'), true],
    ]);
    const r = await run(f);
    expect(findings(r, 'checksum-mismatch')).toEqual([]);
    expect(findings(r, 'out-of-order')).toEqual([]);
    expect(findings(r, 'pending').map((x) => x.message)).toEqual([expect.stringMatching(/R__jobs_view changed since it was last applied/)]);
  });

  it('a versioned migration edited after it was applied is still a checksum mismatch', async () => {
    const f = await flyway([
      [1, '1', 'jobs', 'SQL', 'V1__jobs.sql', flywayChecksum('CREATE TABLE jobs (id int);\n'), true],
      [2, null, 'jobs view', 'SQL', 'R__jobs_view.sql', flywayChecksum(view), true],
    ]);
    const r = await run(f);
    expect(findings(r, 'checksum-mismatch').map((x) => x.data?.migration)).toEqual(['V1__jobs']);
  });
});

describe('rollback-validation: Prisma checksums and rolled-back rows', () => {
  const TRACKING = `CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz,
    migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(),
    applied_steps_count int NOT NULL DEFAULT 0)`;

  /** The hex form older Prisma versions stored: each byte without its leading zero. */
  const shortHex = (text: string) => [...createHash('sha256').update(text).digest()].map((b) => b.toString(16)).join('');

  it('accepts checksums stored with and without leading zeros', async () => {
    // Find migration texts whose SHA-256 has bytes below 0x10, so the two forms really differ.
    const texts = Array.from({ length: 20 }, (_, i) => `CREATE TABLE "T${i}" (id serial PRIMARY KEY);\n`)
      .filter((t) => shortHex(t) !== prismaChecksum(t))
      .slice(0, 2);
    expect(texts).toHaveLength(2);
    const f = await fixture({ '20240101000000_a/migration.sql': texts[0], '20240102000000_b/migration.sql': texts[1] });
    await f.exec(TRACKING);
    await f.exec(
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES
      ('1', $1, now(), '20240101000000_a', '2024-01-01', 1), ('2', $2, now(), '20240102000000_b', '2024-01-02', 1)`,
      [shortHex(texts[0]), prismaChecksum(texts[1])],
    );
    const r = await run(f);
    // Failed before: a false checksum-mismatch for the short form.
    expect(findings(r, 'checksum-mismatch')).toEqual([]);
    // A real edit is still found, whichever form was stored.
    await f.write({ '20240101000000_a/migration.sql': `${texts[0]}-- edited\n` });
    const r2 = await run(f);
    expect(findings(r2, 'checksum-mismatch').map((x) => x.data?.migration)).toEqual(['20240101000000_a']);
  });
});

describe('rollback-validation: static up/down analysis (no database needed for the verdict)', () => {
  it('the held-out case: a down forgets an index, while the newest version is dirty and one has no down', async () => {
    const files = {
      '1_users.up.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\n',
      '1_users.down.sql': 'DROP TABLE users;\n',
      '2_posts.up.sql': 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));\n',
      '2_posts.down.sql': 'DROP TABLE posts;\n',
      '3_email_idx.up.sql': 'CREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ADD COLUMN nick text;\n',
      '3_email_idx.down.sql': '-- the index is forgotten\nALTER TABLE users DROP COLUMN nick;\n',
      '4_tags.up.sql': 'CREATE TABLE tags (id int);\n',
      '5_more.up.sql': 'ALTER TABLE tags ADD COLUMN label text;\n',
      '5_more.down.sql': 'ALTER TABLE tags DROP COLUMN label;\n',
    };
    const f = await golangFixture(files, 5, true);
    const r = await run(f, { dryRun: { enabled: true, last: 5 } });
    // Failed before: nothing was dry-run and the fault was missed.
    expect(findings(r, 'down-incomplete').map((x) => [x.data?.migration, x.data?.object])).toEqual([
      ['3_email_idx', `index ${f.schema}.users_email_idx`],
    ]);
    expect(findings(r, 'dry-run-skipped').map((x) => x.data)).toEqual([
      expect.objectContaining({ blocker: '5_more', reason: expect.stringMatching(/dirty/) }),
    ]);
    expect(r.stats).toMatchObject({ dryRunMigrations: 0, dryRunStatements: 0, dryRunSkipped: 5 });
  });

  it('finds empty downs and objects never dropped; the replace pattern and opaque scripts are left alone', async () => {
    const files = {
      '1_base.up.sql': 'CREATE TABLE items (id int PRIMARY KEY);\nCREATE VIEW item_ids AS SELECT id FROM items;\n',
      '1_base.down.sql': 'DROP VIEW item_ids;\nDROP TABLE items;\n',
      '2_noop.up.sql': 'ALTER TABLE items ADD COLUMN price int;\n',
      '2_noop.down.sql': '-- nothing to do\n/* really */\n',
      // The replace pattern: the view existed before, so the down restores it rather than drop it.
      '3_view.up.sql': 'DROP VIEW IF EXISTS item_ids;\nCREATE VIEW item_ids AS SELECT id, price FROM items;\n',
      '3_view.down.sql': 'DROP VIEW item_ids;\nCREATE VIEW item_ids AS SELECT id FROM items;\n',
      // A function nobody made before: OR REPLACE does not excuse a down that keeps it.
      '4_fn.up.sql':
        'CREATE OR REPLACE FUNCTION item_price(i int) RETURNS int LANGUAGE sql AS $$ SELECT price FROM items WHERE id = i $$;\nCREATE POLICY items_all ON items USING (true);\n',
      '4_fn.down.sql': 'DROP POLICY items_all ON items;\n',
      // A DO block may drop anything: no verdict.
      '5_dyn.up.sql': 'CREATE TABLE dyn (id int);\n',
      '5_dyn.down.sql': "DO $$ BEGIN EXECUTE 'DROP TABLE dyn'; END $$;\n",
    };
    const f = await golangFixture(files, 5);
    const r = await run(f);
    expect(findings(r, 'empty-down').map((x) => x.data?.migration)).toEqual(['2_noop']);
    expect(findings(r, 'down-incomplete').map((x) => [x.data?.migration, x.data?.object])).toEqual([
      ['4_fn', `function ${f.schema}.item_price(`],
    ]);
  });
});

describe('rollback-validation: dry-run of real round trips', () => {
  it('the replace pattern (DROP IF EXISTS + CREATE) is not "left behind"; a function a down keeps is, even with OR REPLACE', async () => {
    const files = {
      '1_base.up.sql': 'CREATE TABLE items (id int PRIMARY KEY, price int);\nCREATE VIEW item_ids AS SELECT id FROM items;\n',
      '1_base.down.sql': 'DROP VIEW item_ids;\nDROP TABLE items;\n',
      '2_view.up.sql': 'DROP VIEW IF EXISTS item_ids;\nCREATE VIEW item_ids AS SELECT id, price FROM items;\n',
      '2_view.down.sql': 'DROP VIEW item_ids;\nCREATE VIEW item_ids AS SELECT id FROM items;\n',
      '3_fn.up.sql':
        'CREATE OR REPLACE FUNCTION item_price(i int) RETURNS int LANGUAGE sql AS $$ SELECT price FROM items WHERE id = i $$;\n',
      '3_fn.down.sql': 'SELECT 1;\n',
    };
    const f = await golangFixture(files, 3);
    const r = await run(f, { dryRun: { enabled: true, last: 2 } });
    const diffs = findings(r, 'round-trip-diff').map((x) => [x.data?.migration, x.data?.object, x.data?.change]);
    // Failed before: view item_ids reported as left behind by 2_view; the function was not reported.
    expect(diffs).toEqual([['3_fn', `function ${f.schema}.item_price(…)`, 'left behind by the down script']]);
    expect(r.stats).toMatchObject({ dryRunMigrations: 2, dryRunRoundTrips: 2 });
  });

  it('policies, extensions and comments are in the snapshot diff', async () => {
    const files = {
      '1_docs.up.sql': 'CREATE TABLE docs (id int PRIMARY KEY, body text);\n',
      '1_docs.down.sql': 'DROP TABLE docs;\n',
      '2_rls.up.sql':
        "ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY docs_read ON docs FOR SELECT USING (true);\nCOMMENT ON TABLE docs IS 'documents';\n",
      // Forgets the comment, and drops the policy but never disables RLS.
      '2_rls.down.sql': 'DROP POLICY docs_read ON docs;\n',
    };
    const f = await golangFixture(files, 2);
    const runner = {
      query: async (sql: string, params?: unknown[]) => ({ rows: (await f.client.query(sql, params as unknown[])).rows, rowCount: 0 }),
    };
    const snap = await snapshotSchema(runner as never, [f.schema], new AbortController().signal);
    expect(snap.get(`policy ${f.schema}.docs.docs_read`)).toMatch(/for r .*using true/);
    expect(snap.get(`comment on table ${f.schema}.docs`)).toBe('documents');
    expect(snap.get(`row level security ${f.schema}.docs`)).toBe('enabled');
    await f.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA ' + f.schema);
    const snap2 = await snapshotSchema(runner as never, [f.schema], new AbortController().signal);
    expect([...snap2.keys()].filter((k) => k.startsWith('extension '))).toEqual(['extension pg_trgm']);
    await f.exec('DROP EXTENSION pg_trgm');
    // The up re-creates what the down dropped (and re-sets RLS and the comment): a clean round trip.
    const r = await run(f, { dryRun: { enabled: true, last: 1 } });
    expect(findings(r, 'round-trip-diff')).toEqual([]);
    // A down that clears a comment the up (as it is now) does not set again: missing after down + up.
    await f.write({
      '2_rls.down.sql': 'DROP POLICY docs_read ON docs;\nCOMMENT ON TABLE docs IS NULL;\n',
      '2_rls.up.sql': 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY docs_read ON docs FOR SELECT USING (true);\n',
    });
    const r2 = await run(f, { dryRun: { enabled: true, last: 1 } });
    expect(findings(r2, 'round-trip-diff').map((x) => [x.data?.object, x.data?.change])).toEqual([
      [`comment on table ${f.schema}.docs`, 'missing after down + up'],
    ]);
  });

  it('dry-runs as far as it can: the newer migrations are proven, the rest listed as skipped with why', async () => {
    const files = {
      '1_users.up.sql': 'CREATE TABLE users (id int PRIMARY KEY, name text);\n',
      '2_idx.up.sql': 'CREATE INDEX CONCURRENTLY users_name_idx ON users (name);\n',
      '2_idx.down.sql': 'DROP INDEX CONCURRENTLY users_name_idx;\n',
      '3_mood.up.sql': "CREATE TYPE mood AS ENUM ('ok');\nALTER TYPE mood ADD VALUE 'sad';\n",
      '3_mood.down.sql': 'DROP TYPE mood;\n',
      '4_tags.up.sql': 'CREATE TABLE tags (id int);\nCREATE INDEX tags_id_idx ON tags (id);\n',
      '4_tags.down.sql': 'DROP TABLE tags;\n',
    };
    const f = await fixture(files);
    await f.exec(GOLANG_TRACKING);
    await f.exec(files['1_users.up.sql']);
    await f.exec('CREATE INDEX users_name_idx ON users (name)');
    await f.exec(files['3_mood.up.sql'] + files['4_tags.up.sql']);
    await f.exec('INSERT INTO schema_migrations VALUES (4, false)');
    const before = await dbState(f);
    const r = await run(f, { dryRun: { enabled: true, last: 4 } });
    // ALTER TYPE … ADD VALUE runs in a transaction on PostgreSQL 12+: 3 is dry-run (failed before: refused).
    expect(r.stats).toMatchObject({ dryRunMigrations: 2, dryRunRoundTrips: 2, dryRunSkipped: 2 });
    expect(findings(r, 'non-transactional-statement').map((x) => [x.data?.migration, x.data?.direction])).toEqual([['2_idx', 'down']]);
    expect(findings(r, 'dry-run-skipped').map((x) => x.message)).toEqual([
      expect.stringMatching(/dry-run stopped at 2_idx: .*cannot run in a transaction.*not dry-run: 2_idx, 1_users/),
    ]);
    expect(findings(r, 'rollback-failed')).toEqual([]);
    expect(r.findings.filter((x) => x.severity === 'error')).toEqual([]);
    expect(await dbState(f)).toEqual(before);
  });
});

describe('rollback-validation: folders applied by the real node-pg-migrate and Knex', () => {
  it('node-pg-migrate 7.9 applies SQL and JS migrations; the check agrees, and finds an empty JS down', async () => {
    const files = {
      '1700000000001_users.sql':
        '-- Up Migration\nCREATE TABLE users (id serial PRIMARY KEY, name text);\n\n-- Down Migration\nDROP TABLE users;\n',
      '1700000000002_flags.js':
        'exports.up = (pgm) => { pgm.createTable("flags", { id: "id", name: "text" }); };\nexports.down = (pgm) => { pgm.dropTable("flags"); };\n',
      '1700000000003_audit.js':
        '/** @param pgm {import("node-pg-migrate").MigrationBuilder} */\nexports.up = async (pgm) => { pgm.addColumn("users", { audited: "boolean" }); };\nexports.down = async () => {};\n',
    };
    const f = await fixture(files);
    const { runner } = await import('node-pg-migrate');
    await runner({
      databaseUrl: { host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE },
      dir: f.dir,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      schema: f.schema,
      count: Infinity,
      log: () => {},
    });
    const applied = await f.exec('SELECT name FROM pgmigrations ORDER BY id');
    expect(applied.rows.map((x) => x.name)).toEqual(['1700000000001_users', '1700000000002_flags', '1700000000003_audit']);
    const r = await run(f);
    expect(r.stats).toMatchObject({ tool: 'node-pg-migrate', applied: 3, pending: 0 });
    expect(findings(r, 'missing-file')).toEqual([]);
    expect(findings(r, 'empty-down').map((x) => x.data?.migration)).toEqual(['1700000000003_audit.js']);
  });

  it('Knex 3.1 applies its folder; a pending migration whose down is not exported is one Knex refuses; a held lock is found', async () => {
    const files = {
      '20240101000000_users.js':
        'exports.up = (knex) => knex.schema.createTable("users", (t) => { t.increments(); t.string("name"); });\nexports.down = (knex) => knex.schema.dropTable("users");\n',
      '20240102000000_seed.js':
        'exports.up = async (knex) => { await knex("users").insert({ name: "a" }); };\nexports.down = function () { return null; };\n',
    };
    const f = await fixture(files);
    const { default: knexFactory } = await import('knex');
    const knex = knexFactory({
      client: 'pg',
      connection: { host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE },
      searchPath: [f.schema],
      pool: { min: 0, max: 1 },
      log: { error: () => {}, warn: () => {}, debug: () => {}, deprecate: () => {} },
    });
    cleanups.push(() => knex.destroy());
    const migrations = { directory: f.dir, schemaName: f.schema, loadExtensions: ['.js'] };
    await knex.migrate.latest(migrations);
    expect((await f.exec('SELECT name FROM knex_migrations ORDER BY id')).rows.map((x) => x.name)).toEqual([
      '20240101000000_users.js',
      '20240102000000_seed.js',
    ]);

    // A third migration defines `down` but never exports it: Knex itself refuses to run it.
    await f.write({
      '20240103000000_tags.js':
        'async function down(knex) { await knex.schema.dropTable("tags"); }\nexports.up = (knex) => knex.schema.createTable("tags", (t) => t.increments());\n',
    });
    await expect(knex.migrate.latest(migrations)).rejects.toThrow(/must have both an up and down function/);

    const r = await run(f);
    expect(r.stats).toMatchObject({ tool: 'knex', applied: 2 });
    expect(findings(r, 'empty-down').map((x) => x.data?.migration)).toEqual(['20240102000000_seed.js']);
    // Failed before: any function named down counted, so nothing was said.
    expect(findings(r, 'invalid-migration').map((x) => x.message)).toEqual([
      expect.stringMatching(/20240103000000_tags\.js cannot be run: its down function is not exported/),
    ]);
    expect(findings(r, 'migration-lock-held')).toEqual([]);

    await f.exec('UPDATE knex_migrations_lock SET is_locked = 1');
    const r2 = await run(f);
    expect(findings(r2, 'migration-lock-held').map((x) => x.data?.table)).toEqual([`${f.schema}.knex_migrations_lock`]);
  });
});

describe('rollback-validation: freshly migrated databases and hints', () => {
  it('never-analysed tables: empty ones by their pages (no findings), small ones counted, each basis named', async () => {
    const n = 60;
    const files: Record<string, string> = {};
    for (let i = 1; i <= n; i++) {
      files[`${i}_t${i}.up.sql`] = `CREATE TABLE t${i} (id int, note text);\n`;
      files[`${i}_t${i}.down.sql`] = `DROP TABLE t${i};\n`;
    }
    const f = await golangFixture(files, n);
    await f.exec('INSERT INTO t7 SELECT g, NULL FROM generate_series(1, 25) g');
    // Fewer exact counts allowed than tables: the cheap ones must not use them up.
    const r = await run(f, { destructive: { maxExactCounts: 2 } });
    // Failed before: 60 "unknown: never analysed" warnings.
    expect(findings(r, 'destructive-rollback').map((x) => [x.data?.target, x.data?.rows, x.data?.rowsBasis])).toEqual([
      [`${f.schema}.t7`, 25, 'exact count'],
    ]);
  });

  it('a missing tracking table names the one found in another schema', async () => {
    const f = await fixture(usersAndOrders);
    const other = await createPgSchema('rv_other');
    cleanups.push(other.cleanup);
    await other.client.query(`CREATE TABLE "${other.schema}".schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)`);
    const r = await run(f);
    // Other schemas on the shared server (the demo's, another test's) may be listed beside it.
    const [message, ...more] = findings(r, 'no-tracking-table').map((x) => x.message);
    expect(more).toEqual([]);
    expect(message).toMatch(
      new RegExp(`\\(found (\\S+, )*${other.schema}\\.schema_migrations(, \\S+)*: set \`schema:\` to its schema\\)$`),
    );
  });
});

describe('rollback-validation: lock-aware lint with live table sizes', () => {
  const files = {
    '1_events.up.sql':
      'CREATE TABLE events (id int PRIMARY KEY, kind text, payload text);\nCREATE TABLE empty_events (id int PRIMARY KEY, kind text);\n',
    '1_events.down.sql': 'DROP TABLE events;\nDROP TABLE empty_events;\n',
    '2_types.up.sql':
      'ALTER TABLE events ALTER COLUMN payload TYPE varchar(500);\nALTER TABLE empty_events ALTER COLUMN kind TYPE varchar(20);\n',
    '2_types.down.sql': 'ALTER TABLE events ALTER COLUMN payload TYPE text;\nALTER TABLE empty_events ALTER COLUMN kind TYPE text;\n',
    '3_idx.up.sql': 'CREATE INDEX events_kind_idx ON events (kind);\nALTER TABLE events ALTER COLUMN kind SET NOT NULL;\n',
    '3_idx.down.sql': 'DROP INDEX events_kind_idx;\nALTER TABLE events ALTER COLUMN kind DROP NOT NULL;\n',
  };

  it('the same statement is an error on a big table and nothing on an empty one; pending and recent ones only', async () => {
    const f = await golangFixture(files, 2);
    await f.exec(`INSERT INTO events SELECT g, 'k', repeat('x', 50) FROM generate_series(1, 5000) g`);
    await f.exec('ANALYZE events; ANALYZE empty_events');
    const r = await run(f, { lint: { rowsAbove: 1000 } });
    const lint = findings(r, 'locking-statement');
    expect(lint.map((x) => [x.data?.migration, x.data?.table, x.data?.lock, x.data?.work, x.data?.state])).toEqual([
      ['2_types', `${f.schema}.events`, 'ACCESS EXCLUSIVE', 'rewrite', 'applied'],
      ['3_idx', `${f.schema}.events`, 'SHARE', 'scan', 'pending'],
      ['3_idx', `${f.schema}.events`, 'ACCESS EXCLUSIVE', 'scan', 'pending'],
    ]);
    expect(lint[0].message).toMatch(new RegExp(`rewrites ${f.schema}\\.events \\(\\d+ kB, 5\\.0k rows\\) under ACCESS EXCLUSIVE`));
    expect(lint[0].severity).toBe('error');
    // recentApplied: 0 lints the pending migrations only.
    const r2 = await run(f, { lint: { rowsAbove: 1000, recentApplied: 0 } });
    expect(findings(r2, 'locking-statement').map((x) => x.data?.migration)).toEqual(['3_idx', '3_idx']);
    // With the default threshold (1M rows, 1 GB) a 5000-row table is not worth a finding.
    const r3 = await run(f);
    expect(findings(r3, 'locking-statement')).toEqual([]);
    expect(r3.stats.lintStatements).toBe(4);
  });

  it('the dry-run records the blocking locks each script took and the tables it rewrote', async () => {
    const f = await golangFixture(files, 3);
    await f.exec(`INSERT INTO events SELECT g, 'k', 'x' FROM generate_series(1, 100) g`);
    const r = await run(f, { dryRun: { enabled: true, last: 2 } });
    expect(findings(r, 'round-trip-diff')).toEqual([]);
    const section = r.sections?.find((s) => s.title.startsWith('rollback dry-run: blocking locks'));
    expect(section?.columns).toEqual(['migration', 'script', 'table', 'lock', 'rewritten']);
    // The down of 3 (DROP INDEX, DROP NOT NULL) takes ACCESS EXCLUSIVE on events without rewriting;
    // the down of 2 (varchar(500) -> text) is binary-compatible: no rewrite; the up of 2 (text ->
    // varchar(500)) rewrites both tables.
    expect(section?.rows).toEqual([
      ['3_idx', 'down', `${f.schema}.events`, 'ACCESS EXCLUSIVE', 'no'],
      ['2_types', 'down', `${f.schema}.empty_events`, 'ACCESS EXCLUSIVE', 'no'],
      ['2_types', 'up', `${f.schema}.empty_events`, 'ACCESS EXCLUSIVE', 'yes'],
      ['2_types', 'up', `${f.schema}.events`, 'ACCESS EXCLUSIVE', 'yes'],
    ]);
    expect(r.stats.dryRunRewrites).toBe(2);
  });

  it('a rewrite in the dry-run shows as a new relfilenode', async () => {
    const rewrite = {
      '1_t.up.sql': 'CREATE TABLE t (id int PRIMARY KEY, n int);\n',
      '1_t.down.sql': 'DROP TABLE t;\n',
      '2_big.up.sql': 'ALTER TABLE t ALTER COLUMN n TYPE bigint;\n',
      '2_big.down.sql': 'ALTER TABLE t ALTER COLUMN n TYPE int;\n',
    };
    const f = await golangFixture(rewrite, 2);
    await f.exec('INSERT INTO t SELECT g, g FROM generate_series(1, 10) g');
    const r = await run(f, { dryRun: { enabled: true, last: 1 } });
    const rows = r.sections?.[0]?.rows ?? [];
    expect(rows).toContainEqual(['2_big', 'down', `${f.schema}.t`, 'ACCESS EXCLUSIVE', 'yes']);
    expect(r.stats.dryRunRewrites).toBeGreaterThanOrEqual(1);
  });
});

describe('rollback-validation: preflight (describe only; problems exit 2)', () => {
  async function preflight(f: Fixture | undefined, options: Record<string, unknown>) {
    const problems: Array<{ path?: string; message: string }> = [];
    const admin = f?.client ?? (await pgAdmin());
    if (!f) cleanups.push(() => admin.end());
    const parsed = check.meta.options!.safeParse(options);
    if (!parsed.success) throw new Error('bad options');
    await check.preflight!({
      checkId: 'rollback-validation',
      options: parsed.data,
      stores: {
        postgres: {
          query: async (sql: string, params?: unknown[]) => ({ rows: (await admin.query(sql, params as unknown[])).rows, rowCount: 0 }),
        },
      } as never,
      storeStatus: {} as never,
      signal: new AbortController().signal,
      log: () => {},
      baseDir: '/',
      problem: (p) => problems.push(p),
    });
    return problems;
  }

  it('a missing folder, a missing schema and a forced table with the wrong columns are config problems', async () => {
    expect(await preflight(undefined, { migrations: '/nonexistent/rv-migrations', schema: 'rv_no_such_schema' })).toEqual([
      { path: 'migrations', message: 'migrations folder not found: /nonexistent/rv-migrations' },
      { path: 'schema', message: 'schema "rv_no_such_schema" does not exist' },
    ]);
    const f = await fixture(usersAndOrders);
    await f.exec('CREATE TABLE applied (something text)');
    expect(await preflight(f, { migrations: f.dir, schema: f.schema, tool: 'golang-migrate', table: 'applied' })).toEqual([
      { path: 'table', message: expect.stringMatching(/does not look like a golang-migrate tracking table \(columns: something\)/) },
    ]);
    // A tracking table that does not exist yet is not a mistake (nothing applied yet).
    expect(await preflight(f, { migrations: f.dir, schema: f.schema, tool: 'golang-migrate', table: 'not_yet' })).toEqual([]);
    // Nothing was read but the catalog: a clean folder and schema give no problem.
    await applyGolang(f, usersAndOrders, 2);
    expect(await preflight(f, { migrations: f.dir, schema: f.schema })).toEqual([]);
  });
});
