/**
 * How many rows a destructive rollback statement would take with it, counted read-only.
 *
 * The planner's estimate (pg_class.reltuples, summed over partitions) comes first and costs
 * nothing. An exact count(*) follows only when the estimate says the table is small (below
 * `exactBelow` rows), within a per-count statement_timeout and a cap on how many counts run;
 * otherwise, or when a count times out, the estimate is what is reported, and the result says so.
 */
import type { PostgresReader, SqlRunner } from '../../src/plugin.js';
import type { DestructiveTarget } from './sql-classify.js';

export interface RowCountSettings {
  exactBelow: number;
  timeoutMs: number;
  maxExactCounts: number;
}

export interface RowCount {
  /** False when the table (or column) does not exist: nothing is at stake. */
  exists: boolean;
  rows: number | null;
  basis: 'exact' | 'estimate' | 'unknown';
  /** The count covers the whole table though the statement may touch fewer rows. */
  upperBound?: boolean;
}

/** A target with its schema resolved. */
export type ResolvedTarget = DestructiveTarget & { schema: string };

interface CatalogRow {
  i: number;
  exists: boolean;
  estimate: string | null;
  bytes: string | null;
}

const quote = (n: string) => `"${n.replace(/"/g, '""')}"`;

export async function countRowsAtStake(
  db: PostgresReader,
  targets: readonly ResolvedTarget[],
  settings: RowCountSettings,
  signal: AbortSignal,
  stats: { exactCounts: number; estimates: number },
): Promise<RowCount[]> {
  if (targets.length === 0) return [];
  // One read-only session (one snapshot) for the catalog query and the counts.
  return db.withSnapshot(async (session: SqlRunner) => {
    // The planner's cost estimates for catalog joins make JIT compile (100+ ms) a query that runs in ms.
    await session.query('SET LOCAL jit = off', [], { signal });
    const cat = await readCatalog(session, targets, signal);
    const results: RowCount[] = cat.map((r) => {
      if (!r.exists) return { exists: false, rows: 0, basis: 'exact' };
      return r.estimate === null ? { exists: true, rows: null, basis: 'unknown' } : { exists: true, rows: Number(r.estimate), basis: 'estimate' };
    });

    // Which ones are small enough to count exactly. A never-analysed table has no estimate: its
    // page count (at most ~100 bytes a row) stands in for one. Only catalog columns are read here,
    // never pg_relation_size(), which would queue behind a lock held on the table.
    const toCount: number[] = [];
    cat.forEach((r, k) => {
      if (!results[k].exists || targets[k].action === 'drop-schema') return;
      const small = r.estimate !== null ? Number(r.estimate) < settings.exactBelow : Number(r.bytes ?? 0) < settings.exactBelow * 100;
      if (small && toCount.length < settings.maxExactCounts) toCount.push(k);
    });
    const counted = new Set(toCount);
    targets.forEach((t, k) => {
      if (results[k].exists && t.action === 'delete' && (t.upperBoundOnly || (t.where && !counted.has(k)))) results[k].upperBound = true;
    });

    if (toCount.length > 0) await session.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(settings.timeoutMs))}`, [], { signal });
    for (const k of toCount) {
      if (signal.aborted) break;
      const exact = await countOne(session, targets[k], signal);
      if (exact === undefined) {
        // Timed out, or a WHERE that does not run on its own: keep the estimate, as an upper bound.
        if (targets[k].where) results[k] = { ...results[k], upperBound: true };
        continue;
      }
      results[k] = { exists: true, rows: exact, basis: 'exact', ...(targets[k].upperBoundOnly ? { upperBound: true } : {}) };
      stats.exactCounts++;
    }
    for (const r of results) if (r.exists && r.basis !== 'exact') stats.estimates++;
    return results;
  }, { signal });
}

/** Existence, planner estimate and page size of every target, in one catalog query. */
async function readCatalog(session: SqlRunner, targets: readonly ResolvedTarget[], signal: AbortSignal): Promise<CatalogRow[]> {
  const r = await session.query<CatalogRow>(
    `SELECT t.i::int AS i,
            CASE WHEN t.tbl = '' THEN n.oid IS NOT NULL
                 WHEN t.col IS NULL THEN c.oid IS NOT NULL
                 ELSE EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = t.col AND NOT a.attisdropped)
            END AS exists,
            CASE WHEN t.tbl = '' THEN (SELECT sum(greatest(x.reltuples, 0))::bigint::text FROM pg_class x
                                        WHERE x.relnamespace = n.oid AND x.relkind IN ('r', 'm'))
                 WHEN c.relkind = 'p' THEN (SELECT sum(greatest(x.reltuples, 0))::bigint::text FROM pg_inherits h
                                             JOIN pg_class x ON x.oid = h.inhrelid WHERE h.inhparent = c.oid)
                 WHEN c.reltuples < 0 THEN NULL
                 ELSE c.reltuples::bigint::text END AS estimate,
            (c.relpages::bigint * current_setting('block_size')::bigint)::text AS bytes
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(sch, tbl, col, i)
       LEFT JOIN pg_namespace n ON n.nspname = t.sch
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.tbl AND c.relkind IN ('r', 'p', 'm', 'f')
      ORDER BY t.i`,
    [targets.map((t) => t.schema), targets.map((t) => t.table), targets.map((t) => t.column ?? null)],
    { signal },
  );
  return r.rows;
}

/** count(*) of the target (with its DELETE's WHERE) under a savepoint; undefined when it fails. */
async function countOne(session: SqlRunner, t: ResolvedTarget, signal: AbortSignal): Promise<number | undefined> {
  const table = `${quote(t.schema)}.${quote(t.table)}`;
  const where = t.action === 'delete' && t.where && !t.upperBoundOnly ? ` ${t.alias ?? ''} WHERE ${t.where}` : '';
  await session.query('SAVEPOINT dbcheck_count', [], { signal });
  try {
    const r = await session.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}${where}`, [], { signal });
    await session.query('RELEASE SAVEPOINT dbcheck_count', [], { signal });
    return Number(r.rows[0].n);
  } catch (err) {
    if (signal.aborted) throw err;
    await session.query('ROLLBACK TO SAVEPOINT dbcheck_count', [], { signal });
    return undefined;
  }
}
