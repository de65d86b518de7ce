/**
 * Runs one mapping: SCAN pages of keys; for each page one Redis pipeline of sizes (STRLEN, or
 * MEMORY USAGE for hashes; plus PTTL of every key when the TTL policy needs it), then the values in
 * chunks that fit the shared byte budget (one pipeline and one Postgres query for the rows of those
 * keys each), then the verdicts. `concurrency` pages are in flight at once; nothing is kept across
 * pages, and the values held at once stay under `valueBudget` bytes, so memory stays flat whatever
 * the keyspace size and the value sizes. A value larger than the budget is reported, never read.
 */
import { CheckError, type CheckContext, type RedisReadCommand } from '../../src/plugin.js';
import { shardFilter } from '../lib/shard.js';
import { ByteBudget } from './byte-budget.js';
import { judgeEntry, judgeTtl } from './judge.js';
import type { CacheEntry } from './codecs.js';
import { keyAlias, type MappingPlan } from './plan.js';
import type { CacheDriftOptions } from './options.js';
import type { Counters } from './stats.js';

interface ParsedKey {
  key: string;
  raw: Buffer;
  /** Canonical key column values, or null when a value cannot exist in its column. */
  canon: string[] | null;
}

/** Why a key whose placeholder is no value of its column's type is an orphan-key. */
const INVALID_KEY_REASON = "invalid-key: a placeholder is no value of its column's type, so no row can have this key";

interface LiveEntry extends ParsedKey {
  entry: CacheEntry;
}

/**
 * `matched`: keys of this shard checked; `matchedInAnyShard`: keys of the pattern in the whole
 * keyspace (every shard SCANs it all and keeps its own by key hash), for the no-keys finding.
 */
export async function scanMapping(
  ctx: CheckContext<CacheDriftOptions, 'postgres' | 'redis'>,
  plan: MappingPlan,
  counters: Counters,
): Promise<{ matched: number; matchedInAnyShard: number }> {
  const { scanCount, concurrency, sample } = ctx.options;
  const budget = new ByteBudget(ctx.options.valueBudget);
  const redis = ctx.stores.redis;
  const signal = ctx.signal;
  let matched = 0;
  let matchedInAnyShard = 0;
  counters.mapping(plan.name);
  // --shard: SCAN cannot hash, so every shard lists all key names (cheap) and reads the values and
  // rows of its own keys only (by the hash of the key's bytes).
  const mine = shardFilter(ctx.shard);
  const inflight = new Set<Promise<void>>();
  let failure: unknown;

  const track = (work: Promise<void>) => {
    const tracked: Promise<void> = work
      .catch((err) => {
        failure ??= err;
      })
      .finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };

  try {
    for await (const page of redis.scan({ match: plan.pattern.glob, count: scanCount, signal })) {
      if (failure) break;
      const keys: ParsedKey[] = [];
      let scanned = 0;
      for (const raw of page) {
        if (sample !== undefined && matched >= sample) break;
        const ours = mine(raw);
        if (ours) scanned++;
        const parsed = parseKey(plan, raw);
        if (!parsed) {
          if (ours) counters.add('keysIgnored', 1);
          continue;
        }
        matchedInAnyShard++;
        if (!ours) continue;
        keys.push(parsed);
        matched++;
      }
      counters.add('keysScanned', scanned);
      counters.add('keysMatched', keys.length);
      if (keys.length) track(checkPage(ctx, plan, keys, counters, budget));
      ctx.progress({ done: counters.get('keysScanned'), note: plan.name });
      if (inflight.size >= concurrency) await Promise.race(inflight);
      if (sample !== undefined && matched >= sample) break;
    }
  } catch (err) {
    failure ??= err;
  }
  await Promise.all(inflight);
  if (failure) throw failure;
  return { matched, matchedInAnyShard };
}

function parseKey(plan: MappingPlan, raw: Buffer): ParsedKey | null {
  const key = raw.toString('utf8');
  // A key that is not valid UTF-8 cannot be any row's key.
  if (key.includes('\uFFFD') && !Buffer.from(key, 'utf8').equals(raw)) return null;
  const values = plan.pattern.parse(key);
  if (!values) return null;
  const canon: string[] = [];
  for (const k of plan.keyColumns) {
    const c = k.canon(values[k.placeholder]);
    if (c === null) return { key, raw, canon: null };
    canon.push(c);
  }
  return { key, raw, canon };
}

/** What Redis holds for a key: the read reply, or the other type it holds. */
interface RawEntry {
  reply?: unknown;
  wrongType?: string;
}

/** A key of the page with what the size pipeline said about it. */
interface SizedKey extends ParsedKey {
  /** Bytes the value takes: STRLEN (strings), MEMORY USAGE (hashes: a little above the payload). */
  bytes: number;
  /** PTTL when the TTL policy needs it, else null. */
  pttl: number | null;
}

/**
 * One pipeline per page: the size of every value, plus PTTL per key when the TTL policy needs it.
 * Keys already gone (PTTL -2) are left out. A key of another type sizes as 0 for STRLEN (WRONGTYPE):
 * its read then returns nothing and it is reported as undecodable, without loading it.
 */
