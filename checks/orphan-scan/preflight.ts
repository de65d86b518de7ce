/**
 * orphan-scan preflight: resolves every relation against the live stores before any data is read
 * (tables, columns, collections, fields, key patterns, key types) and records every mistake, so a
 * config with three typos fails once, with three lines, exit 2.
 */
import { resolveMilvusPath, type MilvusCollectionInfo, type PreflightContext } from '../../src/plugin.js';
import { columnsProblem, lookupColumns, tableLabel, whereProblem, type PgColumnInfo, type PgTableRef } from '../lib/id-postgres.js';
import { compileKeyPattern } from '../lib/key-pattern.js';
import {
  keyTypeProblem,
  milvusJsonKeyType,
  milvusKeyType,
  postgresKeyType,
  REDIS_PLACEHOLDER_TYPE,
  type KeySide,
} from '../lib/key-types.js';
import type { MilvusRelation, Options, PostgresRelation, RedisRelation } from './options.js';

type Ctx = PreflightContext<Options, 'postgres'>;

export async function preflightRelations(ctx: Ctx): Promise<void> {
  for (const [i, r] of ctx.options.postgres.entries()) await preflightPostgres(ctx, r, `postgres[${i}]`);
  for (const [i, r] of ctx.options.milvus.entries()) await preflightMilvus(ctx, r, `milvus[${i}]`);
  for (const [i, r] of ctx.options.redis.entries()) await preflightRedis(ctx, r, `redis[${i}]`);
}

/**
 * Looks one column up and tries the side's `where`; records each problem and returns undefined when
 * the table or column is missing. `alias` is the name the scan gives the table in its SQL.
 */
async function column(
  ctx: Ctx,
  ref: PgTableRef & { where?: string },
  name: string,
  path: string,
  relation: string,
  alias?: string,
): Promise<PgColumnInfo | undefined> {
  const pg = ctx.stores.postgres;
  const found = await lookupColumns(pg, ref, [name], ctx.signal);
  const problem = columnsProblem(ref, found, [name]);
  if (problem) ctx.problem({ path, message: `relation ${relation}: ${problem}` });
  if (found.exists && ref.where) {
    const bad = await whereProblem(pg, ref, ref.where, alias, ctx.signal);
    if (bad) ctx.problem({ path: `${path}.where`, message: `relation ${relation}: ${bad}` });
  }
  return found.columns.get(name);
}

const pgSide = (ref: PgTableRef, c: PgColumnInfo): KeySide => ({
  label: `Postgres column ${tableLabel(ref)}.${c.name}`,
  key: postgresKeyType(c.type),
});

function checkTypes(ctx: Ctx, path: string, relation: string, child: KeySide, parent: KeySide): void {
  const problem = keyTypeProblem(child, parent);
  if (problem) ctx.problem({ path, message: `relation ${relation}: ${problem}` });
}

async function preflightPostgres(ctx: Ctx, r: PostgresRelation, path: string): Promise<void> {
  const child = await column(ctx, r.child, r.child.column, `${path}.child`, r.name, 'child');
  const parent = await column(ctx, r.parent, r.parent.column, `${path}.parent`, r.name, 'parent');
  if (child && parent) checkTypes(ctx, path, r.name, pgSide(r.child, child), pgSide(r.parent, parent));
}

async function preflightMilvus(ctx: Ctx, r: MilvusRelation, path: string): Promise<void> {
  const parent = await column(ctx, r.parent, r.parent.column, `${path}.parent`, r.name);
  const milvus = ctx.stores.milvus;
  if (!milvus) {
    // Configured but unreachable is a store failure, reported when the relation runs.
    if (ctx.storeStatus.milvus?.configured === false)
      ctx.problem({ path, message: `relation ${r.name} needs Milvus, which is not configured (stores.milvus)` });
    return;
  }
  if (!(await milvus.listCollections()).includes(r.collection)) {
    ctx.problem({
      path: `${path}.collection`,
      message: `relation ${r.name}: Milvus collection ${JSON.stringify(r.collection)} does not exist`,
    });
    return;
  }
  const info: MilvusCollectionInfo = await milvus.describeCollection(r.collection);
  // A scalar field, a JSON path, or a bare name found in the dynamic field ($meta).
  const field = resolveMilvusPath(info, r.field);
  if ('problem' in field) {
    ctx.problem({ path: `${path}.field`, message: `relation ${r.name}: ${field.problem}` });
    return;
  }
  const key = field.keys.length ? milvusJsonKeyType(field.text) : milvusKeyType(field.dataType);
  if (parent) checkTypes(ctx, path, r.name, { label: `Milvus field ${r.collection}.${field.text}`, key }, pgSide(r.parent, parent));
}

async function preflightRedis(ctx: Ctx, r: RedisRelation, path: string): Promise<void> {
  if (!ctx.stores.redis && ctx.storeStatus.redis?.configured === false) {
    ctx.problem({ path, message: `relation ${r.name} needs Redis, which is not configured (stores.redis)` });
  }
  let placeholders: string[];
  try {
    placeholders = compileKeyPattern(r.pattern).placeholders;
  } catch (err) {
    ctx.problem({ path: `${path}.pattern`, message: `relation ${r.name}: ${(err as Error).message}` });
    return;
  }
  const mapping = redisKeyMapping(r, placeholders);
  if (typeof mapping === 'string') {
    ctx.problem({ path: `${path}.${r.parent.columns ? 'parent.columns' : 'pattern'}`, message: `relation ${r.name}: ${mapping}` });
    return;
  }
  const columns = mapping.map(([, c]) => c);
  const found = await lookupColumns(ctx.stores.postgres, r.parent, columns, ctx.signal);
  const problem = columnsProblem(r.parent, found, columns);
  if (problem) ctx.problem({ path: `${path}.parent`, message: `relation ${r.name}: ${problem}` });
  const bad =
    found.exists && r.parent.where ? await whereProblem(ctx.stores.postgres, r.parent, r.parent.where, undefined, ctx.signal) : undefined;
  if (bad) ctx.problem({ path: `${path}.parent.where`, message: `relation ${r.name}: ${bad}` });
  for (const [placeholder, name] of mapping) {
    const c = found.columns.get(name);
    if (c)
      checkTypes(
        ctx,
        `${path}.parent`,
        r.name,
        { label: `placeholder {${placeholder}}`, key: REDIS_PLACEHOLDER_TYPE },
        pgSide(r.parent, c),
      );
  }
}

/**
 * Placeholder -> parent column pairs of a Redis relation, or why there are none: `columns` maps them
 * explicitly; `column` is matched by the pattern's last placeholder.
 */
export function redisKeyMapping(r: RedisRelation, placeholders: string[]): Array<[string, string]> | string {
  const mapping: Array<[string, string]> = r.parent.columns
    ? Object.entries(r.parent.columns)
    : placeholders.length
      ? [[placeholders[placeholders.length - 1], r.parent.column!]]
      : [];
  if (mapping.length === 0) return 'the pattern has no {placeholder} for the parent key';
  const unknown = mapping.filter(([p]) => !placeholders.includes(p)).map(([p]) => `{${p}}`);
  if (unknown.length)
    return `the pattern has no placeholder ${unknown.join(', ')} (it has ${placeholders.map((p) => `{${p}}`).join(', ') || 'none'})`;
  return mapping;
}
