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
import { CheckError, defineCheck, type CheckContext } from '../../src/plugin.js';
import { runDryRun } from './dry-run.js';
import { analyseHistory } from './history.js';
import { optionsSchema, type RollbackValidationOptions } from './options.js';
import { countRowsAtStake, type ResolvedTarget } from './row-counts.js';
import { destructiveTargets } from './sql-classify.js';
import { statementForDisplay } from './text.js';
import { splitSqlStatements, type SqlStatement } from './sql-split.js';
import { listFiles } from './tools/files.js';
import { chooseTool, TOOLS } from './tools/index.js';
import { findTrackingTables } from './tools/tracking.js';
import type { DiskMigration, History, MigrationTool } from './tools/types.js';


const ACTION_WORDS: Record<string, string> = {
  'drop-table': 'drop table',
  truncate: 'truncate',
  delete: 'delete from',
  'drop-column': 'drop column',
  'drop-schema': 'drop schema (cascade)',
};

export default defineCheck<RollbackValidationOptions>({
  meta: {
    id: 'rollback-validation',
    title: 'Migration history and rollback validation',
    description:
      'Compares migration files with the tracking table (golang-migrate, node-pg-migrate, Knex, Flyway, Prisma, plain SQL), ' +
      'finds destructive rollbacks with the rows at stake, and (opt-in) proves the last rollbacks in a transaction that is always rolled back.',
    requires: ['postgres'],
    access: 'rollback-txn',
    options: optionsSchema,
    codes: {
      'missing-file': {
        severity: 'error',
        message: (d) => `migration ${d.migration} is recorded as applied but has no file in the migrations folder`,
        description: 'The tracking table lists a migration that is not on disk: it cannot be rolled back or re-applied.',
      },
      pending: {
        severity: 'warn',
        message: (d) => `migration ${d.migration} is on disk but not applied`,
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
        message: (d) => `${d.migrations} migrations on disk but no ${d.tool} tracking table ${d.table}: nothing records which are applied`,
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
        description: 'In the dry-run, a down script (or the up script re-applied after it) failed; the statement and server error are given.',
      },
      'round-trip-diff': {
        severity: 'error',
        message: (d) => `round trip not clean: ${d.object} ${d.change}${d.migration ? ` (${d.migration})` : ''}`,
        description: 'In the dry-run, down + up did not restore the schema, or a down script left behind an object its up script creates.',
      },
      'non-transactional-statement': {
        severity: 'error',
        message: (d) => `dry-run refused: ${d.direction} script of ${d.migration} (${d.file}:${d.line}) cannot run in a transaction: ${d.reason}`,
        description: 'A script holds a statement that cannot run inside the dry-run transaction, so the dry-run does not start.',
      },
      'dry-run-skipped': {
        severity: 'warn',
        message: (d) => `dry-run not possible: ${d.reason}`,
        description: 'The dry-run was enabled but the migrations cannot be rolled back by dbcheck (no SQL down script, JS migrations, dirty history).',
      },
    },
  },

  async run(ctx) {
    const o = ctx.options;
    const db = ctx.stores.postgres!;
    const signal = ctx.signal;

    const dir = path.resolve(ctx.baseDir, o.migrations);
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new CheckError('MIGRATIONS_FOLDER', `migrations folder not found: ${dir}`, 'set `migrations:` to the folder, relative to the config file');
    }
    const files = await listFiles(dir);

    const schema = o.schema ?? (await db.query<{ s: string | null }>('SELECT current_schema() AS s', [], { signal })).rows[0]?.s;
    if (!schema) throw new CheckError('NO_SCHEMA', 'no current schema (empty search_path)', 'set `schema:` to the schema holding the tracking table');
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
    Object.assign(ctx.stats, { tool: tool.id, trackingTable: `${schema}.${choice.tableName}`, migrationsOnDisk: disk.length });

    let history: History | undefined;
    if (!choice.table) {
      if (disk.length > 0) {
        ctx.report({
          code: 'no-tracking-table',
          subject: { store: 'postgres', object: `${schema}.${choice.tableName}` },
          data: { tool: tool.title, table: `${schema}.${choice.tableName}`, migrations: disk.length },
        });
      }
    } else {
      history = await tool.readHistory(db, choice.table, disk, settings, signal);
      ctx.stats.applied = history.applied.length;
      reportHistory(ctx, tool, disk, history);
    }

    if (o.destructive.enabled) await reportDestructive(ctx, disk, history, schema);

    if (o.dryRun.enabled) {
      const plan = planDryRun(tool, disk, history, o.dryRun.last);
      if ('reason' in plan) {
        ctx.report({ code: 'dry-run-skipped', subject: { store: 'postgres', object: `${schema}.${choice.tableName}` }, data: { reason: plan.reason, tool: tool.title } });
      } else {
        ctx.progress({ done: 0, note: `dry-run of ${plan.migrations.length} rollback(s)` });
        await runDryRun(ctx, {
          migrations: plan.migrations,
          schemas: o.dryRun.schemas ?? [schema],
          lockTimeoutMs: o.dryRun.lockTimeout,
          statementTimeoutMs: o.dryRun.statementTimeout,
          ...(o.dryRun.shadowDatabase ? { shadowDatabase: o.dryRun.shadowDatabase } : {}),
        });
      }
    }
  },
});