async function readSizes(
  ctx: CheckContext<CacheDriftOptions, 'postgres' | 'redis'>,
  plan: MappingPlan,
  keys: ParsedKey[],
): Promise<{ sized: SizedKey[]; gone: number }> {
  const hash = plan.codec.redisType === 'hash';
  const commands: Array<[RedisReadCommand, ...Array<Buffer | string>]> = keys.map((k) =>
    hash ? ['memory', 'usage', k.raw, 'SAMPLES', '0'] : ['strlen', k.raw],
  );
  if (plan.readTtl) for (const k of keys) commands.push(['pttl', k.raw]);
  const replies = await ctx.stores.redis.pipeline(commands, { signal: ctx.signal });
  const sized: SizedKey[] = [];
  let gone = 0;
  for (let i = 0; i < keys.length; i++) {
    const [sizeError, size] = replies[i];
    if (sizeError && !/WRONGTYPE/i.test(sizeError.message)) throw redisFailure(sizeError);
    let pttl: number | null = null;
    if (plan.readTtl) {
      const [ttlError, t] = replies[keys.length + i];
      if (ttlError) throw redisFailure(ttlError);
      pttl = t as number;
      if (pttl === -2) {
        gone++;
        continue;
      }
    }
    // MEMORY USAGE answers nil for a missing key: gone (the read will say so too).
    sized.push({ ...keys[i], bytes: sizeError || size === null ? 0 : Number(size), pttl });
  }
  return { sized, gone };
}

/**
 * One pipeline per chunk: MGET (or one read per key). Returns null for keys that vanished since SCAN.
 * Keys MGET returns nil for get a TYPE follow-up (rare): gone, or holding another type (undecodable).
 */
async function readValues(
  ctx: CheckContext<CacheDriftOptions, 'postgres' | 'redis'>,
  plan: MappingPlan,
  keys: SizedKey[],
): Promise<Array<RawEntry | null>> {
  const redis = ctx.stores.redis;
  const { codec } = plan;
  const commands: Array<[RedisReadCommand, ...Buffer[]]> = [];
  if (codec.multiReadCommand) commands.push([codec.multiReadCommand, ...keys.map((k) => k.raw)]);
  else for (const k of keys) commands.push([codec.readCommand, k.raw]);
  const replies = await redis.pipeline(commands, { signal: ctx.signal });

  let values: Array<[Error | null, unknown]>;
  if (codec.multiReadCommand) {
    const [err, list] = replies[0];
    if (err) throw redisFailure(err);
    values = (list as unknown[]).map((v) => [null, v]);
  } else values = replies;

  const out: Array<RawEntry | null> = [];
  const typeUnknown: number[] = []; // keys to ask TYPE about: gone, or of another type
  for (let i = 0; i < keys.length; i++) {
    const [readError, reply] = values[i];
    out.push(null);
    if (readError) {
      if (!/WRONGTYPE/i.test(readError.message)) throw redisFailure(readError);
      typeUnknown.push(i);
    } else if (codec.isMissing(reply)) {
      // MGET answers nil for a key of another type too; a single read's nil means gone.
      if (codec.multiReadCommand) typeUnknown.push(i);
    } else out[i] = { reply };
  }
  if (typeUnknown.length) {
    const types = await redis.pipeline(
      typeUnknown.map((i) => ['type', keys[i].raw] as [RedisReadCommand, Buffer]),
      { signal: ctx.signal },
    );
    typeUnknown.forEach((i, j) => {
      const [err, type] = types[j];
      if (err) throw redisFailure(err);
      if (String(type) !== 'none') out[i] = { wrongType: String(type) };
    });
  }
  return out;
}

/**
 * Sizes the page's values, reports those over the budget (and their TTL), and judges the rest in
 * chunks of at most a fair share of the budget (a single larger value is a chunk of its own), each
 * holding its bytes of the budget from its read until its verdicts.
 */
async function checkPage(
  ctx: CheckContext<CacheDriftOptions, 'postgres' | 'redis'>,
  plan: MappingPlan,
  keys: ParsedKey[],
  counters: Counters,
  budget: ByteBudget,
): Promise<void> {
  const { sized, gone } = await readSizes(ctx, plan, keys);
  counters.add('keysVanished', gone);
  const share = Math.max(1, Math.floor(budget.limit / ctx.options.concurrency));
  let chunk: SizedKey[] = [];
  let chunkBytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const [keysOfChunk, bytes] = [chunk, chunkBytes];
    chunk = [];
    chunkBytes = 0;
    await budget.acquire(bytes, ctx.signal);
    try {
      await checkChunk(ctx, plan, keysOfChunk, counters);
    } finally {
      budget.release(bytes);
    }
  };
  for (const k of sized) {
    if (k.bytes > budget.limit) {
      judgeTtlOf(ctx, plan, counters, k);
      report(ctx, plan, counters, 'oversized-entry', k.key, {
        key: k.key,
        bytes: k.bytes,
        budget: budget.limit,
        measure: plan.codec.redisType === 'hash' ? 'MEMORY USAGE' : 'STRLEN',
      });
      counters.add('keysOversized', 1);
      continue;
    }
    if (chunk.length && chunkBytes + k.bytes > share) await flush();
    chunk.push(k);
    chunkBytes += k.bytes;
  }
  await flush();
}

