/**
 * Redis keys whose parent row is gone. SCAN visits keys in no order, so there is nothing to merge:
 * keys matching the pattern are parsed into parent keys and looked up in Postgres in batches
 * (`= ANY($1)`, or `IN (SELECT unnest(...))` for composite keys), sized to a time target per round
 * trip. Memory holds one batch.
 */
import { CheckError, type CheckContext, type PostgresReader } from '../../src/plugin.js';
import { AdaptiveBatchSize } from '../lib/id-batch.js';
import { isInt64Key } from '../lib/id-order.js';
import { andSql, describeColumns, tableLabel, type PgColumnInfo } from '../lib/id-postgres.js';
import { compileKeyPattern } from '../lib/key-pattern.js';
import type { Options, RedisRelation } from './options.js';
import { relationStats, type RelationStats } from './stats.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const INT_LIMITS: Record<string, bigint> = { smallint: 32767n, integer: 2147483647n, bigint: 9223372036854775807n };

/** Whether a placeholder value can be a value of the column at all (else it cannot have a parent). */
function validFor(column: PgColumnInfo, value: string): boolean {
  const limit = INT_LIMITS[column.type];
  if (limit !== undefined) {
    if (!isInt64Key(value)) return false;
    const n = BigInt(value);
    return n <= limit && n >= -limit - 1n;
  }
  if (column.type === 'uuid') return UUID.test(value);
  if (column.type.startsWith('numeric')) return /^-?\d+(\.\d+)?$/.test(value);
  return true;
}

/** The form Postgres prints a value in, so found keys compare equal (uuid: lower case, hyphens). */
function canonical(column: PgColumnInfo, value: string): string {
  if (column.type !== 'uuid') return value;
  const hex = value.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface PendingKey {
  key: string;
  /** Placeholder values of the parent columns, in column order. */
  values: string[];
}

export async function scanRedisRelation(ctx: CheckContext<Options>, r: RedisRelation): Promise<void> {
  const pg = ctx.stores.postgres!;
  const redis = ctx.stores.redis;
  const parentLabel = tableLabel(r.parent);
  const name = r.name ?? `${r.pattern} -> ${parentLabel}`;
  if (!redis) throw new CheckError('STORE_UNAVAILABLE', `relation ${name} needs Redis, which is not configured or not reachable`);
  let pattern;
  try {
    pattern = compileKeyPattern(r.pattern);
  } catch (err) {
    throw new CheckError('CONFIG', `relation ${name}: ${(err as Error).message}`);
  }
  // placeholder -> parent column
  const mapping: Array<[string, string]> = r.parent.columns
    ? Object.entries(r.parent.columns)
    : pattern.placeholders.length
      ? [[pattern.placeholders[pattern.placeholders.length - 1], r.parent.column!]]
      : [];
  if (mapping.length === 0) throw new CheckError('CONFIG', `relation ${name}: the pattern has no {placeholder} for the parent key`);
  for (const [placeholder] of mapping) {
    if (!pattern.placeholders.includes(placeholder)) {
      throw new CheckError('CONFIG', `relation ${name}: the pattern has no placeholder {${placeholder}} (it has ${pattern.placeholders.map((p) => `{${p}}`).join(', ')})`);
    }
  }
  const columnInfo = await describeColumns(pg, r.parent, mapping.map(([, c]) => c), ctx.signal);
  const columns = mapping.map(([, c]) => columnInfo.get(c)!);
  const lookup = lookupSql(pg, r, columns);
  const stats = relationStats(ctx, name, 'redis');
  stats.set('glob', pattern.glob);
  const batchSize = new AdaptiveBatchSize({ initial: 1000, min: 100, max: 20_000, targetMs: 200 });

  let batch: PendingKey[] = [];
  let matched = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const started = performance.now();
    await lookupBatch(ctx, pg, lookup, r, name, columns, batch, stats);
    batchSize.record(batch.length, performance.now() - started);
    batch = [];
  };

  scan: for await (const keys of redis.scan({ match: pattern.glob, count: 1000, type: r.type, signal: ctx.signal })) {
    for (const raw of keys) {
      const key = raw.toString('utf8');
      stats.add('keysScanned', 1);
      const values = pattern.parse(key);
      if (!values) {
        stats.add('keysIgnored', 1); // matched the glob, not the pattern (e.g. doc:1:meta for doc:{id})
        continue;
      }
      matched++;
      const parentValues = mapping.map(([placeholder]) => values[placeholder]);
      const invalid = parentValues.findIndex((v, i) => !validFor(columns[i], v));
      if (invalid >= 0) {
        stats.compared(key);
        reportOrphan(ctx, r, name, key, parentValues, 'invalid-key', stats);
      } else batch.push({ key, values: parentValues.map((v, i) => canonical(columns[i], v)) });
      if (batch.length >= batchSize.size) await flush();
      if (r.maxKeys !== undefined && matched >= r.maxKeys) {
        stats.set('stoppedAtMaxKeys', true);
        break scan;
      }
    }
  }
  await flush();
  stats.set('batchSize', batchSize.size);
}

function lookupSql(pg: PostgresReader, r: RedisRelation, columns: PgColumnInfo[]): string {
  const table = pg.quoteTable(r.parent.table, r.parent.schema);
  const idents = columns.map((c) => pg.quoteIdent(c.name));
  const select = idents.map((id, i) => `${id}::text AS c${i}`).join(', ');
  // Column types come from format_type(): valid SQL type names, not user input.
  const match =
    columns.length === 1
      ? `${idents[0]} = ANY($1::${columns[0].type}[])`
      : `(${idents.join(', ')}) IN (SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')}))`;
  return `SELECT DISTINCT ${select} FROM ${table} WHERE ${andSql(match, r.parent.where)}`;
}

async function lookupBatch(
  ctx: CheckContext<Options>,
  pg: PostgresReader,
  sql: string,
  r: RedisRelation,
  name: string,
  columns: PgColumnInfo[],
  batch: PendingKey[],
  stats: RelationStats,
): Promise<void> {
  const tuple = (values: string[]) => values.join('\u0000');
  // Distinct parent keys of this batch (several Redis keys may point at one parent).
  const distinct = new Map<string, string[]>();
  for (const k of batch) distinct.set(tuple(k.values), k.values);
  const params = columns.map((_, i) => [...distinct.values()].map((v) => v[i]));
  const { rows } = await pg.query<Record<string, string>>(sql, params, { signal: ctx.signal });
  const found = new Set(rows.map((row) => tuple(columns.map((_, i) => row[`c${i}`]))));
  for (const k of batch) {
    stats.compared(k.key);
    if (!found.has(tuple(k.values))) reportOrphan(ctx, r, name, k.key, k.values, 'parent-missing', stats);
  }
}

function reportOrphan(ctx: CheckContext<Options>, r: RedisRelation, name: string, key: string, parentKey: string[], reason: string, stats: RelationStats): void {
  stats.add('orphanKeys', 1);
  ctx.report({
    code: 'orphan-redis-key',
    subject: { store: 'redis', object: r.pattern, key },
    data: { relation: name, key, pattern: r.pattern, parentKey: parentKey.length === 1 ? parentKey[0] : parentKey, parent: tableLabel(r.parent), reason },
  });
}
