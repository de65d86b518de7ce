/**
 * rollback-validation: is the migration history sane, and would rolling back the last migrations
 * work without losing data nobody meant to lose?
 *
 *  1. finds the tool (tools/index.ts) from the folder and its tracking table;
 *  2. compares files with the tracking table (history.ts): missing, pending, out of order,
 *     checksum mismatch, dirty, no down script, no tracking table at all;
 *  3. reads the down scripts for destructive statements and counts the rows at stake (row-counts.ts);
 *  4. only when dryRun.enabled: rolls the last K migrations down and up again inside one
 *     transaction that is always rolled back (dry-run.ts).
 * Steps 1-3 are read-only and use ctx.stores.postgres; step 4 uses ctx.rollback.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CheckError, defineCheck } from '../../src/plugin.js';
import { runDryRun } from './dry-run.js';
import { type RollbackValidationContext, STATS } from './stats.js';
import { analyseHistory } from './history.js';
import { analyseUpDown } from './static-analysis.js';
import { addEarlier, type EarlierMigrations } from './sql-objects.js';
import { formatBytes, formatRows, lockHazards, type LockHazard } from './lock-lint.js';
import { nonTransactionalReason } from './sql-classify.js';
import { findTrackingTablesElsewhere } from './tools/tracking.js';
import { optionsSchema, type RollbackValidationOptions } from './options.js';
import { countRowsAtStake, type ResolvedTarget } from './row-counts.js';
import { destructiveTargets } from './sql-classify.js';
import { statementForDisplay } from './text.js';
import { splitSqlStatements, type SqlStatement } from './sql-split.js';
import { listFiles } from './tools/files.js';
import { chooseTool, toolById, TOOLS } from './tools/index.js';
import { findTrackingTables, quoteTrackingTable } from './tools/tracking.js';
import type { DiskMigration, History, MigrationTool } from './tools/types.js';

const ACTION_WORDS: Record<string, string> = {
  'drop-table': 'drop table',
  truncate: 'truncate',
  delete: 'delete from',
  'drop-column': 'drop column',
  'drop-schema': 'drop schema (cascade)',
};

export default defineCheck({
  meta: {
    id: 'rollback-validation',
    title: 'Migration history and rollback validation',
    description:
      'Compares migration files with the tracking table (golang-migrate, node-pg-migrate, Knex, Flyway, Prisma, plain SQL), ' +
      'finds destructive rollbacks with the rows at stake, and (opt-in) proves the last rollbacks in a transaction that is always rolled back.',
    requires: ['postgres'],
    access: 'rollback-txn',
    options: optionsSchema,
    stats: STATS,
    codes: {
      'missing-file': {
        severity: 'error',
        message: (d) => `migration ${d.migration} is recorded as applied but has no file in the migrations folder`,
        description: 'The tracking table lists a migration that is not on disk: it cannot be rolled back or re-applied.',
      },
      pending: {
        severity: 'warn',
        message: (d) => `migration ${d.migration} ${d.reason ?? 'is on disk but not applied'}`,
        description: 'A migration file that the tracking table does not list.',
      },
      'out-of-order': {
        severity: 'warn',
        message: (d) =>
          d.kind === 'pending-before-applied'
            ? `migration ${d.migration} is not applied but is older than the applied ${d.later}`
            : `migration ${d.migration} was applied after the newer ${d.later}`,
        description: 'History and file order disagree: a rollback of "the last N" would not undo what was applied last.',
      },
      'checksum-mismatch': {
        severity: 'error',
        message: (d) => `migration ${d.migration} was edited after it was applied (recorded checksum ${d.recorded}, file ${d.onDisk})`,
        description: 'Flyway CRC32 or Prisma SHA-256 of the file differs from the one recorded when it was applied.',
      },
      'dirty-state': {
        severity: 'error',
        message: (d) => `migration ${d.migration} is ${d.state} in the tracking table`,
        description: 'golang-migrate dirty, Flyway success=false, Prisma unfinished or rolled back: the schema is half-migrated.',
      },
      'no-down-script': {
        severity: 'warn',
        message: (d) => `${d.migration}: ${d.reason}`,
        description: 'An applied migration has no down/undo script, so it cannot be rolled back.',
      },
      'no-tracking-table': {
        severity: 'error',
        message: (d) =>
          `${d.migrations} migrations on disk but no ${d.tool} tracking table ${d.table}: nothing records which are applied` +
          (d.elsewhere?.length ? ` (found ${d.elsewhere.join(', ')}: set \`schema:\` to its schema)` : ''),
        description: 'Migrations exist but no version tracking: a rollback cannot know where it stands.',
      },
      'destructive-rollback': {
        severity: 'warn',
        message: (d) =>
          `rolling back ${d.migration} would ${d.verb} ${d.target}: ${d.rows === null ? 'an unknown number of' : `${d.upperBound ? 'up to ' : ''}${d.rows}`} rows (${d.rowsBasis})`,
        description: 'A down script drops a table or column, truncates or deletes: the data a rollback would lose.',
      },
      'rollback-failed': {
        severity: 'error',
        message: (d) => `${d.phase} ${d.migration} failed at ${d.file}:${d.line}: ${d.statement} — ${d.error}`,
        description:
          'In the dry-run, a down script (or the up script re-applied after it) failed; the statement and server error are given.',
      },
      'round-trip-diff': {
        severity: 'error',
        message: (d) => `round trip not clean: ${d.object} ${d.change}${d.migration ? ` (${d.migration})` : ''}`,
        description: 'In the dry-run, down + up did not restore the schema, or a down script left behind an object its up script creates.',
      },
      'non-transactional-statement': {
        severity: 'warn',
        message: (d) =>
          `${d.direction} script of ${d.migration} (${d.file}:${d.line}) cannot run in a transaction, so the dry-run stops before it: ${d.reason}`,
        description:
          'A script holds a statement that cannot run inside the dry-run transaction: the dry-run covers only the newer migrations.',
      },
      'dry-run-skipped': {
        severity: 'warn',
        message: (d) =>
          d.skipped?.length && d.dryRun > 0
            ? `dry-run stopped at ${d.blocker}: ${d.reason}; not dry-run: ${d.skipped.join(', ')}`
            : `dry-run not possible: ${d.reason}`,
        description:
          'The dry-run rolls back the last migrations up to the first one it cannot run (dirty, no SQL down script, code, a non-transactional statement); the rest are listed as skipped, with why.',
      },
      'down-incomplete': {
        severity: 'warn',
        message: (d) => `the down script of ${d.migration} never drops ${d.object}, which its up script creates`,
        description:
          'Static analysis (no database): an object an up script creates that its down script does not remove; rolling back leaves it behind.',
      },
      'empty-down': {
        severity: 'warn',
        message: (d) => `the down script of ${d.migration} (${d.file}) does nothing: rolling back only removes the history row`,
        description: 'A down script that is empty or comment-only, or a down function with an empty body or `return null`.',
      },
      'invalid-migration': {
        severity: 'error',
        message: (d) => `pending migration ${d.migration} cannot be run: ${d.reason}`,
        description: 'A pending migration the tool itself refuses to run (Knex: no exported down function).',
      },
      'locking-statement': {
        severity: 'error',
        message: (d) =>
          `${d.migration} (${d.file}:${d.line}) ${d.work === 'rewrite' ? 'rewrites' : 'scans'} ${d.table} (${d.size}, ${d.rows} rows) under ${d.lock}: ${d.what}; instead: ${d.instead}`,
        description:
          'Lock-aware lint of pending and recently applied migrations: a statement that rewrites or scans a big table (by its live size) while holding a lock that blocks the application.',
      },
      'migration-lock-held': {
        severity: 'warn',
        message: (d) => `${d.table} is locked (is_locked = 1): a migration is running now, or one crashed and left the lock`,
        description: 'Knex holds knex_migrations_lock while migrating; a lock left behind blocks every later migrate until released.',
      },
    },
  },

  /**
   * Describe-only: the folder exists, a configured `schema:` exists, and a configured `table:`, when
   * it exists, has the forced tool's columns. Mistakes here are config mistakes (exit 2).
   */
  async preflight(ctx) {
    const o = ctx.options;
    const db = ctx.stores.postgres;
    const dir = path.resolve(ctx.baseDir, o.migrations);
    if (!(await stat(dir).catch(() => undefined))?.isDirectory())
      ctx.problem({ path: 'migrations', message: `migrations folder not found: ${dir}` });
    if (o.schema) {
      const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [o.schema], {
        signal: ctx.signal,
      });
      if (r.rows[0]?.n === 0) return ctx.problem({ path: 'schema', message: `schema "${o.schema}" does not exist` });
    }
    if (o.table) {
      const schema =
        o.schema ?? (await db.query<{ s: string | null }>('SELECT current_schema() AS s', [], { signal: ctx.signal })).rows[0]?.s;
      if (!schema) return;
      const t = (await findTrackingTables(db, schema, [o.table], ctx.signal)).get(o.table);
      const settings = { versionColumn: o.plain.versionColumn, ...(o.plain.orderColumn ? { orderColumn: o.plain.orderColumn } : {}) };
      // A missing table is not a mistake: nothing may be applied yet (run() reports no-tracking-table).
      if (t && o.tool && !toolById(o.tool).tableLooksLikeMine(t.columns, settings)) {
        ctx.problem({
          path: 'table',
          message: `${schema}.${o.table} does not look like a ${toolById(o.tool).title} tracking table (columns: ${t.columns.join(', ')})`,
        });
      }
    }
  },

  async run(ctx) {
    const o = ctx.options;
    const db = ctx.stores.postgres;
    const signal = ctx.signal;

    const dir = path.resolve(ctx.baseDir, o.migrations);
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new CheckError(
        'MIGRATIONS_FOLDER',
        `migrations folder not found: ${dir}`,
        'set `migrations:` to the folder, relative to the config file',
      );
    }
    const files = await listFiles(dir);

    const schema = o.schema ?? (await db.query<{ s: string | null }>('SELECT current_schema() AS s', [], { signal })).rows[0]?.s;
    if (!schema)
      throw new CheckError('NO_SCHEMA', 'no current schema (empty search_path)', 'set `schema:` to the schema holding the tracking table');
    const settings = { versionColumn: o.plain.versionColumn, ...(o.plain.orderColumn ? { orderColumn: o.plain.orderColumn } : {}) };
    const tables = await findTrackingTables(db, schema, o.table ? [o.table] : TOOLS.map((t) => t.defaultTable), signal);
    const choice = chooseTool(files, tables, settings, { ...(o.tool ? { tool: o.tool } : {}), ...(o.table ? { table: o.table } : {}) });
    if (!choice) {
      throw new CheckError(
        'NO_MIGRATIONS',
        `no migration files recognised in ${dir}`,
        'expected golang-migrate (1_x.up.sql), node-pg-migrate, Knex, Flyway (V1__x.sql), Prisma (<name>/migration.sql) or plain (1_x.up.sql/.down.sql) files; set `tool:` to choose',
      );
    }
    const { tool } = choice;
    const found = tables.get(choice.tableName);
    if (found && !choice.table) {
      throw new CheckError(
        'TRACKING_TABLE',
        `${schema}.${choice.tableName} does not look like a ${tool.title} tracking table (columns: ${found.columns.join(', ')})`,
        'check `tool:` and `table:`',
      );
    }

    const disk = await tool.load(dir, files);
    // The counters are there from the start, so a run that stops early still shows them.
    Object.assign(ctx.stats, {
      tool: tool.id,
      // Findings name files relative to this folder; SARIF reports point code-scanning UIs at them.
      migrationsDir: dir,
      trackingTable: `${schema}.${choice.tableName}`,
      migrationsOnDisk: disk.length,
      dryRunMigrations: 0,
      dryRunStatements: 0,
      dryRunRoundTrips: 0,
      dryRunSkipped: 0,
      dryRunRewrites: 0,
      lintStatements: 0,
    } satisfies typeof ctx.stats);

    let history: History | undefined;
    if (!choice.table) {
      if (disk.length > 0) {
        const elsewhere = await findTrackingTablesElsewhere(db, schema, choice.tableName, signal);
        ctx.report({
          code: 'no-tracking-table',
          subject: { store: 'postgres', object: `${schema}.${choice.tableName}` },
          data: {
            tool: tool.title,
            table: `${schema}.${choice.tableName}`,
            migrations: disk.length,
            ...(elsewhere.length ? { elsewhere } : {}),
          },
        });
      }
    } else {
      history = await tool.readHistory(db, choice.table, disk, settings, signal);
      ctx.stats.applied = history.applied.filter((a) => a.state === 'applied').length;
      reportHistory(ctx, tool, disk, history);
      if (tool.id === 'knex') await reportKnexLock(ctx, schema, `${choice.tableName}_lock`);
    }

    for (const f of analyseUpDown(tool, disk, history, schema)) {
      const { code, label, ...rest } = f;
      ctx.report({
        code,
        subject: { store: 'postgres', object: 'object' in f ? f.object : ctx.stats.trackingTable, key: label },
        data: { ...rest, migration: label },
      });
    }

    if (o.destructive.enabled) await reportDestructive(ctx, disk, history, schema);
    if (o.lint.enabled) await reportLockHazards(ctx, disk, history, schema);

    if (o.dryRun.enabled) {
      const serverVersion = Number((await db.query<{ v: string }>('SHOW server_version_num', [], { signal })).rows[0]?.v ?? 120000);
      const plan = planDryRun(tool, disk, history, o.dryRun.last, serverVersion);
      const subject = { store: 'postgres' as const, object: `${schema}.${choice.tableName}` };
      if (plan.nonTransactional) {
        const n = plan.nonTransactional;
        ctx.report({
          code: 'non-transactional-statement',
          subject: { store: 'postgres', object: n.file, key: n.migration },
          data: { ...n },
        });
      }
      if (plan.blocked) {
        ctx.stats.dryRunSkipped = plan.blocked.skipped.length;
        ctx.report({ code: 'dry-run-skipped', subject, data: { ...plan.blocked, dryRun: plan.migrations.length, tool: tool.title } });
      }
      if (plan.migrations.length > 0) {
        ctx.progress({ done: 0, note: `dry-run of ${plan.migrations.length} rollback(s)` });
        ctx.stats.dryRunMigrations = plan.migrations.length;
        const oldest = disk.indexOf(plan.migrations[plan.migrations.length - 1]);
        const earlier = disk.slice(0, Math.max(0, oldest)).filter((m) => !m.repeatable);
        const locks = await runDryRun(ctx, {
          migrations: plan.migrations,
          schemas: o.dryRun.schemas ?? [schema],
          lockTimeoutMs: o.dryRun.lockTimeout,
          statementTimeoutMs: o.dryRun.statementTimeout,
          earlier: earlierMigrations(earlier),
          ...(o.dryRun.shadowDatabase ? { shadowDatabase: o.dryRun.shadowDatabase } : {}),
        });
        if (locks.length > 0) {
          return {
            sections: [
              {
                title: 'rollback dry-run: blocking locks taken and tables rewritten',
                columns: ['migration', 'script', 'table', 'lock', 'rewritten'],
                rows: locks.map((l) => [l.migration, l.direction, l.table, l.lock, l.rewritten ? 'yes' : 'no']),
              },
            ],
          };
        }
      }
    }
  },
});

