/**
 * Runs one mapping: SCAN pages of keys, and for each page one Redis pipeline (value + PTTL of every
 * key) and one Postgres query (the rows of those keys), then the verdicts. A few pages are in flight
 * at once; nothing is kept across pages, so memory stays flat whatever the keyspace size.
 */
import { CheckError, type CheckContext } from '../../src/plugin.js';
import { judgeEntry, judgeTtl } from './judge.js';
import type { CacheEntry } from './codecs.js';
import type { MappingPlan } from './plan.js';
import type { CacheDriftOptions } from './options.js';
import type { Counters } from './stats.js';

interface ParsedKey {
  key: string;
  raw: Buffer;
  /** Canonical key column values, or null when a value cannot exist in its column. */
  canon: string[] | null;
}

interface LiveEntry extends ParsedKey {
  entry: CacheEntry;
}

export async function scanMapping(ctx: CheckContext<CacheDriftOptions>, plan: MappingPlan, counters: Counters): Promise<{ matched: number }> {
  const { scanCount, concurrency, sample } = ctx.options;
  const redis = ctx.stores.redis!;
  const signal = ctx.signal;
  let matched = 0;
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
      counters.add('keysScanned', page.length);
      const keys: ParsedKey[] = [];
      for (const raw of page) {
        if (sample !== undefined && matched >= sample) break;
        const parsed = parseKey(plan, raw);
        if (!parsed) {
          counters.add('keysIgnored', 1);
          continue;
        }
        keys.push(parsed);
        matched++;
      }
      counters.add('keysMatched', keys.length);
      if (keys.length) track(checkPage(ctx, plan, keys, counters));
      ctx.progress({ done: counters.get('keysScanned'), note: plan.name });
      if (inflight.size >= concurrency) await Promise.race(inflight);
      if (sample !== undefined && matched >= sample) break;
    }
  } catch (err) {
    failure ??= err;
  }
  await Promise.all(inflight);
  if (failure) throw failure;
  return { matched };
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

async function checkPage(ctx: CheckContext<CacheDriftOptions>, plan: MappingPlan, keys: ParsedKey[], counters: Counters): Promise<void> {
  const redis = ctx.stores.redis!;
  const commands: Array<[typeof plan.codec.readCommand | 'pttl', Buffer]> = [];
  for (const k of keys) commands.push([plan.codec.readCommand, k.raw], ['pttl', k.raw]);
  const replies = await redis.pipeline(commands, { signal: ctx.signal });

  const live: LiveEntry[] = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const [readError, value] = replies[2 * i];
    const [ttlError, pttl] = replies[2 * i + 1];
    if (ttlError) throw redisFailure(ttlError);
    if (Number(pttl) === -2 || (!readError && value === null)) {
      counters.add('keysVanished', 1); // expired or deleted between SCAN and the read
      continue;
    }
    const ttlIssue = judgeTtl(plan, k.key, Number(pttl));
    if (ttlIssue) report(ctx, plan, counters, ttlIssue.code, k.key, ttlIssue.data);
    if (readError) {
      if (!/WRONGTYPE/i.test(readError.message)) throw redisFailure(readError);
      report(ctx, plan, counters, 'undecodable', k.key, { key: k.key, encoding: plan.codec.redisType === 'hash' ? 'hash' : 'json', reason: `the key is not a Redis ${plan.codec.redisType}` });
      continue;
    }
    const decoded = plan.codec.decode(value);
    if (!decoded.ok) {
      report(ctx, plan, counters, 'undecodable', k.key, { key: k.key, encoding: plan.codec.redisType === 'hash' ? 'hash' : 'json', reason: decoded.reason });
      continue;
    }
    live.push({ ...k, entry: decoded.entry });
  }
  if (live.length === 0) return;

  const rows = await fetchRows(ctx, plan, live, counters);
  const now = Date.now();
  for (const e of live) {
    const row = e.canon ? rows.get(e.canon.join('\u0000')) : undefined;
    const verdict = judgeEntry(plan, e.key, e.entry, row, now);
    counters.add('entriesCompared', 1);
    if (verdict.kind === 'issue') report(ctx, plan, counters, verdict.issue.code, e.key, verdict.issue.data);
    else if (verdict.kind === 'pending') counters.add('pendingWrites', 1);
    else if (verdict.kind === 'lawfully-stale') counters.add('staleWithinTtl', 1);
  }
}

/** The rows of a page's keys, by canonical key text; values by column name. */
async function fetchRows(ctx: CheckContext<CacheDriftOptions>, plan: MappingPlan, entries: LiveEntry[], counters: Counters) {
  const params: string[][] = plan.keyColumns.map(() => []);
  for (const e of entries) {
    if (!e.canon) continue;
    e.canon.forEach((v, i) => params[i].push(v));
  }
  const rows = new Map<string, Record<string, unknown>>();
  if (params[0].length === 0) return rows;
  const result = await ctx.stores.postgres!.query(plan.sql, params, { signal: ctx.signal });
  counters.add('rowsFetched', result.rows.length);
  for (const r of result.rows) {
    const key = plan.keyColumns.map((k, i) => k.canon(String(r[`k${i}`])) ?? '').join('\u0000');
    const values: Record<string, unknown> = {};
    plan.fields.forEach((f, i) => (values[f.column] = r[`f${i}`]));
    rows.set(key, values);
  }
  return rows;
}

function report(ctx: CheckContext<CacheDriftOptions>, plan: MappingPlan, counters: Counters, code: string, key: string, data: Record<string, unknown>) {
  counters.finding(code);
  ctx.report({ code, subject: { store: 'redis', object: plan.name, key }, data: { mapping: plan.name, ...data } });
}

function redisFailure(err: Error): CheckError {
  const lost = /closed|reset|ECONN|EPIPE|socket|connection/i.test(err.message);
  return new CheckError(lost ? 'STORE_UNREACHABLE' : 'STORE_ERROR', `Redis failed during the scan: ${err.message}`);
}
