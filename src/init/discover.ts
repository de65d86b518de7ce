/**
 * What `dbcheck init` reads from the live stores, read-only and bounded: Postgres key columns (from
 * the catalog), Milvus collections with a sample of their key-like fields, a SCAN sample of Redis
 * keys, and which sampled values exist in which Postgres key column. Every read has a limit (rows,
 * keys, collections) and a deadline (statement_timeout, the connectors' call timeouts, the signal).
 */
import { isCoded } from '../errors.js';
import { MILVUS_DYNAMIC_FIELD } from '../stores/milvus/path.js';
import type { MilvusReader, PostgresReader, RedisReader, SqlRunner } from '../stores/types.js';

/** Bounds of one init run: enough to recognise a layout, never a scan of the data. */
export const LIMITS = {
  keyColumns: 500,
  collections: 50,
  /** Rows sampled per collection (key-like fields only, never vectors). */
  milvusSample: 200,
  /** Redis keys looked at, over at most this many SCAN rounds. */
  redisKeys: 2_000,
  redisScanRounds: 50,
  /** Values per Redis key pattern kept for matching. */
  valuesPerPattern: 200,
  /** Sampled values sent to Postgres in one lookup. */
  valuesPerLookup: 5_000,
  /** Each catalog or lookup statement. */
  statementTimeout: '5s',
} as const;

/** What to look at: all of it by default; narrowed by `dbcheck init --schemas/--collections/--redis-match`. */
export interface Scope {
  schemas?: string[];
  /** Exact collection names, or prefixes ending in `*`. */
  collections?: string[];
  /** SCAN MATCH glob. */
  redisMatch?: string;
}