/**
 * Lock-aware lint of the pending migrations and the last `lint.recentApplied` applied ones: each
 * statement that holds a blocking lock while it rewrites or scans a table is a finding when that
 * table is big (planner estimate and page count from the catalog: no lock taken, nothing read).
 */
async function reportLockHazards(
  ctx: RollbackValidationContext,
  disk: readonly DiskMigration[],
  history: History | undefined,
  schema: string,
) {
  const o = (ctx.options as RollbackValidationOptions).lint;
  const applied = history ? [...history.applied].filter((a) => a.state === 'applied').sort((a, b) => b.rank - a.rank) : [];
  const recent = new Set(applied.slice(0, o.recentApplied).map((a) => a.id));
  const appliedIds = new Set(applied.map((a) => a.id));
  const hits: Array<{ m: DiskMigration; st: SqlStatement; h: LockHazard; schema: string }> = [];
  for (const m of disk) {
    if (!m.upSql || m.repeatable || (appliedIds.has(m.id) && !recent.has(m.id))) continue;
    for (const st of splitSqlStatements(m.upSql)) for (const h of lockHazards(st.code)) hits.push({ m, st, h, schema: h.schema ?? schema });
  }
  ctx.stats.lintStatements = hits.length;
  if (hits.length === 0) return;
  const r = await ctx.stores.postgres.query<{ i: number; rows: string | null; bytes: string | null }>(
    `SELECT t.i::int AS i, greatest(c.reltuples, 0)::bigint::text AS rows,
            (c.relpages::bigint * current_setting('block_size')::bigint)::text AS bytes
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(sch, tbl, i)
       LEFT JOIN pg_namespace n ON n.nspname = t.sch
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.tbl AND c.relkind IN ('r', 'p', 'm')
      ORDER BY t.i`,
    [hits.map((x) => x.schema), hits.map((x) => x.h.table)],
    { signal: ctx.signal },
  );
  for (const row of r.rows) {
    const { m, st, h, schema: s } = hits[row.i - 1];
    const rows = Number(row.rows ?? 0);
    const bytes = Number(row.bytes ?? 0);
    if (row.rows === null || (rows < o.rowsAbove && bytes < o.bytesAbove)) continue; // small or not there yet: not worth a finding
    ctx.report({
      code: 'locking-statement',
      subject: { store: 'postgres', object: `${s}.${h.table}`, key: m.label },
      data: {
        migration: m.label,
        file: m.upFile,
        line: st.line + (m.upFirstLine ?? 1) - 1,
        statement: statementForDisplay(st.text),
        table: `${s}.${h.table}`,
        lock: h.lock,
        work: h.work,
        what: h.what,
        instead: h.instead,
        rows: formatRows(rows),
        size: formatBytes(bytes),
        sizeSource: 'pg_class.reltuples and relpages (as of the last VACUUM/ANALYZE)',
        state: appliedIds.has(m.id) ? 'applied' : 'pending',
      },
    });
  }
}

