/**
 * Resolves one configured mapping against both stores: the key type from the Milvus schema, the
 * Postgres columns and their SQL (quoted identifiers, merge order), and the schema-level findings
 * (vector dimension). Everything the three modes share.
 */
import {
  CheckError,
  configError,
  resolveMilvusPath,
  type CheckContext,
  type MilvusCollectionInfo,
  type MilvusValuePath,
  type PreflightContext,
} from '../../src/plugin.js';
import { andFilter, milvusFieldKeyType } from '../lib/id-milvus.js';
import type { KeyCompare, KeyType } from '../lib/id-order.js';
import {
  andSql,
  columnsProblem,
  describeColumns,
  keyExpression,
  lookupColumns,
  tableLabel,
  whereProblem,
  type KeyExpression,
} from '../lib/id-postgres.js';
import { keyTypeProblem, milvusKeyType, postgresKeyType } from '../lib/key-types.js';
import { JSON_KEY_REFUSAL, type MappingOptions, type Mode, type Options } from './options.js';

const TIMESTAMP_TYPES = /^(timestamp|date)/;

export interface ResolvedMapping {
  name: string;
  mode: Mode;
  sampleSize: number;
  ranges: number;
  table: string; // label, e.g. public.chunks
  qualifiedTable: string; // quoted SQL
  /** Postgres rows that should have a vector (user where, key not null), as SQL. */
  pgWhere: string;
  pgKey: KeyExpression;
  /** SQL type of the Postgres key column (format_type), e.g. bigint. */
  pgKeyType: string;
  /** The Postgres key column, quoted. */
  pgKeyColumn: string;
  collection: string;
  keyField: string;
  keyType: KeyType;
  compare: KeyCompare;
  milvusFilter?: string;
  partitions?: string[];
  /** milvusField: the path's top-level field (an output field); milvusPath: where the value is (a field, JSON, $meta). */
  stale?: { pgSelect: string; pgColumn: string; milvusField: string; milvusPath: MilvusValuePath; compare: 'equal' | 'newer' };
  /** SQL boolean: the row is within the grace window (true -> pending). */
  pendingSql?: string;
  graceMs?: number;
  model?: { field: string; expected?: string };
  info: MilvusCollectionInfo;
}

export async function resolveMapping(ctx: CheckContext<Options, 'postgres' | 'milvus'>, m: MappingOptions): Promise<ResolvedMapping> {
  const pg = ctx.stores.postgres;
  const milvus = ctx.stores.milvus;
  const signal = ctx.signal;
  const ref = { table: m.postgres.table, schema: m.postgres.schema };
  const table = tableLabel(ref);
  const name = m.name;

  const info = await milvus.describeCollection(m.milvus.collection);
  const keyField = m.milvus.key ?? info.primaryKey.name;
  const keyType = milvusFieldKeyType(info, keyField);
  // The stale value may sit in a JSON field or the dynamic field (a document's hash or timestamp).
  const stalePath = m.stale ? resolveMilvusPath(info, m.stale.milvus) : undefined;
  if (stalePath && 'problem' in stalePath) throw configError(`mapping ${name}: ${stalePath.problem}`);
  for (const field of [m.model?.field]) {
    if (field && !info.fields.some((f) => f.name === field)) {
      throw new CheckError('CONFIG', `mapping ${name}: Milvus collection ${info.name} has no field ${JSON.stringify(field)}`);
    }
  }

  const wanted = [m.postgres.key, m.stale?.postgres, m.grace?.column].filter((c): c is string => !!c);
  const columns = await describeColumns(pg, ref, [...new Set(wanted)], signal);
  const keyColumn = columns.get(m.postgres.key)!;
  // Preflight refuses incompatible key types first; this keeps a direct call from comparing them.
  const typeProblem = keyTypeProblem(
    pgKeySide(table, keyColumn.name, keyColumn.type),
    milvusKeySide(info.name, keyField, info.fields.find((f) => f.name === keyField)!.dataType),
  );
  if (typeProblem) throw configError(`mapping ${name}: ${typeProblem}`);
  const pgKey = keyExpression(pg, keyColumn, keyType, `mapping ${name}`);

  let stale: ResolvedMapping['stale'];
  if (m.stale) {
    const column = columns.get(m.stale.postgres)!;
    const ident = pg.quoteIdent(column.name);
    // A timestamp compared for "newer" is read as epoch milliseconds, the usual Milvus encoding.
    const pgSelect =
      m.stale.compare === 'newer' && TIMESTAMP_TYPES.test(column.type) ? `floor(extract(epoch from ${ident}) * 1000)::bigint` : ident;
    const milvusPath = stalePath as MilvusValuePath;
    stale = { pgSelect, pgColumn: column.name, milvusField: milvusPath.field, milvusPath, compare: m.stale.compare };
  }

  let pendingSql: string | undefined;
  if (m.grace) {
    const column = columns.get(m.grace.column)!;
    if (!TIMESTAMP_TYPES.test(column.type)) {
      throw new CheckError('CONFIG', `mapping ${name}: grace column ${column.name} is ${column.type}, a timestamp column is needed`);
    }
    // now() is the snapshot's start: the same instant for every row. The window is a validated number.
    pendingSql = `coalesce(${pg.quoteIdent(column.name)} > now() - make_interval(secs => ${m.grace.window / 1000}), false)`;
  }

  checkDimension(ctx, name, info, m);

  return {
    name,
    mode: ctx.options.mode ?? m.mode ?? 'full',
    sampleSize: m.sampleSize ?? ctx.options.sampleSize,
    ranges: m.ranges ?? ctx.options.ranges,
    table,
    qualifiedTable: pg.quoteTable(ref.table, ref.schema),
    pgWhere: andSql(`${pg.quoteIdent(keyColumn.name)} IS NOT NULL`, m.postgres.where),
    pgKey,
    pgKeyType: keyColumn.type,
    pgKeyColumn: pg.quoteIdent(keyColumn.name),
    collection: info.name,
    keyField,
    keyType,
    compare: pgKey.compare,
    milvusFilter: andFilter(m.milvus.filter),
    partitions: m.milvus.partitions,
    stale,
    pendingSql,
    graceMs: m.grace?.window,
    model: m.model,
    info,
  };
}

