/**
 * The Milvus phases of pool-stress: burst and sustained vector search (nq query vectors, topk hits,
 * an optional filter) and burst and sustained query load, on one configured collection.
 *
 * Query vectors are taken from the collection itself (`sampleVectors` rows read once, up front), so
 * searches look like the app's: real points of the data, not random noise that an index treats
 * differently. The default query is a primary-key lookup of one of those sampled rows, a different
 * one each time, as an app fetches a row after a search. Every call is read-only and bounded by the
 * store's call timeout; every loop by its operation count and duration.
 */
import { configError, type MilvusCollectionInfo, type MilvusReader, type PreflightContext } from '../../src/plugin.js';
import type { PoolStressContext, StorePhaseStats } from './stats.js';
import { phaseStats, runLoad, type LoadOperation } from './load-runner.js';
import type { MilvusLoadOptions, PoolStressOptions } from './options.js';
import { reportBreaches, type PhaseRow } from './postgres-phases.js';

/** The FloatVector field to search: the configured one, or the collection's only one. */
export function vectorFieldOf(
  info: MilvusCollectionInfo,
  configured: string | undefined,
): { name: string; problem?: undefined } | { name?: undefined; problem: string } {
  const vectors = info.fields.filter((f) => f.dataType === 'FloatVector');
  if (configured !== undefined) {
    const f = info.fields.find((x) => x.name === configured);
    if (!f)
      return {
        problem: `collection "${info.name}" has no field "${configured}" (vector fields: ${vectors.map((v) => v.name).join(', ') || 'none'})`,
      };
    if (f.dataType !== 'FloatVector')
      return { problem: `field "${configured}" of collection "${info.name}" is ${f.dataType}, not FloatVector` };
    return { name: configured };
  }
  if (vectors.length === 1) return { name: vectors[0].name };
  return {
    problem:
      vectors.length === 0
        ? `collection "${info.name}" has no FloatVector field to search`
        : `collection "${info.name}" has several FloatVector fields (${vectors.map((v) => v.name).join(', ')}): set milvus.vectorField`,
  };
}

/** Resolves the collection and its fields against the server, reading no entity (preflight). */
export async function preflightMilvus(ctx: PreflightContext<PoolStressOptions>): Promise<void> {
  const o = ctx.options.milvus;
  const reader = ctx.stores.milvus;
  if (!o.enabled || !o.collection || !reader) return;
  let info: MilvusCollectionInfo;
  try {
    info = await reader.describeCollection(o.collection);
  } catch (err) {
    if ((err as { code?: string })?.code !== 'STORE_MISSING_OBJECT') throw err;
    ctx.problem({ path: 'milvus.collection', message: `Milvus has no collection "${o.collection}"` });
    return;
  }
  const vector = vectorFieldOf(info, o.vectorField);
  if (vector.problem) ctx.problem({ path: 'milvus.vectorField', message: vector.problem });
  for (const name of o.query.outputFields) {
    if (!info.fields.some((f) => f.name === name))
      ctx.problem({ path: 'milvus.query.outputFields', message: `collection "${info.name}" has no field "${name}"` });
  }
}

export async function runMilvusPhases(ctx: PoolStressContext, reader: MilvusReader, o: MilvusLoadOptions): Promise<PhaseRow[]> {
  const collection = o.collection!;
  const stats: StorePhaseStats = { collection };
  ctx.stats.milvus = stats;
  const info = await reader.describeCollection(collection);
  const resolved = vectorFieldOf(info, o.vectorField);
  if (resolved.problem !== undefined) throw configError(resolved.problem);
  const vectorField = resolved.name;
  const pk = info.primaryKey;
  stats.vectorField = vectorField;

  // Query vectors and lookup keys, from the collection itself.
  const sample = await reader.query(collection, { limit: o.sampleVectors, outputFields: [pk.name, vectorField], signal: ctx.signal });
  const vectors = sample.map((r) => r[vectorField] as number[]).filter((v) => Array.isArray(v) && v.length > 0);
  const keys = sample.map((r) => String(r[pk.name]));
  stats.sampledRows = sample.length;
  if (vectors.length === 0) throw new Error(`collection "${collection}" returned no rows with a vector to search with`);

  let searchHits = 0;
  let searches = 0;
  const searchOp = (): LoadOperation => {
    let n = 0;
    return async () => {
      // Rotate through the sample: consecutive requests ask different points.
      const start = (n++ * o.search.nq) % vectors.length;
      const batch = Array.from({ length: o.search.nq }, (_, i) => vectors[(start + i) % vectors.length]);
      const hits = await reader.search(collection, {
        vectorField,
        vectors: batch,
        topk: o.search.topk,
        filter: o.search.filter,
        metricType: o.search.metricType,
        signal: ctx.signal,
      });
      searches += hits.length;
      for (const h of hits) searchHits += h;
    };
  };
  const queryOp = (): LoadOperation => {
    let n = 0;
    return async () => {
      const filter = o.query.filter ?? `${pk.name} == ${reader.literal(keys[n++ % keys.length], pk.type)}`;
      await reader.query(collection, { filter, limit: o.query.limit, outputFields: o.query.outputFields, signal: ctx.signal });
    };
  };

  const rows: PhaseRow[] = [];
  const phases = [
    ['search', o.search, searchOp],
    ['query', o.query, queryOp],
  ] as const;
  for (const [kind, p, makeOp] of phases) {
    if (!p.enabled) continue;
    const kindStats: Record<string, unknown> = {};
    stats[kind] = kindStats;
    if (p.burst.enabled && !ctx.signal.aborted) {
      ctx.progress({ done: 0, note: `milvus ${kind} burst: ${p.burst.concurrency} at once on "${collection}"` });
      // Every request of a burst starts at once; each is bounded by the store's call timeout.
      const m = await runLoad(
        { workers: p.burst.concurrency, maxOps: p.burst.concurrency, durationMs: 60_000, signal: ctx.signal },
        makeOp(),
      );
      const s = phaseStats(m);
      kindStats.burst = s;
      rows.push({ phase: `${kind} burst`, stats: s, verdict: reportBreaches(ctx, 'milvus', `${kind} burst`, s, p.burst.thresholds) });
    }
    if (p.sustained.enabled && !ctx.signal.aborted) {
      const { workers, duration, maxOps } = p.sustained;
      ctx.progress({ done: 0, note: `milvus ${kind} sustained: ${workers} workers for ${duration / 1000}s (at most ${maxOps} requests)` });
      const m = await runLoad({ workers, maxOps, durationMs: duration, signal: ctx.signal }, makeOp());
      const s = phaseStats(m);
      kindStats.sustained = { ...s, configuredDurationMs: duration, configuredMaxOps: maxOps };
      rows.push({
        phase: `${kind} sustained`,
        stats: s,
        verdict: reportBreaches(ctx, 'milvus', `${kind} sustained`, s, p.sustained.thresholds),
      });
    }
  }
  // Shown, not judged: a filter may rightly match fewer rows than topk.
  if (searches > 0) stats.searchHitsPerQuery = Math.round((searchHits / searches) * 100) / 100;
  return rows;
}
