/**
 * Source documents against a timestamp or hash field on their Milvus entities (many entities per
 * document). The collection is read once in PRIMARY-KEY order — the one order every Milvus server
 * pages cheaply — as (pk, document key, indexed-at or hash) triples; the distinct document keys of
 * each page are looked up in the source table in one batched, indexed query, inside one snapshot.
 *
 * A document is stale when ANY of its entities is: its OLDEST entity was indexed before the source's
 * last change (or carries another hash). A partly re-indexed document still serves old chunks, so
 * the newest entity cannot speak for it. Entities whose document is not in the source are orphans.
 *
 * Memory: the pages in flight, plus one entry per stale or orphaned document (fresh ones are not
 * remembered). Documents with no entity at all are not found here (that needs the document keys in
 * Milvus order, which the server does not keep): use the record manager or docstore entry for that.
 */
import { configError, resolveMilvusPath, type SqlRunner } from '../../src/plugin.js';
import { readAhead } from '../lib/id-merge.js';
import { andFilter, fieldText, milvusKeyBatches } from '../lib/id-milvus.js';
import { compareIntegersThenText } from '../lib/id-order.js';
import { andSql, describeColumns, tableLabel } from '../lib/id-postgres.js';
import { keyTextFor, postgresKeyType } from '../lib/key-types.js';
import { shardFilter } from '../lib/shard.js';
import { epochSeconds, isoTime, judgeHashes, judgeTimes } from './judge.js';
import type { DocumentSet } from './options.js';
import { epochSql } from './postgres.js';
import { entryStats, type IndexFreshnessContext } from './stats.js';

const READ_AHEAD_PAGES = 2;

interface SourceRow {
  at: number | null;
  hash: string | null;
}

interface StaleDocument {
  entities: number;
  oldestIndexedAt: number | null;
  indexedHash: string | null;
  source: SourceRow;
}

