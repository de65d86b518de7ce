/**
 * Postgres side of the id diff: column types, key expressions in merge order, and COPY streams of
 * keys as merge batches. Identifiers are always quoted by the store handle; a user `where` is an SQL
 * fragment from trusted config, taken verbatim and wrapped in parentheses.
 */
import { configError, type PostgresReader, type SqlRunner } from '../../src/plugin.js';
import { parseCopyText } from './copy-text.js';
import type { KeyBatch } from './id-merge.js';
import { compareInt64, compareIntegersThenText, compareUtf8, type KeyCompare, type KeyType } from './id-order.js';
import { CANONICAL_INTEGER_SQL, postgresKeyType } from './key-types.js';
import { errorLine } from '../../src/plugin.js';

export interface PgTableRef {
  table: string;
  schema?: string;
}

export interface PgColumnInfo {
  name: string;
  /** format_type() output, e.g. "bigint", "character varying(64)", "uuid": valid SQL for a cast. */
  type: string;
}

export function tableLabel(ref: PgTableRef): string {
  return ref.schema ? `${ref.schema}.${ref.table}` : ref.table;
}

export interface TableColumns {
  /** False when the table (or view) does not exist. */
  exists: boolean;
  /** The requested columns that exist, by name. */
  columns: Map<string, PgColumnInfo>;
}

/** Looks a table's columns up without failing: preflight reports every missing one in one round. */
export async function lookupColumns(pg: PostgresReader, ref: PgTableRef, columns: string[], signal?: AbortSignal): Promise<TableColumns> {
  const { rows } = await pg.query<{ name: string; type: string | null; found: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, true AS found
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attname = ANY($2::text[]) AND a.attnum > 0 AND NOT a.attisdropped
     UNION ALL
     SELECT NULL, NULL, false WHERE to_regclass($1) IS NULL`,
    [pg.quoteTable(ref.table, ref.schema), columns],
    { signal },
  );
  if (rows.some((r) => !r.found)) return { exists: false, columns: new Map() };
  return { exists: true, columns: new Map(rows.map((r) => [r.name, { name: r.name, type: r.type! }])) };
}

/** The config problem of a lookup, if any: the missing table, else the first missing column. */
export function columnsProblem(ref: PgTableRef, found: TableColumns, columns: string[]): string | undefined {
  if (!found.exists) return `Postgres table ${tableLabel(ref)} does not exist`;
  const missing = columns.filter((c) => !found.columns.has(c));
  if (missing.length) return `Postgres table ${tableLabel(ref)} has no column ${missing.map((c) => JSON.stringify(c)).join(', ')}`;
  return undefined;
}

/**
 * Why a user `where` cannot run on its table, or undefined: EXPLAIN plans the query without running
 * it (no row is read), so a misspelt column or a syntax error is a config problem before the scan.
 * `alias` is the name the scan gives the table (orphan-scan's `child` / `parent`).
 */
export async function whereProblem(
  pg: PostgresReader,
  ref: PgTableRef,
  where: string,
  alias?: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  try {
    await pg.query(`EXPLAIN SELECT 1 FROM ${pg.quoteTable(ref.table, ref.schema)}${alias ? ` AS ${alias}` : ''} WHERE (${where})`, [], {
      signal,
    });
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (code !== 'STORE_ERROR' && code !== 'STORE_MISSING_OBJECT') throw err; // the store, not the config
    const cause = (err as { cause?: { message?: unknown } })?.cause;
    return `where ${JSON.stringify(where)} cannot run on ${tableLabel(ref)}: ${errorLine(String(cause?.message ?? (err as Error).message))}`;
  }
}

/** Looks the columns up; a missing table or column is a clear config error. */
export async function describeColumns(
  pg: PostgresReader,
  ref: PgTableRef,
  columns: string[],
  signal?: AbortSignal,
): Promise<Map<string, PgColumnInfo>> {
  const found = await lookupColumns(pg, ref, columns, signal);
  const problem = columnsProblem(ref, found, columns);
  if (problem) throw configError(problem, 'check table, schema and columns in the check config');
  return found.columns;
}

export interface KeyExpression {
  /** What to SELECT: the key as text in its canonical form. */
  select: string;
  /** What to ORDER BY so that Postgres order equals the merge order. */
  order: string;
  /** The merge order of the selected keys (the other side's stream is in keyCompare(keyType) order). */
  compare: KeyCompare;
}

/**
 * SQL for one key column merged against a stream of `keyType` keys (int64: numeric order; varchar:
 * byte order). Compatible types only (see key-types.ts): an integer column is read as its text in a
 * varchar merge; a text column in an int64 merge lists its canonical integers first, in numeric
 * order, then every other text (which matches no integer) in byte order.
 */
export function keyExpression(pg: PostgresReader, column: PgColumnInfo, keyType: KeyType, where: string): KeyExpression {
  const ident = pg.quoteIdent(column.name);
  const kind = postgresKeyType(column.type).kind;
  if (keyType === 'int64') {
    if (kind === 'integer') return { select: ident, order: ident, compare: compareInt64 };
    if (kind === 'text') {
      const isInt = `${ident} ~ '${CANONICAL_INTEGER_SQL}'`;
      // numeric: exact at any length, and the CASE keeps the cast away from non-integers.
      return {
        select: ident,
        order: `(NOT ${isInt}), (CASE WHEN ${isInt} THEN ${ident}::numeric END), ${ident} COLLATE "C"`,
        compare: compareIntegersThenText,
      };
    }
    throw configError(
      `${where}: Postgres column ${column.name} is ${column.type} and the Milvus key is Int64; an integer or text column is needed`,
    );
  }
  if (kind === 'text') return { select: ident, order: `${ident} COLLATE "C"`, compare: compareUtf8 };
  // integers and uuids: compare their canonical text form, byte by byte.
  return { select: `${ident}::text`, order: `${ident}::text COLLATE "C"`, compare: compareUtf8 };
}

/** `(a) AND (b)` of the given SQL conditions, skipping empty ones; 'true' when none. */
export function andSql(...conditions: Array<string | undefined>): string {
  const parts = conditions.filter((c): c is string => typeof c === 'string' && c.trim() !== '');
  return parts.length ? parts.map((c) => `(${c})`).join(' AND ') : 'true';
}

/**
 * Streams `COPY (<sql>) TO STDOUT` as merge batches: column 0 is the key, the rest are extras.
 * Stopping early is safe: the connector drops a connection left mid-COPY (inside a snapshot too).
 */
export async function* postgresKeyBatches(
  runner: SqlRunner,
  selectSql: string,
  columnCount: number,
  signal?: AbortSignal,
): AsyncGenerator<KeyBatch> {
  for await (const batch of parseCopyText(runner.copyOut(selectSql, { signal }), columnCount)) {
    yield { keys: batch.columns[0] as string[], extra: batch.columns.slice(1) };
  }
}