export function inScope(name: string, patterns: string[] | undefined): boolean {
  return !patterns || patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** A Postgres column whose values identify one row: a one-column primary key or unique index. */
export interface KeyColumn {
  schema: string;
  table: string;
  column: string;
  /** pg_type name: int2, int4, int8, text, varchar, bpchar, uuid. */
  type: string;
  /**
   * Set for a framework's key-value table, where a key is unique per namespace only (LangChain's
   * upsertion_record, LlamaIndex's docstore): the namespace column, and which layout it is.
   */
  namespaceColumn?: string;
  framework?: 'langchain' | 'llamaindex';
}

export interface SampledField {
  name: string;
  dataType: 'Int64' | 'VarChar';
  isPrimaryKey: boolean;
  /** Distinct sampled values, as strings. */
  values: string[];
  /** Set for a key of the dynamic field: the path to write in config (`$meta["doc_id"]`). */
  path?: string;
}

export interface SampledCollection {
  name: string;
  primaryKey: string;
  dynamicField: boolean;
  vectorFields: Array<{ name: string; dim?: number }>;
  fields: SampledField[];
  rows: number;
}

/** Key columns of type the sampled values can be compared with (by value, through an index). */
const KEY_TYPES = ['int2', 'int4', 'int8', 'text', 'varchar', 'bpchar', 'uuid'];

export async function keyColumns(pg: PostgresReader, scope: Scope, signal: AbortSignal): Promise<KeyColumn[]> {
  return pg.withSnapshot(
    async (s) => {
      await s.query(`SET LOCAL statement_timeout = '${LIMITS.statementTimeout}'`, [], { signal });
      const unique = await s.query<{ schema: string; table: string; column: string; type: string }>(
        `SELECT DISTINCT n.nspname AS schema, c.relname AS table, a.attname AS column, t.typname AS type
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid AND c.relkind IN ('r', 'p')
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
         JOIN pg_type t ON t.oid = a.atttypid
        WHERE i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
          AND t.typname = ANY($1) AND ($2::text[] IS NULL OR n.nspname = ANY($2))
        ORDER BY 1, 2, 3 LIMIT ${LIMITS.keyColumns}`,
        [KEY_TYPES, scope.schemas ?? null],
        { signal },
      );
      // The frameworks' key-value tables: keys are unique per namespace (a two-column unique index).
      const frameworks = await s.query<{ schema: string; table: string; columns: string[] }>(
        `SELECT n.nspname AS schema, c.relname AS table, array_agg(a.attname::text) AS columns
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p') AND (c.relname = 'upsertion_record' OR c.relname LIKE '%docstore')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND ($1::text[] IS NULL OR n.nspname = ANY($1))
        GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ${LIMITS.keyColumns}`,
        [scope.schemas ?? null],
        { signal },
      );
      const found: KeyColumn[] = [...unique.rows];
      for (const t of frameworks.rows) {
        const has = (...cols: string[]) => cols.every((c) => t.columns.includes(c));
        const framework =
          t.table === 'upsertion_record' && has('uuid', 'key', 'namespace', 'group_id', 'updated_at')
            ? 'langchain'
            : t.table.endsWith('docstore') && has('key', 'namespace', 'value')
              ? 'llamaindex'
              : undefined;
        if (framework)
          found.push({ schema: t.schema, table: t.table, column: 'key', type: 'varchar', namespaceColumn: 'namespace', framework });
      }
      return found;
    },
    { signal },
  );
}

export async function sampleCollections(
  milvus: MilvusReader,
  scope: Scope,
  signal: AbortSignal,
): Promise<{ collections: SampledCollection[]; total: number }> {
  const names = (await milvus.listCollections()).filter((n) => inScope(n, scope.collections)).sort();
  const collections: SampledCollection[] = [];
  for (const name of names.slice(0, LIMITS.collections)) {
    signal.throwIfAborted();
    let info: Awaited<ReturnType<MilvusReader['describeCollection']>>;
    let rows: Array<Record<string, unknown>>;
    let keyLike: typeof info.fields;
    try {
      info = await milvus.describeCollection(name);
      keyLike = info.fields.filter(
        (f) => (f.dataType === 'Int64' || f.dataType === 'VarChar') && (f.isPrimaryKey || looksLikeKeyName(f.name)),
      );
      // The dynamic field too: LangChain with enable_dynamic_field=True keeps doc_id only there.
      const outputFields = [...keyLike.map((f) => f.name), ...(info.dynamicField ? [MILVUS_DYNAMIC_FIELD] : [])];
      rows = outputFields.length ? await milvus.query(name, { limit: LIMITS.milvusSample, outputFields, signal }) : [];
    } catch (err) {
      // Dropped since it was listed (someone else's work in progress): nothing to propose for it.
      if (!(await milvus.listCollections()).includes(name)) continue;
      throw err;
    }
    collections.push({
      name,
      primaryKey: info.primaryKey.name,
      dynamicField: Boolean(info.dynamicField),
      vectorFields: info.fields.filter((f) => f.dataType.endsWith('Vector')).map((f) => ({ name: f.name, dim: f.dim })),
      fields: keyLike.map((f) => ({
        name: f.name,
        dataType: f.dataType as 'Int64' | 'VarChar',
        isPrimaryKey: f.isPrimaryKey,
        values: [
          ...new Set(
            rows
              .map((r) => r[f.name])
              .filter((v) => v !== null && v !== undefined)
              .map(String),
          ),
        ],
      })),
      rows: rows.length,
    });
    if (info.dynamicField) {
      // Keys that only repeat a scalar field (LlamaIndex writes doc_id, document_id and ref_doc_id
      // alike) would propose the same relation twice: the scalar field speaks for them.
      const sampled = collections.at(-1)!;
      const schemaNames = new Set(info.fields.map((f) => f.name));
      const same = (a: string[], b: string[]) => a.length === b.length && a.every((v) => b.includes(v));
      const extra = dynamicKeyFields(rows).filter((f) => !schemaNames.has(f.name) && !sampled.fields.some((s) => same(s.values, f.values)));
      sampled.fields.push(...extra);
    }
  }
  return { collections, total: names.length };
}

/**
 * Keys of the dynamic field (`$meta`) that look like ids, with integer or text values: matched like
 * scalar fields and written as `$meta["key"]` paths. Integers are exact (milvus-json.ts keeps those
 * above 2^53 as digit strings); a key holding both numbers and text is text.
 */
export function dynamicKeyFields(rows: Array<Record<string, unknown>>): SampledField[] {
  const byKey = new Map<string, { values: Set<string>; text: boolean }>();
  for (const row of rows) {
    const meta = row[MILVUS_DYNAMIC_FIELD];
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) continue;
    for (const [key, v] of Object.entries(meta as Record<string, unknown>)) {
      if (!looksLikeKeyName(key) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
      const isInt = (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
      if (!isInt && typeof v !== 'string') continue;
      const entry = byKey.get(key) ?? { values: new Set<string>(), text: false };
      entry.values.add(String(v));
      entry.text ||= typeof v === 'string';
      byKey.set(key, entry);
    }
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, e]) => ({
      name: key,
      dataType: e.text ? 'VarChar' : 'Int64',
      isPrimaryKey: false,
      values: [...e.values],
      path: `${MILVUS_DYNAMIC_FIELD}[${JSON.stringify(key)}]`,
    }));
}