function earlierMigrations(ms: readonly DiskMigration[]): EarlierMigrations {
  const earlier: EarlierMigrations = { words: new Set(), hasCode: false };
  for (const m of ms) addEarlier(earlier, m.upSql);
  return earlier;
}

/** A held knex_migrations_lock row (is_locked = 1) blocks every later migrate. */
async function reportKnexLock(ctx: RollbackValidationContext, schema: string, lockTable: string) {
  const db = ctx.stores.postgres;
  const found = await findTrackingTables(db, schema, [lockTable], ctx.signal);
  const t = found.get(lockTable);
  if (!t || !t.columns.includes('is_locked')) return;
  const r = await db.query<{ locked: boolean }>(`SELECT bool_or(is_locked = 1) AS locked FROM ${quoteTrackingTable(t)}`, [], {
    signal: ctx.signal,
  });
  if (r.rows[0]?.locked)
    ctx.report({
      code: 'migration-lock-held',
      subject: { store: 'postgres', object: `${schema}.${lockTable}` },
      data: { table: `${schema}.${lockTable}` },
    });
}

function reportHistory(ctx: RollbackValidationContext, tool: MigrationTool, disk: readonly DiskMigration[], history: History) {
  const counts: Record<string, number> = {};
  let pendingOutOfOrder = 0;
  for (const f of analyseHistory(tool, disk, history)) {
    counts[f.code] = (counts[f.code] ?? 0) + 1;
    if (f.code === 'out-of-order' && f.kind === 'pending-before-applied') pendingOutOfOrder++;
    const { code, id, ...rest } = f;
    const migration = 'label' in f ? f.label : id;
    ctx.report({
      code,
      subject: { store: 'postgres', object: ctx.stats.trackingTable, key: migration },
      data: { ...rest, migration, id },
    });
  }
  ctx.stats.pending = (counts.pending ?? 0) + pendingOutOfOrder;
}

