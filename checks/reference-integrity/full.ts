/**
 * full mode: both sides streamed in key order and merged. Postgres keys come from one COPY in a
 * REPEATABLE READ snapshot, Milvus keys from the ordered pager (Strong consistency, key fields only).
 * Memory stays O(batch) however large the tables are.
 */
import { mergeSortedKeys, readAhead, type MergeGroup } from '../lib/id-merge.js';
import { fieldText, milvusKeyBatches } from '../lib/id-milvus.js';
import { postgresKeyBatches } from '../lib/id-postgres.js';
import { estimateRows } from '../lib/row-estimate.js';
import { shardFilter, shardKeySql, shardSql } from '../lib/shard.js';
import { isStale, reportModelTags, TagTally, type ResolvedMapping } from './mapping.js';
import { MappingStats, type ReferenceIntegrityContext, reportFinding } from './report.js';

/**
 * --shard (checks/lib/shard.ts): Postgres sends only this shard's rows (the hash is in the WHERE);
 * Milvus cannot hash, so its keys are all read and those of other shards skipped in the merge.
 */
export async function runFull(ctx: ReferenceIntegrityContext, m: ResolvedMapping, stats: MappingStats): Promise<void> {
  const pg = ctx.stores.postgres;
  const milvus = ctx.stores.milvus;
  const selects = [m.pgKey.select];
  const staleColumn = m.stale ? selects.push(m.stale.pgSelect) - 2 : -1;
  const pendingColumn = m.pendingSql ? selects.push(m.pendingSql) - 2 : -1;
  const mine = shardFilter(ctx.shard);
  const inShard = shardSql(ctx.shard, shardKeySql(m.pgKeyType, m.pgKeyColumn));
  const where = inShard ? `(${m.pgWhere}) AND ${inShard}` : m.pgWhere;
  const sql = `SELECT ${selects.join(', ')} FROM ${m.qualifiedTable} WHERE ${where} ORDER BY ${m.pgKey.order}`;

  const milvusExtras = [m.stale?.milvusPath, m.model?.field].filter((f): f is NonNullable<typeof f> => !!f);
  const tally = new TagTally();
  const modelField = m.model?.field;
  const onPage = modelField
    ? (rows: Array<Record<string, unknown>>) => {
        for (const r of rows) tally.add(fieldText(r[modelField]));
      }
    : undefined;

  // Progress: Postgres rows read so far (this shard's only), against the planner's estimate.
  const progress = { done: 0, total: await estimateRows(pg, sql, ctx.signal), note: `mapping ${m.name}` };
  ctx.progress(progress);
  let groups = 0;
  // What each side sent, before the shard filter: a sharded run's Postgres reads are ~1/n of the table.
  stats.s.postgresRowsRead = 0;
  stats.s.milvusEntitiesRead = 0;

  const onGroup = (g: MergeGroup) => {
    progress.done += g.left.count;
    stats.s.postgresRowsRead = (stats.s.postgresRowsRead ?? 0) + g.left.count;
    stats.s.milvusEntitiesRead = (stats.s.milvusEntitiesRead ?? 0) + g.right.count;
    if (++groups % 4096 === 0) ctx.progress({ ...progress });
    if (!mine(g.key)) return;
    const rows = g.left.count;
    const entities = g.right.count;
    stats.compared(g.key, rows, entities);
    if (entities > 1) reportFinding(ctx, m, stats, 'duplicate-vector', g.key, { entities });
    if (rows === 0) {
      reportFinding(ctx, m, stats, 'orphan-vector', g.key, { entities });
      return;
    }
    const pending = pendingColumn >= 0 && g.left.value(pendingColumn) === 't';
    if (entities === 0) {
      if (pending) reportFinding(ctx, m, stats, 'pending', g.key, { reason: 'missing', graceMs: m.graceMs });
      else reportFinding(ctx, m, stats, 'missing-vector', g.key, {});
      return;
    }
    if (m.stale) {
      const rowValue = g.left.value(staleColumn);
      for (let i = 0; i < g.right.kept; i++) {
        const vectorValue = g.right.value(0, i);
        if (!isStale(m.stale.compare, rowValue, vectorValue)) continue;
        if (pending) reportFinding(ctx, m, stats, 'pending', g.key, { reason: 'stale', graceMs: m.graceMs });
        else reportFinding(ctx, m, stats, 'stale-vector', g.key, { postgres: rowValue, milvus: vectorValue, compare: m.stale.compare });
        break;
      }
    }
  };

  await pg.withSnapshot(
    async (session) => {
      // The COPY runs as long as the merge (the Milvus side is usually slower): lift the session's
      // default statement_timeout for this transaction only. A validated number of milliseconds.
      await session.query(`SET LOCAL statement_timeout = ${Math.round(ctx.options.scanStatementTimeout)}`, [], { signal: ctx.signal });
      // --shard: the planner guesses the hash condition keeps 0.5% of rows and would sort them
      // rather than walk the key's index; at 1/n of a large table that sort is huge and nothing
      // streams until it ends. Index order it is (this transaction only).
      if (inShard) await session.query('SET LOCAL enable_sort = off', [], { signal: ctx.signal });
      const { rows } = await session.query<{ at: Date | string }>('SELECT now() AS at', [], { signal: ctx.signal });
      stats.s.postgresSnapshotAt = new Date(rows[0].at).toISOString();
      stats.s.milvusReadStartedAt = new Date().toISOString();
      // No read-ahead on the Postgres side: the COPY socket buffers already, and pulling ahead there
      // measured 3x slower. The Milvus side reads ahead so its next page overlaps the merge.
      const left = postgresKeyBatches(session, sql, selects.length, ctx.signal);
      const right = readAhead(
        milvusKeyBatches(milvus, m.collection, {
          keyField: m.keyField,
          extraFields: milvusExtras,
          filter: m.milvusFilter,
          partitions: m.partitions,
          signal: ctx.signal,
          pageSize: ctx.options.milvusPageSize,
          onPage,
        }),
        2,
      );
      await mergeSortedKeys(left, right, onGroup, {
        compare: m.compare,
        signal: ctx.signal,
        leftName: `Postgres ${m.table}`,
        rightName: `Milvus ${m.collection}`,
      });
      stats.s.milvusReadFinishedAt = new Date().toISOString();
      ctx.progress({ ...progress });
    },
    { signal: ctx.signal },
  );
  reportModelTags(ctx, m, tally, 'all entities');
}
