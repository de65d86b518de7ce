/**
 * cache-drift: is the Redis cache telling the truth about Postgres, judged by the caching strategy
 * the app uses (write-through, write-behind, cache-aside)? See docs/checks/cache-drift.md.
 */
import { CheckError, configError, defineCheck, type CheckContext } from '../../src/plugin.js';
import { isFirstShard } from '../lib/shard.js';
import { optionsSchema, type CacheDriftOptions } from './options.js';
import { planMappings, type MappingPlan } from './plan.js';
import { scanMapping } from './scan-mapping.js';
import { Counters, STATS } from './stats.js';
import type { FieldDiff } from './judge.js';
import { notJudged } from '../lib/not-judged.js';

type D = Record<string, any>;

const fieldList = (fields: FieldDiff[] | undefined) =>
  (fields ?? []).map((f) => `${f.column} (cache ${JSON.stringify(f.cache)}, row ${JSON.stringify(f.row)})`).join(', ');
/** 850ms, 42s, 30m, 2.5h: durations as a person would say them. */
const ms = (v: number) => {
  const one = (n: number, unit: string) => `${Number(n.toFixed(1))}${unit}`;
  if (v < 1000) return `${Math.round(v)}ms`;
  if (v < 100_000) return one(v / 1000, 's');
  if (v < 6_000_000) return one(v / 60_000, 'm');
  return one(v / 3_600_000, 'h');
};

export default defineCheck({
  meta: {
    id: 'cache-drift',
    title: 'Redis cache drift',
    description: 'Compares cached entries in Redis with their Postgres rows, by the caching strategy in use.',
    requires: ['redis', 'postgres'],
    access: 'read',
    // --shard: each process checks the keys whose hash is its own (scan-mapping.ts).
    shardable: true,
    options: optionsSchema,
    stats: STATS,
    codes: {
      'stale-entry': {
        severity: 'error',
        description: 'The cached entry is older than its row (by version or updated_at).',
        message: (d: D) => `${d.key} is older than its row in ${d.table} (${d.version}: cache ${d.cacheVersion}, row ${d.rowVersion})`,
      },
      mismatch: {
        severity: 'error',
        description: 'The cached entry differs from its row although it is not older: a race or a bug.',
        message: (d: D) => `${d.key} differs from its row in ${d.table}${d.reason ? ` (${d.reason})` : ''}: ${fieldList(d.fields)}`,
      },
      'orphan-key': {
        severity: 'warn',
        description: 'A cached entry whose row is gone (or filtered out by where).',
        message: (d: D) => `${d.key}: ${d.reason} in ${d.table}`,
      },
      'missing-ttl': {
        severity: 'error',
        description: 'An entry without expiry where the TTL policy (or cache-aside) requires one.',
        message: (d: D) => `${d.key} has no TTL${d.strategy === 'cache-aside' ? ' (cache-aside entries must expire)' : ''}`,
      },
      'ttl-out-of-range': {
        severity: 'warn',
        description: 'An entry whose remaining TTL is above ttl.max (or below ttl.min).',
        message: (d: D) =>
          `${d.key} TTL ${ms(d.ttlMs)} is ${d.bound === 'max' ? `above the max ${ms(d.maxMs)}` : `below the min ${ms(d.minMs)}`}`,
      },
      'lag-exceeded': {
        severity: 'error',
        description: 'write-behind: the cache leads its row for longer than maxLag (or by more than maxVersionLead versions).',
        message: (d: D) =>
          d.lagMs !== undefined
            ? `${d.key} leads its row in ${d.table} by ${ms(d.lagMs)} (maxLag ${ms(d.maxLagMs)})`
            : `${d.key} leads its row in ${d.table} by ${d.versionLead} versions (maxVersionLead ${d.maxVersionLead})`,
      },
      'forbidden-key': {
        severity: 'error',
        description: 'Keys in a namespace that must be empty (e.g. v1:* after moving to v2:).',
        message: (d: D) =>
          `${d.count} key(s) match forbidden ${d.match}${d.reason ? ` (${d.reason})` : ''}, e.g. ${(d.examples as string[]).join(', ')}`,
      },
      undecodable: {
        severity: 'error',
        description: "The value is not what the mapping's encoding says (invalid JSON, wrong Redis type).",
        message: (d: D) => `${d.key} is not a valid ${d.encoding} entry: ${d.reason}`,
      },
      'oversized-entry': {
        severity: 'warn',
        description: 'A cached value larger than valueBudget: not read (memory stays bounded), so not compared.',
        message: (d: D) =>
          `${d.key} was not compared: its value is ${d.measure === 'MEMORY USAGE' ? 'about ' : ''}${d.bytes} bytes, above valueBudget ${d.budget} bytes (raise valueBudget to compare it)`,
      },
      'no-keys': {
        severity: 'warn',
        description: "A mapping's key pattern matched no key at all: likely a config mistake (wrong pattern or db).",
        message: (d: D) => `no key matches ${d.pattern} (SCAN MATCH ${d.glob}) in Redis db ${d.db}: likely a config mistake`,
      },
    },
  },

  /** Describes every mapping's table (no row read): all mistakes of all mappings in one round. */
  async preflight(ctx) {
    await planMappings(ctx.stores.postgres, ctx.options.mappings, ctx.stores.redis.db, ctx.signal, (path, message) =>
      ctx.problem({ path, message }),
    );
  },

  async run(ctx) {
    const counters = new Counters(ctx.stats);
    // Planned again: preflight found no mistake, but a table may have changed since.
    const problems: string[] = [];
    const plans: MappingPlan[] | null = await planMappings(
      ctx.stores.postgres,
      ctx.options.mappings,
      ctx.stores.redis.db,
      ctx.signal,
      (path, message) => problems.push(`${path}: ${message}`),
    );
    if (!plans) throw configError(problems.join('; '));
    for (const plan of plans) {
      let matched: number;
      try {
        ({ matchedInAnyShard: matched } = await scanMapping(ctx, plan, counters));
      } catch (err) {
        throw withProgress(err, `mapping ${plan.name}`, counters);
      }
      // Whole-keyspace findings are shard 0's, so a merge of the shards reports them once.
      if (matched === 0 && isFirstShard(ctx.shard)) {
        counters.finding('no-keys');
        ctx.report({
          code: 'no-keys',
          subject: { store: 'redis', object: plan.name },
          data: { mapping: plan.name, pattern: plan.keyPattern, glob: plan.pattern.glob, db: ctx.stores.redis.db },
        });
      }
    }
    if (isFirstShard(ctx.shard)) await scanForbidden(ctx, counters);
    // Tolerated by the strategy or out of reach: the counts that explain a silence (issue 14.6).
    notJudged(ctx.stats, 'cache entries older than their row, within the allowed staleness (TTL)', counters.get('staleWithinTtl'));
    notJudged(ctx.stats, 'write-behind entries ahead of their row, within maxLag', counters.get('pendingWrites'));
    notJudged(ctx.stats, 'keys matching the glob but not the pattern', counters.get('keysIgnored'));
    notJudged(ctx.stats, 'keys gone between SCAN and the read', counters.get('keysVanished'));
    return { partial: ctx.options.sample !== undefined };
  },
});

