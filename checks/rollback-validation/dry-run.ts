/**
 * The rollback dry-run: inside ONE transaction that is always rolled back (ctx.rollback), snapshot
 * the schema, run the down scripts of the last K migrations newest first, check that nothing the up
 * scripts create is left behind, re-run the up scripts oldest first, and diff the schema with the
 * snapshot. Each script runs under a SAVEPOINT so a failing statement is reported with the server's
 * error and the run stops cleanly; the runner then rolls everything back.
 */
import { CheckError, type SqlRunner } from '../../src/plugin.js';
import type { RollbackValidationContext } from './stats.js';
import { isTransactionControl } from './sql-classify.js';
import { downMustRemove, scriptEffects, snapshotHas, type EarlierMigrations } from './sql-objects.js';
import { statementForDisplay } from './text.js';
import { splitSqlStatements, type SqlStatement } from './sql-split.js';
import { diffSnapshots, snapshotSchema } from './schema-snapshot.js';
import type { DiskMigration } from './tools/types.js';
import { errorLine } from '../../src/plugin.js';

export interface DryRunSettings {
  /** Newest first. */
  migrations: DiskMigration[];
  /** Schemas snapshotted and put on the search_path (first = where unqualified names go). */
  schemas: string[];
  shadowDatabase?: string;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** What the migrations older than the rolled-back ones hold (see downMustRemove). */
  earlier: EarlierMigrations;
}

interface Script {
  migration: DiskMigration;
  direction: 'down' | 'up';
  file: string;
  /** Statements, with `line` counted in the file (not in the section of it that is the script). */
  statements: SqlStatement[];
}

/** The server's own error behind a store error (the connector wraps it as `cause`). */
function serverError(err: unknown): { sqlstate?: string; message: string; detail?: string } {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  const inner = (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e : (e?.cause as typeof e)) ?? e;
  const sqlstate = typeof inner?.code === 'string' && /^[0-9A-Z]{5}$/.test(inner.code) ? inner.code : undefined;
  const detail = (inner as { detail?: unknown })?.detail;
  return {
    ...(sqlstate ? { sqlstate } : {}),
    message: errorLine(String(inner?.message ?? err)),
    ...(typeof detail === 'string' ? { detail } : {}),
  };
}

const quote = (n: string) => `"${n.replace(/"/g, '""')}"`;

/** Table locks this session holds that block the application's writes (or reads), by table. */
const LOCKS_SQL = `
SELECT n.nspname || '.' || c.relname AS name, l.mode
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND n.nspname = ANY($1::text[])
   AND c.relkind IN ('r', 'p', 'm') AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')`;

/** Each table's file: a rewrite gives it a new relfilenode. */
const FILENODES_SQL = `
SELECT c.oid::text AS oid, n.nspname || '.' || c.relname AS name, c.relfilenode::text AS node
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'm')`;

const LOCK_ORDER = ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'];
/** "AccessExclusiveLock" -> "ACCESS EXCLUSIVE", as the docs write it. */
const lockName = (mode: string) =>
  mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();

/** What one script of the dry-run did to a table: the blocking lock it took, whether it rewrote it. */
export interface ScriptLock {
  migration: string;
  direction: 'down' | 'up';
  table: string;
  lock: string;
  rewritten: boolean;
}

