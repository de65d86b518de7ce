/**
 * Turns one configured mapping into a plan: the compiled key pattern, the codec, the field rules
 * (types inferred from the Postgres catalog) and the one SQL statement that fetches a batch of rows
 * by key. All identifiers are quoted with the reader's quoteIdent; values travel as parameters.
 *
 * Planning only describes the table (pg_attribute), it reads no row: it is the check's preflight.
 * Every mistake of a mapping (missing table or column, a key column whose type cannot be compared
 * with key text, a version of the wrong type) goes to a problem sink, so all of them are reported
 * in one round instead of one per run.
 */
import type { PostgresReader } from '../../src/plugin.js';
import { compileKeyPattern, type KeyPattern } from '../lib/key-pattern.js';
import { keyTextFor, keyTypeProblem, postgresKeyType, REDIS_PLACEHOLDER_TYPE } from '../lib/key-types.js';
import { CODECS, type CacheCodec } from './codecs.js';
import type { JudgedMapping, Strategy } from './judge.js';
import type { FieldRule } from './normalize.js';
import type { FieldType, MappingOptions } from './options.js';

/** Receives one configuration mistake; `path` is relative to the check's section. */
export type ProblemSink = (path: string, message: string) => void;

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
  /** Cast of the parameter array, e.g. "bigint[]": the column's own type, so its index is used. */
  arrayCast: string;
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

