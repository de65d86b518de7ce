/**
 * Source documents against a bookkeeping table in Postgres — LangChain's record manager or
 * LlamaIndex's docstore — in one streaming SQL statement: the source rows FULL JOIN the index's
 * rows grouped per document, read through a server-side cursor. The server does the matching (a
 * hash or merge join, spilling to disk as it needs); the client keeps one batch of rows and the
 * counters: memory O(batch) whatever the table sizes.
 *
 * - record manager: `upsertion_record(key, namespace, group_id, updated_at float8 epoch seconds)`;
 *   a document is indexed at max(updated_at) of its group_id (LangChain `index()` refreshes every
 *   record of a group it re-indexes, so the newest record is the last indexing).
 * - docstore: `data_docstore(key, namespace, value json)`; namespace `docstore/metadata` holds
 *   `{"doc_hash": ...}` per document, and also one entry per node (with `ref_doc_id`), left out here.
 */
import type { PostgresReader } from '../../src/plugin.js';
import { andSql, describeColumns, tableLabel } from '../lib/id-postgres.js';
import { shardFilter } from '../lib/shard.js';
import { isoTime, judgeHashes, judgeTimes, judgeUnindexed } from './judge.js';
import type { DocumentSet } from './options.js';
import { entryStats, type IndexFreshnessContext } from './stats.js';

/** Rows per cursor fetch. */
const BATCH_ROWS = 5000;

interface JoinedRow {
  key: string;
  in_source: boolean;
  in_index: boolean;
  source_at: number | null;
  source_hash: string | null;
  indexed_at: number | null;
  indexed_hash: string | null;
  records: string | null;
}

/** SQL for a column as epoch seconds (float8), or undefined when its type holds no time. */
export function epochSql(ident: string, type: string): string | undefined {
  if (/^(timestamp|date)/.test(type)) return `extract(epoch from ${ident})::float8`;
  if (/^(smallint|integer|bigint|real|double precision|numeric)/.test(type)) return `${ident}::float8`;
  return undefined;
}

/** The source side: key as text, time as epoch seconds, hash as text, for the rows `where` keeps. */
export async function sourceSelect(pg: PostgresReader, d: DocumentSet, signal: AbortSignal): Promise<string> {
  const s = d.source;
  const wanted = [s.key, ...(s.updatedAt ? [s.updatedAt] : []), ...(s.hash ? [s.hash] : [])];
  const columns = await describeColumns(pg, s, wanted, signal);
  const at = s.updatedAt ? epochSql(pg.quoteIdent(s.updatedAt), columns.get(s.updatedAt)!.type) : 'NULL::float8';
  if (at === undefined) throw new Error(`unreachable: preflight checks the type of ${s.updatedAt}`);
  const hash = s.hash ? `${pg.quoteIdent(s.hash)}::text` : 'NULL::text';
  return `SELECT ${pg.quoteIdent(s.key)}::text AS k, ${at} AS at, ${hash} AS h FROM ${pg.quoteTable(s.table, s.schema)} WHERE ${andSql(s.where)}`;
}

/** The index side, one row per document: its key, when it was indexed or its hash, how many records. */
function indexSelect(pg: PostgresReader, d: DocumentSet): string {
  if (d.recordManager) {
    const t = pg.quoteTable(d.recordManager.table, d.recordManager.schema);
    return `SELECT group_id AS k, max(updated_at)::float8 AS at, NULL::text AS h, count(*) AS n
              FROM ${t} WHERE namespace = $1 AND group_id IS NOT NULL GROUP BY group_id`;
  }
  const t = pg.quoteTable(d.docstore!.table, d.docstore!.schema);
  // Node entries carry ref_doc_id (the document they came from); documents do not.
  return `SELECT key AS k, NULL::float8 AS at, (value::json)->>'doc_hash' AS h, 1 AS n
            FROM ${t} WHERE namespace = $1 AND (value::json)->>'ref_doc_id' IS NULL`;
}