function judgeTtlOf(ctx: CheckContext<CacheDriftOptions, 'postgres' | 'redis'>, plan: MappingPlan, counters: Counters, k: SizedKey) {
  if (k.pttl === null) return;
  const ttlIssue = judgeTtl(plan, k.key, k.pttl);
  if (ttlIssue) report(ctx, plan, counters, ttlIssue.code, k.key, ttlIssue.data);
}

async function checkChunk(
  ctx: CheckContext<CacheDriftOptions, 'postgres' | 'redis'>,
  plan: MappingPlan,
  keys: SizedKey[],
  counters: Counters,
): Promise<void> {
  const raw = await readValues(ctx, plan, keys);
  const encoding = plan.codec.redisType === 'hash' ? 'hash' : 'json';
  const live: LiveEntry[] = [];
  let vanished = 0;
  let undecodable = 0; // read and judged (a value that is not an entry is drift too), for the ratio
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const r = raw[i];
    raw[i] = null; // the decoded entry is all that is needed from here on
    if (!r) {
      vanished++; // expired or deleted between SCAN and the read
      continue;
    }
    judgeTtlOf(ctx, plan, counters, k);
    if (r.wrongType) {
      undecodable++;
      report(ctx, plan, counters, 'undecodable', k.key, {
        key: k.key,
        encoding,
        reason: `the key is a Redis ${r.wrongType}, not a ${plan.codec.redisType}`,
      });
      continue;
    }
    const decoded = plan.codec.decode(r.reply);
    if (!decoded.ok) {
      undecodable++;
      report(ctx, plan, counters, 'undecodable', k.key, { key: k.key, encoding, reason: decoded.reason });
      continue;
    }
    live.push({ key: k.key, raw: k.raw, canon: k.canon, entry: decoded.entry });
  }
  counters.add('keysVanished', vanished);
  if (live.length === 0) return;

  const rows = await fetchRows(ctx, plan, live);
  counters.add('rowsFetched', rows.size);
  const now = Date.now();
  let pending = 0;
  let lawfullyStale = 0;
  for (const e of live) {
    if (!e.canon) {
      // A placeholder that is no value of its column's type ("x" or "007" for a bigint): no row can
      // have this key, whatever the strategy (orphan-scan calls the same keys `invalid-key`).
      report(ctx, plan, counters, 'orphan-key', e.key, { key: e.key, table: plan.table, reason: INVALID_KEY_REASON });
      continue;
    }
    const row = rows.get(e.canon.length === 1 ? e.canon[0] : e.canon.join('\u0000'));
    const verdict = judgeEntry(plan, e.key, e.entry, row, now);
    if (verdict.kind === 'issue') report(ctx, plan, counters, verdict.issue.code, e.key, verdict.issue.data);
    else if (verdict.kind === 'pending') pending++;
    else if (verdict.kind === 'lawfully-stale') lawfullyStale++;
  }
  counters.add('entriesCompared', live.length);
  counters.mapping(plan.name).entriesCompared += live.length + undecodable;
  counters.add('pendingWrites', pending);
  counters.add('staleWithinTtl', lawfullyStale);
}

/** The rows of a page's keys, by canonical key text (key columns joined by NUL). */
async function fetchRows(ctx: CheckContext<CacheDriftOptions, 'postgres' | 'redis'>, plan: MappingPlan, entries: LiveEntry[]) {
  const params: string[][] = plan.keyColumns.map(() => []);
  for (const e of entries) {
    if (!e.canon) continue;
    for (let i = 0; i < e.canon.length; i++) params[i].push(e.canon[i]);
  }
  const rows = new Map<string, Record<string, unknown>>();
  if (params[0].length === 0) return rows;
  const result = await ctx.stores.postgres.query(plan.sql, params, { signal: ctx.signal });
  const aliases = plan.keyColumns.map((_, i) => keyAlias(i));
  for (const r of result.rows) {
    let key = '';
    for (let i = 0; i < aliases.length; i++) key += (i ? '\u0000' : '') + (plan.keyColumns[i].canon(String(r[aliases[i]])) ?? '');
    rows.set(key, r);
  }
  return rows;
}

function report(
  ctx: CheckContext<CacheDriftOptions, 'postgres' | 'redis'>,
  plan: MappingPlan,
  counters: Counters,
  code: string,
  key: string,
  data: Record<string, unknown>,
) {
  counters.entryFinding(plan.name, code);
  ctx.report({ code, subject: { store: 'redis', object: plan.name, key }, data: { mapping: plan.name, ...data } });
}

function redisFailure(err: Error): CheckError {
  const lost = /closed|reset|ECONN|EPIPE|socket|connection/i.test(err.message);
  return new CheckError(lost ? 'STORE_UNREACHABLE' : 'STORE_ERROR', `Redis failed during the scan: ${err.message}`);
}