/** Down scripts of applied migrations (all of them when nothing tracks what is applied). */
async function reportDestructive(
  ctx: RollbackValidationContext,
  disk: readonly DiskMigration[],
  history: History | undefined,
  schema: string,
) {
  const o = ctx.options as RollbackValidationOptions;
  const applied = history ? new Set(history.applied.filter((a) => a.state !== 'rolled-back').map((a) => a.id)) : undefined;
  const found: Array<{ migration: DiskMigration; statement: SqlStatement; target: ResolvedTarget }> = [];
  for (const m of disk) {
    if (!m.downSql || (applied && !applied.has(m.id))) continue;
    for (const statement of splitSqlStatements(m.downSql)) {
      for (const t of destructiveTargets(statement.code))
        found.push({ migration: m, statement, target: { ...t, schema: t.schema ?? schema } });
    }
  }
  const stats = { exactCounts: 0, estimates: 0 };
  const counts = await countRowsAtStake(
    ctx.stores.postgres,
    found.map((f) => f.target),
    { exactBelow: o.destructive.exactCountBelow, timeoutMs: o.destructive.countTimeout, maxExactCounts: o.destructive.maxExactCounts },
    ctx.signal,
    stats,
  );
  Object.assign(ctx.stats, {
    destructiveStatements: found.length,
    rowCountsExact: stats.exactCounts,
    rowCountsEstimated: stats.estimates,
  } satisfies typeof ctx.stats);
  found.forEach(({ migration, statement, target }, k) => {
    const c = counts[k];
    if (!c.exists || c.rows === 0) return; // nothing there to lose
    const table = target.action === 'drop-schema' ? target.schema : `${target.schema}.${target.table}`;
    const object = target.column ? `${table}.${target.column}` : table;
    ctx.report({
      code: 'destructive-rollback',
      subject: { store: 'postgres', object, key: migration.label },
      data: {
        migration: migration.label,
        file: migration.downFile,
        line: statement.line + (migration.downFirstLine ?? 1) - 1,
        statement: statementForDisplay(statement.text),
        action: target.action,
        verb: ACTION_WORDS[target.action],
        target: object,
        rows: c.rows,
        rowsBasis:
          c.source ?? (c.basis === 'estimate' ? 'planner estimate' : c.basis === 'exact' ? 'exact count' : 'unknown: table never analysed'),
        ...(c.upperBound ? { upperBound: true } : {}),
      },
    });
  });
}