const pgKeySide = (table: string, column: string, type: string) => ({
  label: `Postgres column ${table}.${column}`,
  key: postgresKeyType(type),
});
const milvusKeySide = (collection: string, field: string, dataType: string) => ({
  label: `Milvus field ${collection}.${field}`,
  key: milvusKeyType(dataType),
});

/**
 * Resolves one mapping against both stores without reading data, recording every mistake: the
 * table and its columns, the collection and its fields, the key types and the grace column's type.
 */
export async function preflightMapping(
  ctx: PreflightContext<Options, 'postgres' | 'milvus'>,
  m: MappingOptions,
  path: string,
): Promise<void> {
  const problem = (at: string, message: string) => ctx.problem({ path: `${path}.${at}`, message: `mapping ${m.name}: ${message}` });
  const ref = { table: m.postgres.table, schema: m.postgres.schema };
  const wanted = [...new Set([m.postgres.key, m.stale?.postgres, m.grace?.column].filter((c): c is string => !!c))];
  const found = await lookupColumns(ctx.stores.postgres, ref, wanted, ctx.signal);
  const columnProblem = columnsProblem(ref, found, wanted);
  if (columnProblem) problem('postgres', columnProblem);
  const badWhere =
    found.exists && m.postgres.where ? await whereProblem(ctx.stores.postgres, ref, m.postgres.where, undefined, ctx.signal) : undefined;
  if (badWhere) problem('postgres.where', badWhere);
  const keyColumn = found.columns.get(m.postgres.key);
  const graceColumn = m.grace && found.columns.get(m.grace.column);
  if (graceColumn && !TIMESTAMP_TYPES.test(graceColumn.type))
    problem('grace.column', `grace column ${graceColumn.name} is ${graceColumn.type}, a timestamp column is needed`);

  const milvus = ctx.stores.milvus;
  if (!(await milvus.listCollections()).includes(m.milvus.collection)) {
    problem('milvus.collection', `Milvus collection ${JSON.stringify(m.milvus.collection)} does not exist`);
    return;
  }
  const info = await milvus.describeCollection(m.milvus.collection);
  const keyField = m.milvus.key ?? info.primaryKey.name;
  const fieldNames = info.fields.map((f) => f.name).join(', ');
  for (const [at, field] of [
    ['milvus.key', keyField],
    ['model.field', m.model?.field],
  ] as const) {
    if (field && !info.fields.some((f) => f.name === field))
      problem(
        at,
        at === 'milvus.key' && info.dynamicField
          ? `${JSON.stringify(field)} is not a field of Milvus collection ${info.name}, only maybe a key of its dynamic field: ${JSON_KEY_REFUSAL}`
          : `Milvus collection ${info.name} has no field ${JSON.stringify(field)} (fields: ${fieldNames})`,
      );
  }
  const stalePath = m.stale && resolveMilvusPath(info, m.stale.milvus);
  if (stalePath && 'problem' in stalePath) problem('stale.milvus', stalePath.problem);
  if (m.vectorField && !info.fields.some((f) => f.name === m.vectorField && f.dim !== undefined)) {
    problem('vectorField', `Milvus collection ${info.name} has no vector field ${JSON.stringify(m.vectorField)}`);
  }
  const key = info.fields.find((f) => f.name === keyField);
  if (!key || !keyColumn) return;
  const milvusSide = milvusKeySide(info.name, keyField, key.dataType);
  const typeProblem = keyTypeProblem(pgKeySide(tableLabel(ref), keyColumn.name, keyColumn.type), milvusSide);
  if (typeProblem) return problem('milvus.key', typeProblem);
  if (!/^(int64|varchar)$/i.test(key.dataType))
    return problem(
      'milvus.key',
      `Milvus field ${info.name}.${keyField} is ${key.dataType}; only Int64 and VarChar fields can be read in key order`,
    );
  const mode = ctx.options.mode ?? m.mode ?? 'full';
  if (mode === 'counts' && milvusSide.key.kind === 'integer' && postgresKeyType(keyColumn.type).kind === 'text') {
    problem(
      'mode',
      `counts mode needs an integer Postgres key against the Int64 field ${info.name}.${keyField} (${keyColumn.name} is ${keyColumn.type}); use full or sample mode`,
    );
  }
}

