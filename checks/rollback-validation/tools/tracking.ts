/** Tracking tables (read-only): finding them in the catalog, and reading the one-row-per-migration kind. */
import type { SqlRunner } from '../../../src/plugin.js';
import type { History, TrackingTable } from './types.js';

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function quoteTrackingTable(t: { schema: string; name: string }): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

/** The tables among `names` that exist in `schema` (tables or views), with their column names. */
export async function findTrackingTables(
  db: SqlRunner,
  schema: string,
  names: readonly string[],
  signal: AbortSignal,
): Promise<Map<string, TrackingTable>> {
  const r = await db.query<{ name: string; columns: string[] }>(
    `SELECT c.relname AS name,
            array(SELECT a.attname::text FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    [schema, [...new Set(names)]],
    { signal },
  );
  return new Map(r.rows.map((row) => [row.name, { schema, name: row.name, columns: row.columns }]));
}

/** "schema.table" of every table named `name` in other schemas: a hint when the expected one is missing. */
export async function findTrackingTablesElsewhere(db: SqlRunner, schema: string, name: string, signal: AbortSignal): Promise<string[]> {
  const r = await db.query<{ t: string }>(
    `SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND n.nspname <> $2 AND c.relkind IN ('r', 'p', 'v') ORDER BY 1 LIMIT 5`,
    [name, schema],
    { signal },
  );
  return r.rows.map((row) => row.t);
}

/**
 * A history kept one row per applied migration, as Knex and node-pg-migrate keep it: the `name`
 * column is the migration's id and `time` when it ran; `orderBy` (columns) is the order it was applied.
 */
export async function readNamedRows(
  db: SqlRunner,
  table: TrackingTable,
  columns: { time: string; orderBy: readonly string[] },
  signal: AbortSignal,
): Promise<History> {
  const r = await db.query<{ name: string; applied_at: string | null }>(
    `SELECT name, ${quoteIdent(columns.time)}::text AS applied_at FROM ${quoteTrackingTable(table)} ORDER BY ${columns.orderBy.map(quoteIdent).join(', ')}`,
    [],
    { signal },
  );
  return {
    applied: r.rows.map((row, rank) => ({
      id: row.name,
      rank,
      state: 'applied' as const,
      ...(row.applied_at ? { appliedAt: row.applied_at } : {}),
    })),
  };
}