/**
 * A field worth matching against key columns: the primary key, or a name that says it holds an id
 * (doc_id, document_id, uuid, ref_key). Small counters (version, chunk_index) would match any
 * integer id column by accident.
 */
export function looksLikeKeyName(name: string): boolean {
  return /(^|_)(id|key|uuid|pk)$/i.test(name) || /[a-z]Id$/.test(name);
}

/** Up to LIMITS.redisKeys keys from SCAN (never KEYS), decoded; keys that are not UTF-8 text are skipped. */
export async function sampleRedisKeys(
  redis: RedisReader,
  scope: Scope,
  signal: AbortSignal,
): Promise<{ keys: string[]; complete: boolean }> {
  const keys: string[] = [];
  let rounds = 0;
  for await (const page of redis.scan({ count: 500, match: scope.redisMatch, signal })) {
    for (const raw of page) {
      const key = raw.toString('utf8');
      if (Buffer.from(key, 'utf8').equals(raw)) keys.push(key);
    }
    if (keys.length >= LIMITS.redisKeys || ++rounds >= LIMITS.redisScanRounds)
      return { keys: keys.slice(0, LIMITS.redisKeys), complete: false };
  }
  return { keys, complete: true };
}

/** Which of `values` a key column holds (and, for a framework table, in which namespace). */
export interface Lookup {
  column: KeyColumn;
  /** value -> namespaces it was found in ('' for a plain key column). */
  found: Map<string, Set<string>>;
}

/**
 * One indexed lookup per key column: the sampled values that the column can hold (digits for
 * integer columns, uuid-shaped text for uuid) compared by value with `= ANY(...)`.
 */
export async function lookUpValues(pg: PostgresReader, columns: KeyColumn[], values: string[], signal: AbortSignal): Promise<Lookup[]> {
  const distinct = [...new Set(values)];
  return pg.withSnapshot(
    async (s) => {
      await s.query(`SET LOCAL statement_timeout = '${LIMITS.statementTimeout}'`, [], { signal });
      const out: Lookup[] = [];
      for (const column of columns) {
        const { cast, fits } = castFor(column.type);
        const candidates = distinct.filter(fits).slice(0, LIMITS.valuesPerLookup);
        const found = new Map<string, Set<string>>();
        if (candidates.length) {
          // A savepoint per table: one dropped since the catalog read is skipped, not the whole lookup.
          await s.query('SAVEPOINT lookup', [], { signal });
          try {
            await lookUpColumn(s, pg, column, cast, candidates, found, signal);
            await s.query('RELEASE SAVEPOINT lookup', [], { signal });
          } catch (err) {
            if (!(isCoded(err) && err.code === 'STORE_MISSING_OBJECT')) throw err;
            await s.query('ROLLBACK TO SAVEPOINT lookup', [], { signal });
          }
        }
        out.push({ column, found });
      }
      return out;
    },
    { signal },
  );
}

async function lookUpColumn(
  s: SqlRunner,
  pg: PostgresReader,
  column: KeyColumn,
  cast: string,
  values: string[],
  found: Map<string, Set<string>>,
  signal: AbortSignal,
): Promise<void> {
  const col = pg.quoteIdent(column.column);
  const ns = column.namespaceColumn ? `${pg.quoteIdent(column.namespaceColumn)}::text` : `''`;
  const { rows } = await s.query<{ v: string; ns: string }>(
    `SELECT ${col}::text AS v, ${ns} AS ns FROM ${pg.quoteTable(column.table, column.schema)} WHERE ${col} = ANY($1::${cast}[]) LIMIT ${values.length * 4}`,
    [values],
    { signal },
  );
  for (const r of rows) {
    if (!found.has(r.v)) found.set(r.v, new Set());
    found.get(r.v)!.add(r.ns);
  }
}

const INT64 = /^-?\d{1,18}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function castFor(type: string): { cast: string; fits: (v: string) => boolean } {
  if (type === 'int2' || type === 'int4' || type === 'int8') return { cast: 'int8', fits: (v) => INT64.test(v) };
  if (type === 'uuid') return { cast: 'uuid', fits: (v) => UUID.test(v) };
  return { cast: 'text', fits: () => true };
}
