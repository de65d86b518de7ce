/**
 * Redis keys whose parent row is gone. SCAN visits keys in no order, so there is nothing to merge:
 * keys matching the pattern are parsed into parent keys and looked up in Postgres in batches
 * (`= ANY($1)`, or `IN (SELECT unnest(...))` for composite keys), sized to a time target per round
 * trip. Memory holds one batch.
 */
import { CheckError, configError, type PostgresReader } from '../../src/plugin.js';
import { AdaptiveBatchSize } from '../lib/id-batch.js';
import { andSql, describeColumns, tableLabel, type PgColumnInfo } from '../lib/id-postgres.js';
import { compileKeyPattern } from '../lib/key-pattern.js';
import { keyTextFor, keyTypeProblem, postgresKeyType, REDIS_PLACEHOLDER_TYPE, type KeyTypeInfo } from '../lib/key-types.js';
import type { RedisRelation } from './options.js';
import { redisKeyMapping } from './preflight.js';
import { shardFilter } from '../lib/shard.js';
import { type OrphanScanContext, relationStats, type RelationStats } from './stats.js';

interface PendingKey {
  key: string;
  /** Placeholder values of the parent columns, in column order. */
  values: string[];
}

export async function scanRedisRelation(ctx: OrphanScanContext, r: RedisRelation): Promise<void> {
  const pg = ctx.stores.postgres;
  const redis = ctx.stores.redis;
  const parentLabel = tableLabel(r.parent);
  const name = r.name;
  if (!redis) throw new CheckError('STORE_UNAVAILABLE', `relation ${name} needs Redis, which is not configured or not reachable`);
  // Preflight refuses these mistakes first; the checks stay for a direct call.
  let pattern: ReturnType<typeof compileKeyPattern>;
  try {
    pattern = compileKeyPattern(r.pattern);
  } catch (err) {
    throw configError(`relation ${name}: ${(err as Error).message}`);
  }
  const mapping = redisKeyMapping(r, pattern.placeholders);
  if (typeof mapping === 'string') throw configError(`relation ${name}: ${mapping}`);
  const columnInfo = await describeColumns(
    pg,
    r.parent,
    mapping.map(([, c]) => c),
    ctx.signal,
  );
  const columns = mapping.map(([, c]) => columnInfo.get(c)!);
  const keyTypes: KeyTypeInfo[] = columns.map((c) => postgresKeyType(c.type));
  for (const [i, [placeholder]] of mapping.entries()) {
    const problem = keyTypeProblem(
      { label: `placeholder {${placeholder}}`, key: REDIS_PLACEHOLDER_TYPE },
      { label: `Postgres column ${parentLabel}.${columns[i].name}`, key: keyTypes[i] },
    );
    if (problem) throw configError(`relation ${name}: ${problem}`);
  }
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

  const mine = shardFilter(ctx.shard); // --shard: this process checks the keys whose hash is its own
  scan: for await (const keys of redis.scan({ match: pattern.glob, count: 1000, type: r.type, signal: ctx.signal })) {
    for (const raw of keys) {
      if (!mine(raw)) continue;
      const key = raw.toString('utf8');
      stats.add('keysScanned', 1);
      const values = pattern.parse(key);
      if (!values) {
        stats.add('keysIgnored', 1); // matched the glob, not the pattern (e.g. doc:1:meta for doc:{id})
        continue;
      }
      matched++;
      const parentValues = mapping.map(([placeholder]) => values[placeholder]);
      // Each placeholder read as a value of its column's type (canonical text), or null: no such key.
      const keyTexts = parentValues.map((v, i) => keyTextFor(keyTypes[i], v));
      if (keyTexts.includes(null)) {
        stats.compared(key);
        reportOrphan(ctx, r, name, key, parentValues, 'invalid-key', stats);
      } else batch.push({ key, values: keyTexts as string[] });
      if (batch.length >= batchSize.size) await flush();
      if (r.maxKeys !== undefined && matched >= r.maxKeys) {
        stats.set('stoppedAtMaxKeys', true);
        break scan;
      }
    }
    // Keys matched so far; SCAN gives no total for a pattern (DBSIZE counts every key).
    ctx.progress({ done: matched });
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
  ctx: OrphanScanContext,
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

function reportOrphan(
  ctx: OrphanScanContext,
  r: RedisRelation,
  name: string,
  key: string,
  parentKey: string[],
  reason: string,
  stats: RelationStats,
): void {
  stats.add('orphanKeys', 1);
  ctx.report({
    code: 'orphan-redis-key',
    subject: { store: 'redis', object: r.pattern, key },
    data: {
      relation: name,
      key,
      pattern: r.pattern,
      parentKey: parentKey.length === 1 ? parentKey[0] : parentKey,
      parent: tableLabel(r.parent),
      reason,
    },
  });
}