interface DryRunPlan {
  /** Newest first: the migrations rolled back (and re-applied) in the dry-run. */
  migrations: DiskMigration[];
  /** The first of the last `last` that cannot be dry-run, why, and the ones not dry-run because of it. */
  blocked?: { blocker: string; reason: string; skipped: string[] };
  nonTransactional?: { migration: string; direction: 'down' | 'up'; file: string; line: number; statement: string; reason: string };
}

/**
 * The last `last` applied migrations, newest first, up to the first one that cannot be dry-run:
 * a rollback of the older ones would have to pass through it. The newer ones are still proven.
 */
function planDryRun(
  tool: MigrationTool,
  disk: readonly DiskMigration[],
  history: History | undefined,
  last: number,
  serverVersion: number,
): DryRunPlan {
  const stop = (reason: string) => ({ migrations: [], blocked: { blocker: 'the start', reason, skipped: [] } });
  if (!history) return stop('no tracking table, so which migrations are applied is unknown');
  if (!tool.hasDownScripts) return stop(`${tool.title} has no down migrations to run`);
  const newest = [...history.applied]
    .filter((a) => !a.repeatable)
    .sort((a, b) => b.rank - a.rank)
    .slice(0, last);
  if (newest.length === 0) return stop('no migration is applied yet');
  const onDisk = new Map(disk.map((m) => [m.id, m]));
  const out: DiskMigration[] = [];
  for (const [k, a] of newest.entries()) {
    const m = onDisk.get(a.id);
    const label = m?.label ?? a.id;
    let reason: string | undefined;
    let nonTransactional: DryRunPlan['nonTransactional'];
    if (a.state !== 'applied') reason = `it is ${a.state}; repair the history first`;
    else if (a.inCode) reason = `it is a Java migration (${a.inCode}); dbcheck never executes code`;
    else if (!m) reason = 'it has no file on disk';
    else if (m.down === 'code' || (m.upSql === undefined && /\.[cm]?[jt]s$/.test(m.upFile ?? '')))
      reason = 'it is a JavaScript/TypeScript migration; dbcheck reads it but never executes code';
    else if (m.down !== 'sql' || !m.downSql) reason = 'it has no down script';
    else if (!m.upSql) reason = 'it has no SQL up script to re-apply';
    else {
      nonTransactional = firstNonTransactional(m, serverVersion);
      if (nonTransactional)
        reason = `its ${nonTransactional.direction} script holds a statement that cannot run in a transaction (${nonTransactional.file}:${nonTransactional.line})`;
    }
    if (reason) {
      const skipped = newest.slice(k).map((x) => onDisk.get(x.id)?.label ?? x.id);
      return { migrations: out, blocked: { blocker: label, reason, skipped }, ...(nonTransactional ? { nonTransactional } : {}) };
    }
    out.push(m!);
  }
  return { migrations: out };
}

/** The first statement of a migration's down or up script that cannot run in a transaction. */
function firstNonTransactional(m: DiskMigration, serverVersion: number): DryRunPlan['nonTransactional'] {
  for (const direction of ['down', 'up'] as const) {
    const sql = direction === 'down' ? m.downSql : m.upSql;
    const first = (direction === 'down' ? m.downFirstLine : m.upFirstLine) ?? 1;
    for (const st of splitSqlStatements(sql ?? '')) {
      const reason = nonTransactionalReason(st.code, serverVersion);
      if (reason)
        return {
          migration: m.label,
          direction,
          file: (direction === 'down' ? m.downFile : m.upFile) ?? m.label,
          line: st.line + first - 1,
          statement: statementForDisplay(st.text),
          reason,
        };
    }
  }
  return undefined;
}
