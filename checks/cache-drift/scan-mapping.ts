/**
 * Runs one mapping: SCAN pages of keys, and for each page one Redis pipeline (the values, plus PTTL
 * of every key when the TTL policy needs it) and one Postgres query (the rows of those keys), then
 * the verdicts. `concurrency` pages are in flight at once; nothing is kept across pages, so memory
 * stays flat whatever the keyspace size.
 */
import { CheckError, type CheckContext, type RedisReadCommand } from '../../src/plugin.js';
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

/** What Redis holds for a key: the read reply, or the other type it holds; PTTL when needed. */
interface RawEntry {
  reply?: unknown;
  wrongType?: string;
  pttl: number | null;
}

/**
 * One pipeline per page: MGET (or one read per key) plus PTTL per key when the TTL policy needs it.
 * Returns null for keys that vanished since SCAN. Keys MGET returns nil for get a TYPE follow-up
 * (rare): gone, or holding another type (undecodable).
 */
async function readPage(ctx: CheckContext<CacheDriftOptions>, plan: MappingPlan, keys: ParsedKey[]): Promise<Array<RawEntry | null>> {
  const redis = ctx.stores.redis!;
  const { codec } = plan;
  const commands: Array<[RedisReadCommand, ...Buffer[]]> = [];
  if (codec.multiReadCommand) commands.push([codec.multiReadCommand, ...keys.map((k) => k.raw)]);
  else for (const k of keys) commands.push([codec.readCommand, k.raw]);
  if (plan.readTtl) for (const k of keys) commands.push(['pttl', k.raw]);
  const replies = await redis.pipeline(commands, { signal: ctx.signal });

  let values: Array<[Error | null, unknown]>;
  if (codec.multiReadCommand) {
    const [err, list] = replies[0];
    if (err) throw redisFailure(err);
    values = (list as unknown[]).map((v) => [null, v]);
  } else values = replies.slice(0, keys.length);
  const ttlBase = codec.multiReadCommand ? 1 : keys.length;

  const out: Array<RawEntry | null> = [];
  const pttls: Array<number | null> = [];
  const typeUnknown: number[] = []; // keys to ask TYPE about: gone, or of another type
  for (let i = 0; i < keys.length; i++) {
    const [readError, reply] = values[i];
    let pttl: number | null = null;
    if (plan.readTtl) {
      const [ttlError, t] = replies[ttlBase + i];
      if (ttlError) throw redisFailure(ttlError);
      pttl = t as number;
    }
    pttls.push(pttl);
    out.push(null);
    if (pttl === -2) continue; // gone
    if (readError) {
      if (!/WRONGTYPE/i.test(readError.message)) throw redisFailure(readError);
      typeUnknown.push(i);
    } else if (codec.isMissing(reply)) {
      // MGET answers nil for a key of another type too; a single read's nil means gone.
      if (codec.multiReadCommand) typeUnknown.push(i);
    } else out[i] = { reply, pttl };
  }
  if (typeUnknown.length) {
    const types = await redis.pipeline(typeUnknown.map((i) => ['type', keys[i].raw] as [RedisReadCommand, Buffer]), { signal: ctx.signal });
    typeUnknown.forEach((i, j) => {
      const [err, type] = types[j];
      if (err) throw redisFailure(err);
      if (String(type) !== 'none') out[i] = { wrongType: String(type), pttl: pttls[i] };
    });
  }
  return out;
}

async function checkPage(ctx: CheckContext<CacheDriftOptions>, plan: MappingPlan, keys: ParsedKey[], counters: Counters): Promise<void> {
  const raw = await readPage(ctx, plan, keys);
  const encoding = plan.codec.redisType === 'hash' ? 'hash' : 'json';
  const live: LiveEntry[] = [];
  let vanished = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const r = raw[i];
    if (!r) {
      vanished++; // expired or deleted between SCAN and the read
      continue;
    }
    if (r.pttl !== null) {
      const ttlIssue = judgeTtl(plan, k.key, r.pttl);
      if (ttlIssue) report(ctx, plan, counters, ttlIssue.code, k.key, ttlIssue.data);
    }
    if (r.wrongType) {
      report(ctx, plan, counters, 'undecodable', k.key, { key: k.key, encoding, reason: `the key is a Redis ${r.wrongType}, not a ${plan.codec.redisType}` });
      continue;
    }
    const decoded = plan.codec.decode(r.reply);
    if (!decoded.ok) {
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
    const row = e.canon ? rows.get(e.canon.length === 1 ? e.canon[0] : e.canon.join('\u0000')) : undefined;
    const verdict = judgeEntry(plan, e.key, e.entry, row, now);
    if (verdict.kind === 'issue') report(ctx, plan, counters, verdict.issue.code, e.key, verdict.issue.data);
    else if (verdict.kind === 'pending') pending++;
    else if (verdict.kind === 'lawfully-stale') lawfullyStale++;
  }
  counters.add('entriesCompared', live.length);
  counters.add('pendingWrites', pending);
  counters.add('staleWithinTtl', lawfullyStale);
}

/** The rows of a page's keys, by canonical key text (key columns joined by NUL). */
async function fetchRows(ctx: CheckContext<CacheDriftOptions>, plan: MappingPlan, entries: LiveEntry[]) {
  const params: string[][] = plan.keyColumns.map(() => []);
  for (const e of entries) {
    if (!e.canon) continue;
    for (let i = 0; i < e.canon.length; i++) params[i].push(e.canon[i]);
  }
  const rows = new Map<string, Record<string, unknown>>();
  if (params[0].length === 0) return rows;
  const result = await ctx.stores.postgres!.query(plan.sql, params, { signal: ctx.signal });
  const aliases = plan.keyColumns.map((_, i) => keyAlias(i));
  for (const r of result.rows) {
    let key = '';
    for (let i = 0; i < aliases.length; i++) key += (i ? '\u0000' : '') + (plan.keyColumns[i].canon(String(r[aliases[i]])) ?? '');
    rows.set(key, r);
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
