/**
 * Turns one configured mapping into a plan: the compiled key pattern, the codec, the field rules
 * (types inferred from the Postgres catalog) and the one SQL statement that fetches a batch of rows
 * by key. All identifiers are quoted with the reader's quoteIdent; values travel as parameters.
 */
import { CheckError, type PostgresReader } from '../../src/plugin.js';
import { compileKeyPattern, type KeyPattern } from '../lib/key-pattern.js';
import { CODECS, type CacheCodec } from './codecs.js';
import type { JudgedMapping, Strategy } from './judge.js';
import { canonNumber, type FieldRule } from './normalize.js';
import type { FieldType, MappingOptions } from './options.js';

interface Column {
  name: string;
  /** SQL type as format_type prints it, e.g. "bigint", "character varying(20)". */
  type: string;
  typname: string;
  category: string;
}

/** How a key placeholder's text is checked and matched against its column. */
interface KeyColumn {
  placeholder: string;
  column: string;
  /** Cast of the parameter array, e.g. "bigint[]"; null = compare as text (no index use). */
  arrayCast: string | null;
  /** Canonical text of a key value, or null when it cannot be a value of the column (-> no row). */
  canon(text: string): string | null;
}

export interface MappingPlan extends JudgedMapping {
  /** The key pattern as configured, e.g. "doc:{id}". */
  keyPattern: string;
  pattern: KeyPattern;
  codec: CacheCodec;
  /** PTTL is read only when something judges it: a TTL policy, or cache-aside. */
  readTtl: boolean;
  keyColumns: KeyColumn[];
  /** SELECT of the rows for $1..$n (one text array per key column). */
  sql: string;
}

const INT_RANGE: Record<string, [bigint, bigint]> = {
  int2: [-(2n ** 15n), 2n ** 15n - 1n],
  int4: [-(2n ** 31n), 2n ** 31n - 1n],
  int8: [-(2n ** 63n), 2n ** 63n - 1n],
};
/** Integers in canonical form short enough to be in range of the type, without a BigInt. */
const SHORT_INT: Record<string, RegExp> = { int2: /^(0|-?[1-9]\d{0,3})$/, int4: /^(0|-?[1-9]\d{0,8})$/, int8: /^(0|-?[1-9]\d{0,17})$/ };
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'name', 'citext']);

