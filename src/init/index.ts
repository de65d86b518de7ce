/**
 * `dbcheck init`: connects to the configured stores read-only, samples them (bounded), and returns
 * a commented config proposal. A store that cannot be read is named in the proposal and in
 * `unread`; the others are still used.
 */
import type { ResolvedConfig } from '../config/load.js';
import { StoreManager } from '../engine/stores.js';
import { redact } from '../redact.js';
import { STORE_KINDS } from '../stores/types.js';
import {
  keyColumns,
  LIMITS,
  lookUpValues,
  sampleCollections,
  sampleRedisKeys,
  type KeyColumn,
  type SampledCollection,
  type Scope,
} from './discover.js';
import { proposeMilvus, proposeRedis, redisPatterns, type RedisPattern } from './match.js';
import { renderProposal, type Proposal } from './render.js';
import { errorLine } from '../errors.js';

export interface InitResult {
  text: string;
  /** One line per store that was configured but could not be read (the caller exits 3). */
  unread: Array<{ kind: string; reason: string }>;
}

export async function runInit(config: ResolvedConfig, opts: { signal: AbortSignal; version: string; scope?: Scope }): Promise<InitResult> {
  const scope = opts.scope ?? {};
  const stores = new StoreManager(config.stores, opts.signal);
  const unread: Proposal['unread'] = [];
  const failed = (kind: string, err: unknown) => unread.push({ kind, reason: redact(errorLine(err), stores.secrets) });
  try {
    const [pg, milvus, redis] = await Promise.all([stores.get('postgres'), stores.get('milvus'), stores.get('redis')]);
    for (const kind of STORE_KINDS) {
      const st = stores.status[kind];
      if (st.configured && !st.connected) unread.push({ kind, reason: st.error?.message ?? 'not reachable' });
    }

    let columns: KeyColumn[] = [];
    if (pg)
      await keyColumns(pg.reader, scope, opts.signal).then(
        (c) => (columns = c),
        (err) => failed('postgres', err),
      );

    let collections: SampledCollection[] = [];
    let collectionsTotal = 0;
    if (milvus) {
      await sampleCollections(milvus.reader, scope, opts.signal).then(
        (r) => ({ collections, total: collectionsTotal } = r),
        (err) => failed('milvus', err),
      );
    }

    let patterns: RedisPattern[] = [];
    let redisKeysSampled: Proposal['redisKeysSampled'];
    if (redis) {
      await sampleRedisKeys(redis.reader, scope, opts.signal).then(
        ({ keys, complete }) => {
          patterns = redisPatterns(keys, LIMITS.valuesPerPattern);
          redisKeysSampled = { keys: keys.length, complete, patterns: patterns.length, matching: scope.redisMatch !== undefined };
        },
        (err) => failed('redis', err),
      );
    }

    // One lookup per key column with every sampled value, then matching in memory.
    const values = [...collections.flatMap((c) => c.fields.flatMap((f) => f.values)), ...patterns.flatMap((p) => p.values)];
    let lookups: Awaited<ReturnType<typeof lookUpValues>> = [];
    if (pg && columns.length && values.length) {
      await lookUpValues(pg.reader, columns, values, opts.signal).then(
        (l) => (lookups = l),
        (err) => failed('postgres', err),
      );
    }

    const proposal: Proposal = {
      stores: config.stores,
      unread,
      keyColumns: columns,
      collections,
      collectionsTotal,
      milvus: proposeMilvus(collections, lookups),
      redis: proposeRedis(patterns, lookups),
      redisKeysSampled,
    };
    return { text: renderProposal(proposal, opts.version), unread };
  } finally {
    await stores.closeAll();
  }
}
