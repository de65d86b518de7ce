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
  /** Where the number comes from, in words ("exact count of non-null values", "planner estimate, last ANALYZE …"). */
  source?: string;
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
  /** pg_stats.null_frac of a dropped column, when the table was analysed. */
  null_frac: number | null;
}

/** Never-analysed tables at most this big are counted exactly, outside the maxExactCounts cap: it is cheap. */
const CHEAP_BYTES = 1024 * 1024;

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
  return db.withSnapshot(
    async (session: SqlRunner) => {
      // The planner's cost estimates for catalog joins make JIT compile (100+ ms) a query that runs in ms.
      await session.query('SET LOCAL jit = off', [], { signal });
      const cat = await readCatalog(session, targets, signal);
      const results: RowCount[] = cat.map((r, k) => {
        if (!r.exists) return { exists: false, rows: 0, basis: 'exact' };
        if (r.estimate === null) return { exists: true, rows: null, basis: 'unknown', source: 'never analysed' };
        // A dropped column loses only its non-null values.
        if (targets[k].action === 'drop-column' && r.null_frac !== null) {
          return {
            exists: true,
            rows: Math.round(Number(r.estimate) * (1 - r.null_frac)),
            basis: 'estimate',
            source: 'planner estimate of non-null values (pg_stats.null_frac)',
          };
        }
        return { exists: true, rows: Number(r.estimate), basis: 'estimate', source: 'planner estimate (pg_class.reltuples)' };
      });

      // Never-analysed tables (a freshly migrated database): their size on disk says whether they are
      // empty or small enough to count for nothing.
      const cheap = new Set<number>();
      if (results.some((r) => r.basis === 'unknown'))
        await session.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(settings.timeoutMs))}`, [], { signal });
      const unknown = [...results.keys()].filter((k) => results[k].basis === 'unknown' && targets[k].action !== 'drop-schema');
      const sizes = await relationSizes(
        session,
        unknown.map((k) => targets[k]),
        signal,
      );
      for (const [j, k] of unknown.entries()) {
        const r = results[k];
        const bytes = sizes?.[j];
        if (bytes === 0) results[k] = { exists: true, rows: 0, basis: 'exact', source: 'empty: no pages on disk' };
        else if (bytes !== undefined && bytes <= CHEAP_BYTES) cheap.add(k);
        else if (bytes !== undefined) results[k] = { ...r, source: `never analysed, ${Math.round(bytes / 1024 / 1024)} MB on disk` };
      }

      // Which ones are small enough to count exactly. A never-analysed table has no estimate: its
      // page count (at most ~100 bytes a row) stands in for one. Only catalog columns are read here,
      // never pg_relation_size(), which would queue behind a lock held on the table.
      const toCount: number[] = [];
      cat.forEach((r, k) => {
        if (!results[k].exists || targets[k].action === 'drop-schema' || results[k].basis === 'exact') return;
        if (cheap.has(k)) {
          toCount.push(k);
          return;
        }
        const small = r.estimate !== null ? Number(r.estimate) < settings.exactBelow : Number(r.bytes ?? 0) < settings.exactBelow * 100;
        if (small && toCount.length - cheap.size < settings.maxExactCounts) toCount.push(k);
      });
      const counted = new Set(toCount);
      targets.forEach((t, k) => {
        if (results[k].exists && t.action === 'delete' && (t.upperBoundOnly || (t.where && !counted.has(k)))) results[k].upperBound = true;
      });

      if (toCount.length > 0)
        await session.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(settings.timeoutMs))}`, [], { signal });
      for (const k of toCount) {
        if (signal.aborted) break;
        const exact = await countOne(session, targets[k], signal);
        if (exact === undefined) {
          // Timed out, or a WHERE that does not run on its own: keep the estimate, as an upper bound.
          if (targets[k].where) results[k] = { ...results[k], upperBound: true };
          continue;
        }
        const source = targets[k].action === 'drop-column' ? 'exact count of non-null values' : 'exact count';
        results[k] = { exists: true, rows: exact, basis: 'exact', source, ...(targets[k].upperBoundOnly ? { upperBound: true } : {}) };
        stats.exactCounts++;
      }
      for (const r of results) if (r.exists && r.basis !== 'exact') stats.estimates++;
      return results;
    },
    { signal },
  );
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
            (c.relpages::bigint * current_setting('block_size')::bigint)::text AS bytes,
            (SELECT s.null_frac::float8 FROM pg_stats s WHERE s.schemaname = t.sch AND s.tablename = t.tbl AND s.attname = t.col LIMIT 1) AS null_frac
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
  // count(column) counts the non-null values: what dropping the column loses.
  const counted = t.action === 'drop-column' && t.column ? quote(t.column) : '*';
  await session.query('SAVEPOINT dbcheck_count', [], { signal });
  try {
    const r = await session.query<{ n: string }>(`SELECT count(${counted})::text AS n FROM ${table}${where}`, [], { signal });
    await session.query('RELEASE SAVEPOINT dbcheck_count', [], { signal });
    return Number(r.rows[0].n);
  } catch (err) {
    if (signal.aborted) throw err;
    await session.query('ROLLBACK TO SAVEPOINT dbcheck_count', [], { signal });
    return undefined;
  }
}

/**
 * Bytes on disk of each target's table, in one query under the count timeout (pg_relation_size
 * waits for a lock held on the table); undefined when that fails, and the tables stay "never analysed".
 */
async function relationSizes(session: SqlRunner, targets: readonly ResolvedTarget[], signal: AbortSignal): Promise<number[] | undefined> {
  if (targets.length === 0) return [];
  await session.query('SAVEPOINT dbcheck_size', [], { signal });
  try {
    const r = await session.query<{ n: string }>(
      `SELECT pg_relation_size(format('%I.%I', t.sch, t.tbl)::regclass)::text AS n
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(sch, tbl, i) ORDER BY t.i`,
      [targets.map((t) => t.schema), targets.map((t) => t.table)],
      { signal },
    );
    await session.query('RELEASE SAVEPOINT dbcheck_size', [], { signal });
    return r.rows.map((row) => Number(row.n));
  } catch (err) {
    if (signal.aborted) throw err;
    await session.query('ROLLBACK TO SAVEPOINT dbcheck_size', [], { signal });
    return undefined;
  }
}