export function splitTable(table: string): { schema?: string; name: string } {
  const dot = table.indexOf('.');
  return dot === -1 ? { name: table } : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

export async function planMapping(pg: PostgresReader, m: MappingOptions, redisDb: number, signal: AbortSignal): Promise<MappingPlan> {
  const name = m.name ?? m.key;
  if (m.db !== undefined && m.db !== redisDb) {
    throw new CheckError(
      'CONFIG',
      `mapping ${name} is in Redis db ${m.db}, but the redis store is db ${redisDb}`,
      'dbcheck uses one Redis connection per run: run the mappings of that db with stores.redis.db set to it',
    );
  }
  const pattern = compileKeyPattern(m.key);
  const { schema, name: tableName } = splitTable(m.table);
  const qualified = pg.quoteTable(tableName, schema);
  const columns = await tableColumns(pg, qualified, signal);
  if (columns.size === 0) {
    throw new CheckError('STORE_MISSING_OBJECT', `mapping ${name}: table ${m.table} not found in Postgres ${pg.info.database}`, 'check the table name and its schema');
  }
  const column = (col: string, what: string): Column => {
    const c = columns.get(col);
    if (!c) throw new CheckError('CONFIG', `mapping ${name}: ${what} ${JSON.stringify(col)} is not a column of ${m.table}`);
    return c;
  };

  for (const placeholder of Object.keys(m.keyColumns)) {
    if (!pattern.placeholders.includes(placeholder)) {
      throw new CheckError('CONFIG', `mapping ${name}: keyColumns names {${placeholder}}, which is not a placeholder of ${m.key}`);
    }
  }
  const keyColumns = pattern.placeholders.map((placeholder) => keyColumn(placeholder, column(m.keyColumns[placeholder] ?? placeholder, 'key column')));

  const sensitive = new Set(m.sensitive);
  const ignored = new Set(m.ignore);
  const fieldEntries = m.fields ? Object.entries(m.fields) : [...columns.keys()].map((c) => [c, c] as const);
  const fields: FieldRule[] = [];
  for (const [col, spec] of fieldEntries) {
    if (ignored.has(col)) continue;
    const c = column(col, 'field');
    const s = typeof spec === 'string' ? { path: spec } : spec;
    fields.push({
      column: col,
      path: s.path ?? col,
      type: resolveType(('type' in s ? s.type : undefined) ?? 'auto', c),
      format: ('format' in s ? s.format : undefined) ?? 'auto',
      precision: 'precision' in s ? s.precision : undefined,
      sensitive: sensitive.has(col),
    });
  }
  const version = m.strategy.version ? fields.find((f) => f.column === m.strategy.version) : undefined;
  if (m.strategy.version && !version) {
    // Default field map: the version column exists (checked above) unless it was ignored.
    column(m.strategy.version, 'version column');
  }
  const strategy = resolveStrategy(name, m, version);

  // Field values come back under their column names (rows are used as they are); key columns as
  // text under "?k0", "?k1"... (no real column is named like that).
  const select = fields.map((f) => `${selectExpr(pg, f, columns.get(f.column)!)} AS ${pg.quoteIdent(f.column)}`);
  keyColumns.forEach((k, i) => select.push(`${pg.quoteIdent(k.column)}::text AS "${keyAlias(i)}"`));
  const where = keyColumns.length === 1 ? singleKeyPredicate(pg, keyColumns[0]) : compositeKeyPredicate(pg, keyColumns);
  const sql = `SELECT ${select.join(', ')} FROM ${qualified} WHERE ${where}${m.where ? ` AND (${m.where})` : ''}`;

  return {
    name,
    table: m.table,
    filtered: m.where !== undefined,
    strategy,
    fields,
    version,
    nulls: { absentIsNull: m.absentIsNull, emptyIsNull: m.emptyIsNull },
    ttl: { required: m.ttl.required, minMs: m.ttl.min, maxMs: m.ttl.max },
    keyPattern: m.key,
    pattern,
    codec: CODECS[m.encoding],
    readTtl: m.ttl.required || m.ttl.min !== undefined || m.ttl.max !== undefined || strategy.type === 'cache-aside',
    keyColumns,
    sql,
  };
}

async function tableColumns(pg: PostgresReader, qualified: string, signal: AbortSignal): Promise<Map<string, Column>> {
  const { rows } = await pg.query<Column>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typname AS typname, t.typcategory AS category
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [qualified],
    { signal },
  );
  return new Map(rows.map((r) => [r.name, r]));
}

function resolveType(declared: FieldType, c: Column): FieldRule['type'] {
  if (declared !== 'auto') return declared;
  if (c.category === 'N') return 'number';
  if (c.category === 'B') return 'boolean';
  if (['timestamptz', 'timestamp', 'date'].includes(c.typname)) return 'timestamp';
  if (c.typname === 'json' || c.typname === 'jsonb') return 'json';
  return 'string';
}

/**
 * Row values arrive in a predictable shape: exact numbers as text, timestamps as epoch milliseconds
 * (a float8, truncated to the millisecond like a JS Date; cheaper to read than timestamp text).
 */
