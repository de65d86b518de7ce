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
  // One catalog query for every target: existence, estimate, size on disk.
  const cat = await db.query<CatalogRow>(
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

  const results: RowCount[] = cat.rows.map((r) => {
    if (!r.exists) return { exists: false, rows: 0, basis: 'exact' };
    return r.estimate === null ? { exists: true, rows: null, basis: 'unknown' } : { exists: true, rows: Number(r.estimate), basis: 'estimate' };
  });

  // Which ones are small enough to count exactly. A never-analysed table has no estimate: its
  // page count (at most ~100 bytes a row) stands in for one. Only catalog columns are read here,
  // never pg_relation_size(), which would queue behind a lock held on the table.
  const toCount: number[] = [];
  cat.rows.forEach((r, k) => {
    const t = targets[k];
    if (!results[k].exists || t.action === 'drop-schema') return;
    const small = r.estimate !== null ? Number(r.estimate) < settings.exactBelow : Number(r.bytes ?? 0) < settings.exactBelow * 100;
    if (small && toCount.length < settings.maxExactCounts) toCount.push(k);
  });
  for (const k of results.keys()) {
    const t = targets[k];
    if (results[k].exists && t.action === 'delete' && (t.upperBoundOnly || (t.where && !toCount.includes(k)))) results[k].upperBound = true;
  }

  if (toCount.length > 0) {
    await db.withSnapshot(async (session: SqlRunner) => {
      await session.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(settings.timeoutMs))}`, [], { signal });
      for (const k of toCount) {
        if (signal.aborted) return;
        const t = targets[k];
        const table = `${quote(t.schema)}.${quote(t.table)}`;
        const where = t.action === 'delete' && t.where && !t.upperBoundOnly ? ` ${t.alias ?? ''} WHERE ${t.where}` : '';
        await session.query('SAVEPOINT dbcheck_count', [], { signal });
        try {
          const r = await session.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}${where}`, [], { signal });
          results[k] = { exists: true, rows: Number(r.rows[0].n), basis: 'exact', ...(t.action === 'delete' && t.upperBoundOnly ? { upperBound: true } : {}) };
          stats.exactCounts++;
          await session.query('RELEASE SAVEPOINT dbcheck_count', [], { signal });
        } catch (err) {
          if (signal.aborted) throw err;
          // Timed out, or a WHERE that does not run standalone: keep the estimate (an upper bound).
          await session.query('ROLLBACK TO SAVEPOINT dbcheck_count', [], { signal });
          if (where) results[k] = { ...results[k], upperBound: true };
        }
      }
    }, { signal });
  }
  for (const r of results) if (r.exists && r.basis !== 'exact') stats.estimates++;
  return results;
}
