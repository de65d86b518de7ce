/**
 * sample mode: N random Postgres rows (ORDER BY random() over the filtered table, one snapshot),
 * looked up in Milvus by key in batches sized to a time target. Proves a bound on the missing rate
 * (and the stale rate), not equality; orphans need a full scan and are only hinted at by totals.
 */
import { milvusPathText, type ResultSection } from '../../src/plugin.js';
import { sampleConfidence } from '../lib/confidence.js';
import { AdaptiveBatchSize } from '../lib/id-batch.js';
import { fieldText } from '../lib/id-milvus.js';
import { isInt64Text } from '../lib/key-types.js';
import { isStale, reportModelTags, TagTally, type ResolvedMapping } from './mapping.js';
import { MappingStats, type ReferenceIntegrityContext, reportFinding } from './report.js';

interface SampledRow {
  key: string;
  version: string | null;
  pending: boolean;
}

export async function runSample(ctx: ReferenceIntegrityContext, m: ResolvedMapping, stats: MappingStats): Promise<ResultSection> {
  const pg = ctx.stores.postgres;
  const milvus = ctx.stores.milvus;
  const signal = ctx.signal;
  const selects = [`(${m.pgKey.select})::text AS key`];
  if (m.stale) selects.push(`(${m.stale.pgSelect})::text AS version`);
  if (m.pendingSql) selects.push(`${m.pendingSql} AS pending`);
  // The sample size is a validated integer.
  const sql = `SELECT ${selects.join(', ')} FROM ${m.qualifiedTable} WHERE ${m.pgWhere} ORDER BY random() LIMIT ${m.sampleSize}`;

  const sampled = await pg.withSnapshot(
    async (session) => {
      const at = await session.query<{ at: Date | string }>('SELECT now() AS at', [], { signal });
      stats.s.postgresSnapshotAt = new Date(at.rows[0].at).toISOString();
      const { rows } = await session.query<{ key: string; version?: string | null; pending?: boolean }>(sql, [], { signal });
      return rows.map((r): SampledRow => ({ key: r.key, version: r.version ?? null, pending: r.pending === true }));
    },
    { signal },
  );

  const outputFields = [m.keyField, m.stale?.milvusField, m.model?.field].filter((f): f is string => !!f);
  const tally = new TagTally();
  const batch = new AdaptiveBatchSize({ initial: 500, min: 50, max: 5000, targetMs: 250 });
  let missing = 0;
  let stale = 0;
  let pendingRows = 0;
  stats.s.milvusReadStartedAt = new Date().toISOString();
  for (let at = 0; at < sampled.length; ) {
    signal.throwIfAborted();
    const chunk = sampled.slice(at, at + batch.size);
    at += chunk.length;
    const started = performance.now();
    // A text key that is no int64 cannot be on an Int64 field: it is missing, without a lookup.
    const lookups = chunk.map((r) => r.key).filter((key) => m.keyType !== 'int64' || isInt64Text(key));
    const entities = lookups.length ? await milvus.getByKeys(m.collection, m.keyField, lookups, outputFields, { signal }) : [];
    batch.record(chunk.length, performance.now() - started);
    // Entities of this batch by key (bounded by the batch size).
    const byKey = new Map<string, Array<Record<string, unknown>>>();
    for (const e of entities) {
      const key = fieldText(e[m.keyField])!;
      const list = byKey.get(key);
      if (list) list.push(e);
      else byKey.set(key, [e]);
      if (m.model) tally.add(fieldText(e[m.model.field]));
    }
    for (const row of chunk) {
      const found = byKey.get(row.key) ?? [];
      stats.compared(row.key, 1, found.length);
      if (row.pending) pendingRows++;
      if (found.length > 1) reportFinding(ctx, m, stats, 'duplicate-vector', row.key, { entities: found.length });
      if (found.length === 0) {
        if (row.pending) reportFinding(ctx, m, stats, 'pending', row.key, { reason: 'missing', graceMs: m.graceMs });
        else {
          missing++;
          reportFinding(ctx, m, stats, 'missing-vector', row.key, {});
        }
        continue;
      }
      if (m.stale) {
        const staleEntity = found.find((e) => isStale(m.stale!.compare, row.version, milvusPathText(e, m.stale!.milvusPath)));
        if (!staleEntity) continue;
        if (row.pending) reportFinding(ctx, m, stats, 'pending', row.key, { reason: 'stale', graceMs: m.graceMs });
        else {
          stale++;
          reportFinding(ctx, m, stats, 'stale-vector', row.key, {
            postgres: row.version,
            milvus: milvusPathText(staleEntity, m.stale.milvusPath),
            compare: m.stale.compare,
          });
        }
      }
    }
  }
  stats.s.milvusReadFinishedAt = new Date().toISOString();
  reportModelTags(ctx, m, tally, `${sampled.length} sampled entities`);

  // Pending rows are allowed to lack a vector: the bound is over the rows outside the grace window.
  const judged = sampled.length - pendingRows;
  const confidence = ctx.options.confidence;
  const statements = [sampleConfidence(missing, judged, 'missing', confidence)];
  if (m.stale) statements.push(sampleConfidence(stale, judged, 'stale', confidence));
  stats.s.sample = {
    sampled: sampled.length,
    pendingRows,
    confidence,
    missingUpperBound: statements[0].upperBound,
    ...(m.stale ? { staleUpperBound: statements[1].upperBound } : {}),
    statements: statements.map((s) => s.statement),
  };
  return {
    title: `Sample: ${m.name}`,
    columns: ['property', 'found', 'sampled', 'upper bound', 'statement'],
    rows: statements.map((s, i) => [i === 0 ? 'missing' : 'stale', s.hits, s.trials, s.upperBound, s.statement]),
  };
}