function selectExpr(pg: PostgresReader, f: FieldRule, c: Column): string {
  const col = pg.quoteIdent(c.name);
  switch (f.type) {
    case 'timestamp':
      if (c.typname === 'timestamptz') return `floor(extract(epoch FROM ${col}) * 1000)::float8`;
      if (c.typname === 'timestamp' || c.typname === 'date') return `floor(extract(epoch FROM ${col}::timestamp AT TIME ZONE 'UTC') * 1000)::float8`;
      return `${col}::text`;
    case 'boolean':
      return c.typname === 'bool' ? col : `${col}::text`;
    case 'json':
      return c.typname === 'json' || c.typname === 'jsonb' ? col : `${col}::text`;
    default:
      return `${col}::text`;
  }
}

function keyColumn(placeholder: string, c: Column): KeyColumn {
  const range = INT_RANGE[c.typname];
  if (range) {
    const short = SHORT_INT[c.typname];
    return {
      placeholder,
      column: c.name,
      arrayCast: `${c.type}[]`,
      canon(text) {
        if (short.test(text)) return text;
        if (!/^[+-]?\d{1,20}$/.test(text)) return null;
        const v = BigInt(text);
        return v >= range[0] && v <= range[1] ? v.toString() : null;
      },
    };
  }
  if (c.typname === 'numeric') {
    return { placeholder, column: c.name, arrayCast: 'numeric[]', canon: (text) => (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) ? canonNumber(text) : null) };
  }
  if (c.typname === 'uuid') {
    return { placeholder, column: c.name, arrayCast: 'uuid[]', canon: (text) => (UUID.test(text) ? formatUuid(text) : null) };
  }
  if (TEXT_TYPES.has(c.typname)) {
    return { placeholder, column: c.name, arrayCast: 'text[]', canon: (text) => (text.includes('\u0000') ? null : text) };
  }
  // Any other type: compare as text (correct, but cannot use an index on the column).
  return { placeholder, column: c.name, arrayCast: null, canon: (text) => (text.includes('\u0000') ? null : text) };
}

export const keyAlias = (i: number) => `?k${i}`;

function formatUuid(text: string): string {
  const h = text.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function keyExpr(pg: PostgresReader, k: KeyColumn): string {
  return k.arrayCast ? pg.quoteIdent(k.column) : `${pg.quoteIdent(k.column)}::text`;
}

function singleKeyPredicate(pg: PostgresReader, k: KeyColumn): string {
  return `${keyExpr(pg, k)} = ANY($1::${k.arrayCast ?? 'text[]'})`;
}

function compositeKeyPredicate(pg: PostgresReader, keys: KeyColumn[]): string {
  const cols = keys.map((k) => keyExpr(pg, k)).join(', ');
  const arrays = keys.map((k, i) => `$${i + 1}::${k.arrayCast ?? 'text[]'}`).join(', ');
  return `(${cols}) IN (SELECT * FROM unnest(${arrays}))`;
}

function resolveStrategy(name: string, m: MappingOptions, version: FieldRule | undefined): Strategy {
  const s = m.strategy;
  if (version && version.type !== 'timestamp' && version.type !== 'number') {
    throw new CheckError('CONFIG', `mapping ${name}: version column ${version.column} must be a number or a timestamp (it compares as ${version.type})`);
  }
  switch (s.type) {
    case 'write-through':
      return { type: 'write-through' };
    case 'write-behind':
      if (version?.type === 'timestamp' && s.maxLag === undefined) {
        throw new CheckError('CONFIG', `mapping ${name}: write-behind with a timestamp version (${version.column}) needs maxLag`);
      }
      if (version?.type === 'number' && s.maxVersionLead === undefined) {
        throw new CheckError('CONFIG', `mapping ${name}: write-behind with a number version (${version.column}) needs maxVersionLead`);
      }
      return { type: 'write-behind', maxLagMs: s.maxLag, maxVersionLead: s.maxVersionLead };
    case 'cache-aside':
      if (version && version.type !== 'timestamp') {
        throw new CheckError('CONFIG', `mapping ${name}: cache-aside judges staleness in time, so its version (${version.column}) must be a timestamp such as updated_at`);
      }
      return { type: 'cache-aside', maxStalenessMs: s.maxStaleness };
  }
}