export async function runDryRun(ctx: RollbackValidationContext, settings: DryRunSettings): Promise<ScriptLock[]> {
  const { migrations, schemas } = settings;
  const script = (m: DiskMigration, direction: 'down' | 'up'): Script => {
    const firstLine = (direction === 'down' ? m.downFirstLine : m.upFirstLine) ?? 1;
    return {
      migration: m,
      direction,
      file: (direction === 'down' ? m.downFile : m.upFile) ?? m.label,
      statements: splitSqlStatements((direction === 'down' ? m.downSql : m.upSql) ?? '')
        .filter((s) => !isTransactionControl(s.code))
        .map((s) => ({ ...s, line: s.line + firstLine - 1 })),
    };
  };
  const downs = migrations.map((m) => script(m, 'down'));
  const ups = [...migrations].reverse().map((m) => script(m, 'up'));
  if (!ctx.rollback)
    throw new CheckError(
      'NO_ROLLBACK_RUNNER',
      'the engine gave this check no rollback transaction runner',
      'the dry-run needs access: rollback-txn',
    );

  const signal = ctx.signal;
  let statementsRun = 0;
  /** What the dry-run is doing right now, for timeout messages. */
  let step = 'opening the transaction';
  ctx.stats.dryRunStatements = 0;

  // Locks and rewrites, per script: locks pile up in the transaction, so each is credited to the
  // first script that took it.
  const locks: ScriptLock[] = [];
  const seenLocks = new Set<string>();
  const fileNodes = async (tx: SqlRunner) =>
    new Map(
      (await tx.query<{ oid: string; name: string; node: string }>(FILENODES_SQL, [schemas], { signal })).rows.map((r) => [r.oid, r]),
    );
  const recordLocks = async (tx: SqlRunner, s: Script, before: Map<string, { name: string; node: string }>) => {
    const after = await fileNodes(tx);
    const rewritten = new Set(
      [...after.values()].filter((r) => before.has(r.oid) && before.get(r.oid)!.node !== r.node).map((r) => r.name),
    );
    // The strongest blocking lock held on each table now (modes listed weakest first).
    const strongest = new Map<string, string>();
    for (const l of (await tx.query<{ name: string; mode: string }>(LOCKS_SQL, [schemas], { signal })).rows) {
      const prev = strongest.get(l.name);
      if (!prev || LOCK_ORDER.indexOf(l.mode) > LOCK_ORDER.indexOf(prev)) strongest.set(l.name, l.mode);
    }
    for (const [table, mode] of [...strongest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const key = `${table} ${mode}`;
      if (seenLocks.has(key) && !rewritten.has(table)) continue;
      seenLocks.add(key);
      locks.push({ migration: s.migration.label, direction: s.direction, table, lock: lockName(mode), rewritten: rewritten.has(table) });
    }
  };

  /** Runs one script under a savepoint; on failure reports it and returns false. */
  const runScript = async (tx: SqlRunner, s: Script): Promise<boolean> => {
    const nodesBefore = await fileNodes(tx);
    await tx.query('SAVEPOINT dbcheck_dry_run', [], { signal });
    for (const st of s.statements) {
      step = `the ${s.direction} script of ${s.migration.label} (${s.file}, line ${st.line}): ${statementForDisplay(st.text, 200)}`;
      try {
        await tx.query(st.text, [], { signal });
        ctx.stats.dryRunStatements = ++statementsRun;
      } catch (err) {
        if (signal.aborted) throw err;
        const e = serverError(err);
        // Lock and statement timeouts end the whole dry-run (handled below, with `step`).
        if (e.sqlstate === '55P03' || e.sqlstate === '57014') throw err;
        await tx.query('ROLLBACK TO SAVEPOINT dbcheck_dry_run', [], { signal });
        ctx.report({
          code: 'rollback-failed',
          subject: { store: 'postgres', object: s.file, key: s.migration.label },
          data: {
            migration: s.migration.label,
            direction: s.direction,
            phase: s.direction === 'down' ? 'rolling back' : 're-applying after the rollback',
            file: s.file,
            line: st.line,
            statement: statementForDisplay(st.text),
            error: e.message,
            ...(e.sqlstate ? { sqlstate: e.sqlstate } : {}),
            ...(e.detail ? { detail: e.detail } : {}),
          },
        });
        return false;
      }
    }
    await tx.query('RELEASE SAVEPOINT dbcheck_dry_run', [], { signal });
    await recordLocks(tx, s, nodesBefore);
    return true;
  };

  const inTransaction = () =>
    ctx.rollback!.run(
      async (tx) => {
        await tx.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(settings.statementTimeoutMs))}`, [], { signal });
        await tx.query(`SET LOCAL search_path = ${schemas.map(quote).join(', ')}`, [], { signal });
        await tx.query('SET LOCAL jit = off', [], { signal }); // catalog queries: compiling costs more than running
        step = 'reading the schema snapshot before the rollback';
        const before = await snapshotSchema(tx, schemas, signal);
        ctx.stats.dryRunSnapshotObjects = before.size;

        for (const s of downs) if (!(await runScript(tx, s))) return;

        // Whatever an up script creates must be gone once its down script ran.
        step = 'reading the schema snapshot after the down scripts';
        const afterDown = await snapshotSchema(tx, schemas, signal);
        // An object that may have existed before the up (IF NOT EXISTS, OR REPLACE, DROP IF EXISTS +
        // CREATE) counts only when no older migration could have made it.
        for (const m of migrations) {
          const up = scriptEffects(
            splitSqlStatements(m.upSql ?? '').map((st) => st.code),
            schemas[0],
          );
          for (const obj of up.created) {
            if (!snapshotHas(afterDown, obj) || !downMustRemove(obj, settings.earlier)) continue;
            const object = obj.key.endsWith('(') ? `${obj.key}…)` : obj.key;
            ctx.report({
              code: 'round-trip-diff',
              subject: { store: 'postgres', object, key: m.label },
              data: {
                object,
                change: 'left behind by the down script',
                migration: m.label,
                ...(afterDown.has(obj.key) ? { definition: afterDown.get(obj.key) } : {}),
              },
            });
          }
        }

        for (const s of ups) if (!(await runScript(tx, s))) return;

        step = 'reading the schema snapshot after the up scripts';
        const after = await snapshotSchema(tx, schemas, signal);
        for (const d of diffSnapshots(before, after)) {
          ctx.report({
            code: 'round-trip-diff',
            subject: { store: 'postgres', object: d.object },
            data: {
              object: d.object,
              change:
                d.change === 'missing'
                  ? 'missing after down + up'
                  : d.change === 'extra'
                    ? 'extra after down + up'
                    : 'changed by down + up',
              ...(d.before !== undefined ? { before: d.before } : {}),
              ...(d.after !== undefined ? { after: d.after } : {}),
            },
          });
        }
        ctx.stats.dryRunRoundTrips = migrations.length;
      },
      { signal, lockTimeoutMs: settings.lockTimeoutMs, ...(settings.shadowDatabase ? { database: settings.shadowDatabase } : {}) },
    );

  const started = Date.now();
  try {
    await inTransaction();
  } catch (err) {
    const e = serverError(err);
    if (signal.aborted) throw err;
    if (e.sqlstate === '55P03') {
      throw new CheckError(
        'LOCK_TIMEOUT',
        `rollback dry-run gave up after ${settings.lockTimeoutMs}ms waiting for a lock held by another session, while ${step}`,
        'run the dry-run against a shadow database (dryRun.shadowDatabase) or when those tables are not in use; dryRun.lockTimeout sets the wait',
      );
    }
    if (e.sqlstate === '3D000' && settings.shadowDatabase) {
      throw new CheckError(
        'SHADOW_DATABASE',
        `shadow database "${settings.shadowDatabase}" does not exist`,
        'create it as a copy of the target (same schema), or remove dryRun.shadowDatabase',
      );
    }
    if (e.sqlstate === '57014') {
      throw new CheckError(
        'DRY_RUN_TIMEOUT',
        `rollback dry-run: a statement ran longer than dryRun.statementTimeout (${settings.statementTimeoutMs}ms), while ${step}`,
      );
    }
    throw err;
  }
  ctx.stats.dryRunMs = Date.now() - started;
  ctx.stats.dryRunRewrites = locks.filter((l) => l.rewritten).length;
  return locks;
}