export async function scanMilvusIndex(ctx: IndexFreshnessContext, d: DocumentSet): Promise<void> {
  const pg = ctx.stores.postgres;
  const milvus = ctx.stores.milvus;
  const m = d.milvus!;
  if (!milvus) throw configError(`documents ${d.name} need Milvus, which is not configured (stores.milvus)`);
  const stats = entryStats(ctx, d.name, 'milvus');
  const info = await milvus.describeCollection(m.collection);
  const docPath = resolveMilvusPath(info, m.field);
  if ('problem' in docPath) throw configError(`documents ${d.name}: ${docPath.problem}`);
  const valuePath = resolveMilvusPath(info, (m.indexedAt ?? m.hash)!);
  if ('problem' in valuePath) throw configError(`documents ${d.name}: ${valuePath.problem}`);
  const byHash = m.hash !== undefined;
  stats.set('compares', byHash ? 'hash' : 'updatedAt');

  const s = d.source;
  const columns = await describeColumns(pg, s, [s.key, ...(s.updatedAt ? [s.updatedAt] : []), ...(s.hash ? [s.hash] : [])], ctx.signal);
  const keyType = postgresKeyType(columns.get(s.key)!.type);
  const arrayType = keyType.kind === 'integer' ? keyType.type : keyType.kind === 'uuid' ? 'uuid' : 'text';
  const at = s.updatedAt ? epochSql(pg.quoteIdent(s.updatedAt), columns.get(s.updatedAt)!.type) : 'NULL::float8';
  const hash = s.hash ? `${pg.quoteIdent(s.hash)}::text` : 'NULL::text';
  const key = pg.quoteIdent(s.key);
  const lookupSql = `SELECT ${key}::text AS k, ${at} AS at, ${hash} AS h FROM ${pg.quoteTable(s.table, s.schema)}
                      WHERE ${andSql(`${key} = ANY ($1::${arrayType}[])`, s.where)}`;
  const graceS = d.grace / 1000;
  const mine = shardFilter(ctx.shard);
  const stale = new Map<string, StaleDocument>();
  const orphans = new Map<string, number>();

  await pg.withSnapshot(
    async (session: SqlRunner) => {
      await session.query(`SET LOCAL statement_timeout = ${Math.round(ctx.options.scanStatementTimeout)}`, [], { signal: ctx.signal });
      const { rows: clock } = await session.query<{ now: number }>('SELECT extract(epoch from now())::float8 AS now', [], {
        signal: ctx.signal,
      });
      const nowS = clock[0]!.now;
      const pages = readAhead(
        milvusKeyBatches(milvus, m.collection, {
          keyField: info.primaryKey.name,
          extraFields: [docPath, valuePath],
          filter: andFilter(m.filter),
          partitions: m.partitions,
          signal: ctx.signal,
          pageSize: ctx.options.milvusPageSize,
        }),
        READ_AHEAD_PAGES,
      );
      let done = 0;
      for await (const page of pages) {
        const [docs, values] = page.extra as [Array<string | null>, Array<string | null>];
        const asKey = new Map<string, string | null>();
        for (const v of docs) if (v !== null && !asKey.has(v) && mine(v)) asKey.set(v, keyTextFor(keyType, v));
        const lookup = [...new Set([...asKey.values()].filter((k): k is string => k !== null))];
        const found = new Map<string, SourceRow>();
        if (lookup.length) {
          const { rows } = await session.query<{ k: string; at: number | null; h: string | null }>(lookupSql, [lookup], {
            signal: ctx.signal,
          });
          for (const r of rows) found.set(r.k, { at: r.at, hash: r.h });
        }
        for (let i = 0; i < page.keys.length; i++) {
          const doc = docs[i];
          if (doc === null || doc === undefined) {
            if (mine(fieldText(page.keys[i]) ?? '')) stats.add('withoutDocumentKey');
            continue;
          }
          if (!mine(doc)) continue;
          stats.add('compared');
          const k = asKey.get(doc);
          const src = k === null || k === undefined ? undefined : found.get(k);
          if (!src) {
            orphans.set(doc, (orphans.get(doc) ?? 0) + 1);
            continue;
          }
          const raw = values[i] ?? null;
          const indexedAt = byHash ? null : epochSeconds(raw, m.indexedAtUnit);
          const comparable = byHash ? src.hash !== null : src.at !== null && indexedAt !== null;
          if (!comparable) {
            stats.add('notComparable');
            continue;
          }
          const verdict = byHash ? judgeHashes(src.hash!, raw, src.at, nowS, graceS) : judgeTimes(src.at!, indexedAt!, nowS, graceS);
          if (verdict === 'within-grace') stats.add('withinGrace');
          if (verdict !== 'stale') continue;
          const e = stale.get(doc) ?? { entities: 0, oldestIndexedAt: null, indexedHash: null, source: src };
          e.entities++;
          if (indexedAt !== null && (e.oldestIndexedAt === null || indexedAt < e.oldestIndexedAt)) e.oldestIndexedAt = indexedAt;
          if (byHash) e.indexedHash ??= raw;
          stale.set(doc, e);
        }
        done += page.keys.length;
        ctx.progress({ done });
      }
    },
    { signal: ctx.signal },
  );

  // Reported once the whole collection is read, so each count is complete; in document-key order.
  const sourceLabel = tableLabel(s);
  const indexLabel = `Milvus ${m.collection}.${docPath.text}`;
  for (const doc of [...stale.keys()].sort(compareIntegersThenText)) {
    const e = stale.get(doc)!;
    stats.add('stale');
    stats.add('staleEntities', e.entities);
    ctx.report({
      code: 'stale-document',
      subject: { store: 'milvus', object: m.collection, key: doc },
      data: {
        documents: d.name,
        key: doc,
        source: sourceLabel,
        index: indexLabel,
        staleEntities: e.entities,
        ...(byHash
          ? { compared: 'hash', sourceHash: e.source.hash, indexedHash: e.indexedHash }
          : { compared: 'time', sourceUpdatedAt: isoTime(e.source.at), indexedAt: isoTime(e.oldestIndexedAt) }),
      },
    });
  }
  for (const doc of [...orphans.keys()].sort(compareIntegersThenText)) {
    stats.add('orphanRecords');
    stats.add('orphanEntities', orphans.get(doc)!);
    ctx.report({
      code: 'orphan-index-record',
      subject: { store: 'milvus', object: m.collection, key: doc },
      data: { documents: d.name, key: doc, source: sourceLabel, index: indexLabel, records: orphans.get(doc)! },
    });
  }
}
