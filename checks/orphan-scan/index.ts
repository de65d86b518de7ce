/**
 * orphan-scan: children whose parent row is gone, for relations no store enforces:
 * - Milvus entities whose parent-key field names no live Postgres row (streamed merge, milvus.ts);
 * - Redis keys whose pattern placeholder names no live Postgres row (batched lookups, redis.ts);
 * - Postgres child rows without their parent where no validated foreign key exists (anti-join,
 *   postgres.ts), and, on request, `*_id` columns that no foreign key covers.
 */
import { defineCheck, type FindingCode, type FindingInput } from '../../src/plugin.js';
import { isFirstShard } from '../lib/shard.js';
import { scanMilvusRelation } from './milvus.js';
import { optionsSchema, type Options } from './options.js';
import { preflightRelations } from './preflight.js';
import { scanPostgresRelation, suggestRelations } from './postgres.js';
import { scanRedisRelation } from './redis.js';
import { type OrphanScanContext, relationFailure, relationsFailed, STATS } from './stats.js';

const check = defineCheck({
  meta: {
    id: 'orphan-scan',
    title: 'Orphaned children (Milvus entities, Redis keys, Postgres rows)',
    description: 'Finds vectors, cache keys and rows whose parent row in Postgres no longer exists.',
    requires: ['postgres'],
    uses: ['milvus', 'redis'],
    // --shard: every relation keeps the children whose parent key (or Redis key) hashes to this shard.
    shardable: true,
    options: optionsSchema,
    stats: STATS,
    codes: {
      'orphan-milvus-entity': {
        severity: 'error',
        message: (d) => `${d.entities} entities in ${d.collection} have ${d.field} = ${d.parentKey}, which is not in ${d.parent}`,
        description: 'Milvus entities whose parent-key field names no (live) Postgres row.',
      },
      'orphan-redis-key': {
        severity: 'warn',
        message: (d) =>
          d.reason === 'invalid-key'
            ? `Redis key ${d.key} cannot name a row of ${d.parent}`
            : `Redis key ${d.key} names ${d.parent} row ${JSON.stringify(d.parentKey)}, which is gone`,
        description: 'A Redis key (by pattern) whose parent row is gone, or whose placeholder cannot be a parent key.',
      },
      'orphan-row': {
        severity: 'error',
        message: (d) =>
          `${d.rows} rows of ${d.child} have ${d.column} = ${d.value}, which is not in ${d.parent}` +
          (Array.isArray(d.childIds) && d.childIds.length
            ? ` (${d.childIdColumns}: ${d.childIds.join(', ')}${d.rows > d.childIds.length ? ', ...' : ''})`
            : ''),
        description: 'Postgres child rows whose parent row is gone (no validated foreign key enforces the relation).',
      },
      'unconstrained-relation': {
        severity: 'info',
        message: (d) =>
          `${d.schema}.${d.table}.${d.column} looks like a reference${d.candidateParent ? ` to ${d.candidateParent}` : ''} but no validated foreign key covers it`,
        description: 'suggestRelations: a *_id column with no (or a NOT VALID) foreign key; declare it under postgres to scan it.',
      },
    },
  },
  preflight: preflightRelations,
  async run(ctx) {
    // Relations are independent: one that fails (a store error, a lost connection) is recorded in its
    // stats and the next one still runs; the check ends as an error naming every failed relation.
    const shared = relationsSharingAChild(ctx.options);
    const on = (name: string) => (shared.has(name) ? namingRelation(ctx, name) : ctx);
    const relations: Array<[string, () => Promise<void>]> = [
      ...ctx.options.postgres.map((r): [string, () => Promise<void>] => [r.name, () => scanPostgresRelation(on(r.name), r)]),
      ...ctx.options.milvus.map((r): [string, () => Promise<void>] => [r.name, () => scanMilvusRelation(on(r.name), r)]),
      ...ctx.options.redis.map((r): [string, () => Promise<void>] => [r.name, () => scanRedisRelation(on(r.name), r)]),
    ];
    for (const [i, [name, scan]] of relations.entries()) {
      ctx.progress({ done: 0, note: `relation ${i + 1} of ${relations.length}: ${name}` });
      await runRelation(ctx, name, scan);
    }
    if (ctx.options.suggestRelations && isFirstShard(ctx.shard)) await suggestRelations(ctx);
    const failed = relationsFailed(ctx);
    if (failed) throw failed;
    const partial = ctx.options.redis.some((r) => r.maxKeys !== undefined);
    return partial ? { partial } : undefined;
  },
});

export default check;

/** Names of relations whose children (column, field or key pattern) another relation checks too. */
function relationsSharingAChild(o: Options): Set<string> {
  const byChild = new Map<string, string[]>();
  const add = (child: string, name: string) => byChild.set(child, [...(byChild.get(child) ?? []), name]);
  for (const r of o.postgres) add(`postgres:${r.child.schema ?? 'public'}.${r.child.table}.${r.child.column}`, r.name);
  for (const r of o.milvus) add(`milvus:${r.collection}.${r.field}`, r.name);
  for (const r of o.redis) add(`redis:${r.pattern}`, r.name);
  return new Set([...byChild.values()].filter((names) => names.length > 1).flat());
}

/**
 * The context a relation sharing its children with another one scans with: each finding's line
 * starts with the relation's name, so two lines about one column say which relation they are from.
 */
function namingRelation(ctx: OrphanScanContext, name: string): OrphanScanContext {
  const codes: Record<string, FindingCode> = check.meta.codes;
  const report = (f: FindingInput) => ctx.report({ ...f, message: `${name}: ${f.message ?? codes[f.code].message(f.data ?? {})}` });
  return Object.create(ctx, { report: { value: report } });
}

async function runRelation(ctx: OrphanScanContext, name: string, scan: () => Promise<void>): Promise<void> {
  try {
    await scan();
  } catch (err) {
    if (ctx.signal.aborted) throw err; // timeout or Ctrl-C: the whole check stops
    relationFailure(ctx, name, err);
  }
}