function checkDimension(
  ctx: CheckContext<Options, 'postgres' | 'milvus'>,
  mapping: string,
  info: MilvusCollectionInfo,
  m: MappingOptions,
): void {
  if (m.dimension === undefined) return;
  const vectors = info.fields.filter((f) => f.dim !== undefined && (m.vectorField === undefined || f.name === m.vectorField));
  if (m.vectorField && vectors.length === 0) {
    throw new CheckError(
      'CONFIG',
      `mapping ${mapping}: Milvus collection ${info.name} has no vector field ${JSON.stringify(m.vectorField)}`,
    );
  }
  for (const field of vectors) {
    if (field.dim === m.dimension) continue;
    ctx.report({
      code: 'dimension-mismatch',
      subject: { store: 'milvus', object: `${info.name}.${field.name}` },
      data: { mapping, collection: info.name, field: field.name, expected: m.dimension, actual: field.dim },
    });
  }
}

/** Distinct model tags seen, bounded: a collection with thousands of tags is reported as such. */
export class TagTally {
  readonly counts = new Map<string, number>();
  overflow = 0;
  static readonly MAX_TAGS = 1000;

  add(tag: string | null): void {
    const t = tag ?? '(none)';
    const n = this.counts.get(t);
    if (n !== undefined) this.counts.set(t, n + 1);
    else if (this.counts.size < TagTally.MAX_TAGS) this.counts.set(t, 1);
    else this.overflow++;
  }
}

/** model-mismatch findings: tags other than the expected one, or more than one tag. */
export function reportModelTags(
  ctx: CheckContext<Options, 'postgres' | 'milvus'>,
  m: ResolvedMapping,
  tally: TagTally,
  scope: string,
): void {
  if (!m.model) return;
  const tags = Object.fromEntries([...tally.counts.entries()].sort((a, b) => b[1] - a[1]));
  const subject = { store: 'milvus' as const, object: `${m.collection}.${m.model.field}` };
  const base = {
    mapping: m.name,
    collection: m.collection,
    field: m.model.field,
    scope,
    tags,
    ...(tally.overflow ? { otherTagsEntities: tally.overflow } : {}),
  };
  if (m.model.expected !== undefined) {
    const others = [...tally.counts.entries()].filter(([tag]) => tag !== m.model!.expected);
    const entities = others.reduce((sum, [, n]) => sum + n, 0) + tally.overflow;
    if (entities > 0) ctx.report({ code: 'model-mismatch', subject, data: { ...base, expected: m.model.expected, entities } });
  } else if (tally.counts.size > 1) {
    ctx.report({ code: 'model-mismatch', subject, data: { ...base, entities: [...tally.counts.values()].reduce((a, b) => a + b, 0) } });
  }
}

/** True when the row's stale field says the vector is out of date. */
export function isStale(compare: 'equal' | 'newer', row: string | null, vector: string | null): boolean {
  if (row === null) return false; // nothing to compare against
  if (vector === null) return true;
  if (compare === 'equal') return row !== vector;
  const integer = /^-?\d+$/;
  if (integer.test(row) && integer.test(vector)) return BigInt(row) > BigInt(vector);
  const r = Number(row);
  const v = Number(vector);
  if (Number.isNaN(r) || Number.isNaN(v)) return row > vector; // e.g. ISO timestamps on both sides
  return r > v;
}