export async function scanPostgresIndex(ctx: IndexFreshnessContext, d: DocumentSet): Promise<void> {
  const pg = ctx.stores.postgres;
  const kind = d.recordManager ? 'recordManager' : 'docstore';
  const index = d.recordManager ?? d.docstore!;
  const stats = entryStats(ctx, d.name, kind);
  const sourceLabel = tableLabel(d.source);
  const indexLabel = `${tableLabel(index)} (namespace ${index.namespace})`;
  const byHash = kind === 'docstore';
  stats.set('compares', byHash ? 'hash' : 'updatedAt');
  const graceS = d.grace / 1000;
  const mine = shardFilter(ctx.shard);
  const sql = `SELECT coalesce(s.k, i.k) AS key, s.k IS NOT NULL AS in_source, i.k IS NOT NULL AS in_index,
                      s.at AS source_at, s.h AS source_hash, i.at AS indexed_at, i.h AS indexed_hash, i.n::text AS records
                 FROM (${await sourceSelect(pg, d, ctx.signal)}) s
                 FULL JOIN (${indexSelect(pg, d)}) i ON i.k = s.k`;

  await pg.withSnapshot(
    async (session) => {
      await session.query(`SET LOCAL statement_timeout = ${Math.round(ctx.options.scanStatementTimeout)}`, [], { signal: ctx.signal });
      // One clock for every verdict: the server's, which is also the record manager's.
      const { rows: clock } = await session.query<{ now: number }>('SELECT extract(epoch from now())::float8 AS now', [], {
        signal: ctx.signal,
      });
      const nowS = clock[0]!.now;
      let done = 0;
      for await (const batch of session.cursor<JoinedRow>(sql, [index.namespace], { signal: ctx.signal, batchSize: BATCH_ROWS })) {
        for (const row of batch) {
          if (!mine(row.key)) continue;
          stats.add('compared');
          const base = { documents: d.name, key: row.key, source: sourceLabel, index: indexLabel };
          if (!row.in_source) {
            stats.add('orphanRecords');
            ctx.report({
              code: 'orphan-index-record',
              subject: { store: 'postgres', object: tableLabel(index), key: row.key },
              data: { ...base, records: Number(row.records), indexedAt: isoTime(row.indexed_at) },
            });
            continue;
          }
          if (!row.in_index) {
            const verdict = judgeUnindexed(row.source_at, nowS, graceS);
            stats.add(verdict === 'unindexed' ? 'unindexed' : 'withinGrace');
            if (verdict === 'unindexed')
              ctx.report({
                code: 'unindexed-document',
                subject: { store: 'postgres', object: sourceLabel, key: row.key },
                data: { ...base, sourceUpdatedAt: isoTime(row.source_at) },
              });
            continue;
          }
          const comparable = byHash ? row.source_hash !== null : row.source_at !== null && row.indexed_at !== null;
          if (!comparable) {
            stats.add('notComparable');
            continue;
          }
          const verdict = byHash
            ? judgeHashes(row.source_hash!, row.indexed_hash, row.source_at, nowS, graceS)
            : judgeTimes(row.source_at!, row.indexed_at!, nowS, graceS);
          if (verdict === 'within-grace') stats.add('withinGrace');
          if (verdict !== 'stale') continue;
          stats.add('stale');
          ctx.report({
            code: 'stale-document',
            subject: { store: 'postgres', object: sourceLabel, key: row.key },
            data: byHash
              ? { ...base, compared: 'hash', sourceHash: row.source_hash, indexedHash: row.indexed_hash }
              : {
                  ...base,
                  compared: 'time',
                  sourceUpdatedAt: isoTime(row.source_at),
                  indexedAt: isoTime(row.indexed_at),
                  records: Number(row.records),
                },
          });
        }
        done += batch.length;
        ctx.progress({ done });
      }
    },
    { signal: ctx.signal },
  );
}