function reportHistory(ctx: CheckContext, tool: MigrationTool, disk: readonly DiskMigration[], history: History) {
  const counts: Record<string, number> = {};
  for (const f of analyseHistory(tool, disk, history)) {
    counts[f.code] = (counts[f.code] ?? 0) + 1;
    const { code, id, ...rest } = f;
    const migration = 'label' in f ? f.label : id;
    ctx.report({ code, subject: { store: 'postgres', object: ctx.stats.trackingTable as string, key: migration }, data: { ...rest, migration, id } });
  }
  ctx.stats.pending = counts.pending ?? 0;
}

/** Down scripts of applied migrations (all of them when nothing tracks what is applied). */
async function reportDestructive(ctx: CheckContext, disk: readonly DiskMigration[], history: History | undefined, schema: string) {
  const o = ctx.options as RollbackValidationOptions;
  const applied = history ? new Set(history.applied.filter((a) => a.state !== 'rolled-back').map((a) => a.id)) : undefined;
  const found: Array<{ migration: DiskMigration; statement: SqlStatement; target: ResolvedTarget }> = [];
  for (const m of disk) {
    if (!m.downSql || (applied && !applied.has(m.id))) continue;
    for (const statement of splitSqlStatements(m.downSql)) {
      for (const t of destructiveTargets(statement.code)) found.push({ migration: m, statement, target: { ...t, schema: t.schema ?? schema } });
    }
  }
  const stats = { exactCounts: 0, estimates: 0 };
  const counts = await countRowsAtStake(
    ctx.stores.postgres!,
    found.map((f) => f.target),
    { exactBelow: o.destructive.exactCountBelow, timeoutMs: o.destructive.countTimeout, maxExactCounts: o.destructive.maxExactCounts },
    ctx.signal,
    stats,
  );
  Object.assign(ctx.stats, { destructiveStatements: found.length, rowCountsExact: stats.exactCounts, rowCountsEstimated: stats.estimates });
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
        rowsBasis: c.basis === 'estimate' ? 'planner estimate' : c.basis === 'exact' ? 'exact count' : 'unknown: table never analysed',
        ...(c.upperBound ? { upperBound: true } : {}),
      },
    });
  });
}

/** The last `last` applied migrations, newest first, or why they cannot be dry-run. */
function planDryRun(tool: MigrationTool, disk: readonly DiskMigration[], history: History | undefined, last: number): { migrations: DiskMigration[] } | { reason: string } {
  if (!history) return { reason: 'no tracking table, so which migrations are applied is unknown' };
  if (!tool.hasDownScripts) return { reason: `${tool.title} has no down migrations to run` };
  const newest = [...history.applied].sort((a, b) => b.rank - a.rank).slice(0, last);
  if (newest.length === 0) return { reason: 'no migration is applied yet' };
  const onDisk = new Map(disk.map((m) => [m.id, m]));
  const out: DiskMigration[] = [];
  for (const a of newest) {
    const m = onDisk.get(a.id);
    if (a.state !== 'applied') return { reason: `migration ${m?.label ?? a.id} is ${a.state}; repair the history first` };
    if (!m) return { reason: `migration ${a.id} has no file on disk` };
    if (m.down === 'code' || (m.upSql === undefined && /\.[cm]?[jt]s$/.test(m.upFile ?? ''))) return { reason: `${m.label} is a JavaScript/TypeScript migration; dbcheck reads it but never executes code` };
    if (m.down !== 'sql' || !m.downSql) return { reason: `${m.label} has no down script` };
    if (!m.upSql) return { reason: `${m.label} has no SQL up script to re-apply` };
    out.push(m);
  }
  return { migrations: out };
}
