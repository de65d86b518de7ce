/** Finding tracking tables in the catalog (read-only). */
import type { SqlRunner } from '../../../src/plugin.js';
import type { TrackingTable } from './types.js';

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