export function splitTable(table: string): { schema?: string; name: string } {
  const dot = table.indexOf('.');
  return dot === -1 ? { name: table } : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

/**
 * Plans every mapping; every mistake of every mapping goes to `problem`. Returns the plans only
 * when there was none.
 */
export async function planMappings(
  pg: PostgresReader,
  mappings: MappingOptions[],
  redisDb: number,
  signal: AbortSignal,
  problem: ProblemSink,
): Promise<MappingPlan[] | null> {
  const plans: MappingPlan[] = [];
  let ok = true;
  for (let i = 0; i < mappings.length; i++) {
    const plan = await planMapping(pg, mappings[i], redisDb, signal, (path, message) => {
      ok = false;
      problem(`mappings[${i}]${path ? `.${path}` : ''}`, message);
    });
    if (plan) plans.push(plan);
  }
  return ok ? plans : null;
}

/** One mapping's plan, or null when it has a mistake (each one sent to `problem`, path relative to the mapping). */
export async function planMapping(
  pg: PostgresReader,
  m: MappingOptions,
  redisDb: number,
  signal: AbortSignal,
  problem: ProblemSink,
): Promise<MappingPlan | null> {
  const name = m.name ?? m.key;
  let ok = true;
  const fail = (path: string, message: string) => {
    ok = false;
    problem(path, `mapping ${name}: ${message}`);
  };
  if (m.db !== undefined && m.db !== redisDb) {
    // One Redis connection per run: the mappings of another db need a run with stores.redis.db set to it.
    ok = false;
    problem('db', `mapping ${name} is in Redis db ${m.db}, but the redis store is db ${redisDb} (run it with stores.redis.db: ${m.db})`);
  }
  const pattern = compileKeyPattern(m.key);
  const { schema, name: tableName } = splitTable(m.table);
  const qualified = pg.quoteTable(tableName, schema);
  const columns = await tableColumns(pg, qualified, signal);
  if (columns.size === 0) {
    fail('table', `table ${m.table} not found in Postgres ${pg.info.database} (check the table name and its schema)`);
    return null;
  }
  const column = (col: string, what: string, path: string): Column | undefined => {
    const c = columns.get(col);
    if (!c) fail(path, `${what} ${JSON.stringify(col)} is not a column of ${m.table}`);
    return c;
  };

  const keyColumns: KeyColumn[] = [];
  for (const placeholder of pattern.placeholders) {
    const explicit = m.keyColumns[placeholder] !== undefined;
    const c = column(m.keyColumns[placeholder] ?? placeholder, 'key column', explicit ? `keyColumns.${placeholder}` : 'key');
    if (!c) continue;
    const k = keyColumn(placeholder, c);
    if (typeof k === 'string') fail(explicit ? `keyColumns.${placeholder}` : 'key', k);
    else keyColumns.push(k);
  }

  const sensitive = new Set(m.sensitive);
  const ignored = new Set(m.ignore);
  const fieldEntries = m.fields ? Object.entries(m.fields) : [...columns.keys()].map((c) => [c, c] as const);
  const fields: FieldRule[] = [];
  for (const [col, spec] of fieldEntries) {
    if (ignored.has(col)) continue;
    const c = column(col, 'field', `fields.${col}`);
    if (!c) continue;
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
  // The options schema makes sure these columns are in the field map (and not ignored).
  const fieldOf = (col: string | undefined, what: string, path: string) => {
    if (col === undefined) return undefined;
    const f = fields.find((x) => x.column === col);
    if (!f && !m.fields) column(col, what, path);
    return f;
  };
  const version = fieldOf(m.strategy.version, 'version column', 'strategy.version');
  const updatedAt = m.strategy.type === 'cache-aside' ? rowOnlyColumn(m.strategy.updatedAt, fields, columns, fail) : undefined;
  const strategy = resolveStrategy(m, version, updatedAt, fail);
  if (!ok || !strategy) return null;

  // Field values come back under their column names (rows are used as they are); key columns as
  // text under "?k0", "?k1"... (no real column is named like that).
  const selected = updatedAt && !fields.includes(updatedAt) ? [...fields, updatedAt] : fields;
  const select = selected.map((f) => `${selectExpr(pg, f, columns.get(f.column)!)} AS ${pg.quoteIdent(f.column)}`);
  for (const [i, k] of keyColumns.entries()) select.push(`${pg.quoteIdent(k.column)}::text AS "${keyAlias(i)}"`);
  const where = keyColumns.length === 1 ? singleKeyPredicate(pg, keyColumns[0]) : compositeKeyPredicate(pg, keyColumns);
  const sql = `SELECT ${select.join(', ')} FROM ${qualified} WHERE ${where}${m.where ? ` AND (${m.where})` : ''}`;

  return {
    name,
    table: m.table,
    filtered: m.where !== undefined,
    strategy,
    fields,
    version,
    updatedAt,
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

/**
 * cache-aside's updatedAt: the field rule when the column is compared too, else a rule that only
 * reads it from the row (the cache need not hold it).
 */
function rowOnlyColumn(
  col: string | undefined,
  fields: FieldRule[],
  columns: Map<string, Column>,
  fail: ProblemSink,
): FieldRule | undefined {
  if (col === undefined) return undefined;
  const compared = fields.find((f) => f.column === col);
  if (compared) return compared;
  const c = columns.get(col);
  if (!c) {
    fail('strategy.updatedAt', `updatedAt ${JSON.stringify(col)} is not a column of the table`);
    return undefined;
  }
  return { column: col, path: col, type: resolveType('auto', c), format: 'auto', sensitive: false };
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
      if (c.typname === 'timestamp' || c.typname === 'date')
        return `floor(extract(epoch FROM ${col}::timestamp AT TIME ZONE 'UTC') * 1000)::float8`;
      return `${col}::text`;
    case 'boolean':
      return c.typname === 'bool' ? col : `${col}::text`;
    case 'json':
      return c.typname === 'json' || c.typname === 'jsonb' ? col : `${col}::text`;
    default:
      return `${col}::text`;
  }
}

/**
 * How key text is matched against column `c` (checks/lib/key-types.ts, the rule every cross-store
 * key comparison shares), or why it cannot be: a float, timestamp, json... column never equals key
 * text exactly, and comparing anyway would report every entry as an orphan.
 */
function keyColumn(placeholder: string, c: Column): KeyColumn | string {
  const key = postgresKeyType(c.type);
  const problem = keyTypeProblem(
    { label: `key placeholder {${placeholder}}`, key: REDIS_PLACEHOLDER_TYPE },
    { label: `column ${c.name}`, key },
  );
  if (problem) return `key placeholder {${placeholder}} (${REDIS_PLACEHOLDER_TYPE.type}) cannot be compared with its column: ${problem}`;
  // The parameter array is cast to the column's own type, so the primary key index is used.
  const arrayCast = key.kind === 'integer' ? `${c.type}[]` : key.kind === 'uuid' ? 'uuid[]' : 'text[]';
  return { placeholder, column: c.name, arrayCast, canon: (text) => keyTextFor(key, text) };
}

export const keyAlias = (i: number) => `?k${i}`;

function singleKeyPredicate(pg: PostgresReader, k: KeyColumn): string {
  return `${pg.quoteIdent(k.column)} = ANY($1::${k.arrayCast})`;
}

function compositeKeyPredicate(pg: PostgresReader, keys: KeyColumn[]): string {
  const cols = keys.map((k) => pg.quoteIdent(k.column)).join(', ');
  const arrays = keys.map((k, i) => `$${i + 1}::${k.arrayCast}`).join(', ');
  return `(${cols}) IN (SELECT * FROM unnest(${arrays}))`;
}

/**
 * The strategy with the version rules the catalog decides (a version's type is inferred from its
 * column unless the field map declares it; the options schema refuses what a declared type shows).
 */
function resolveStrategy(
  m: MappingOptions,
  version: FieldRule | undefined,
  updatedAt: FieldRule | undefined,
  fail: ProblemSink,
): Strategy | null {
  const s = m.strategy;
  if (version && version.type !== 'timestamp' && version.type !== 'number') {
    fail('strategy.version', `version column ${version.column} must be a number or a timestamp (it compares as ${version.type})`);
    return null;
  }
  switch (s.type) {
    case 'write-through':
      return { type: 'write-through' };
    case 'write-behind':
      if (version?.type === 'timestamp' && s.maxLag === undefined) {
        fail('strategy', `write-behind with a timestamp version (${version.column}) needs maxLag`);
        return null;
      }
      if (version?.type === 'number' && s.maxVersionLead === undefined) {
        fail('strategy', `write-behind with a number version (${version.column}) needs maxVersionLead`);
        return null;
      }
      return { type: 'write-behind', maxLagMs: s.maxLag, maxVersionLead: s.maxVersionLead };
    case 'cache-aside':
      if (updatedAt && updatedAt.type !== 'timestamp') {
        fail('strategy.updatedAt', `updatedAt column ${updatedAt.column} must be a timestamp (it compares as ${updatedAt.type})`);
        return null;
      }
      // When the row changed is known (a timestamp version, or updatedAt): an older entry is lawful
      // for maxStaleness; the schema asks for it whenever it may be needed.
      if ((version?.type === 'timestamp' || updatedAt) && s.maxStaleness === undefined && m.ttl.max === undefined) {
        fail(
          'strategy',
          'cache-aside with a timestamp version or updatedAt needs maxStaleness or ttl.max (how stale an entry may lawfully be)',
        );
        return null;
      }
      return { type: 'cache-aside', maxStalenessMs: s.maxStaleness };
  }
}