/** One finding per forbidden namespace: the exact count and a few example keys. */
async function scanForbidden(ctx: CheckContext<CacheDriftOptions, 'postgres' | 'redis'>, counters: Counters) {
  for (const f of ctx.options.forbidden) {
    let count = 0;
    const examples: string[] = [];
    try {
      for await (const page of ctx.stores.redis.scan({ match: f.match, count: ctx.options.scanCount, signal: ctx.signal })) {
        count += page.length;
        counters.add('forbiddenKeys', page.length);
        for (const k of page) if (examples.length < ctx.options.examples) examples.push(k.toString('utf8'));
      }
    } catch (err) {
      throw withProgress(err, `forbidden ${f.match}`, counters);
    }
    if (count > 0) {
      counters.finding('forbidden-key');
      ctx.report({
        code: 'forbidden-key',
        subject: { store: 'redis', object: f.match },
        data: { match: f.match, reason: f.reason, count, examples },
      });
    }
  }
}

/** Rethrows a store failure as a CheckError that says how far the check got. */
function withProgress(err: unknown, where: string, counters: Counters): unknown {
  const e = err as { code?: unknown; message?: unknown; hint?: unknown };
  if (typeof e?.code !== 'string' || e.code === 'CANCELLED' || e.code === 'CONFIG') return err;
  const message = `${String(e.message)} (${where}, after ${counters.get('keysScanned')} keys scanned)`;
  return new CheckError(e.code, message, typeof e.hint === 'string' ? e.hint : undefined);
}
