/**
 * Milvus entities whose parent row is gone, in O(N): the collection is read once in PRIMARY-KEY
 * order, as (pk, parent-key field) pairs — the one order every Milvus server pages cheaply — and the
 * distinct parent keys of each page are looked up in Postgres in one batched, indexed query
 * (`column = ANY($1)`), inside one snapshot. Nothing is ever paged by the non-primary field: the
 * real server does not return rows in that field's order, and a pager keyed on it fell back to
 * count-confirmed range cuts (14x slower than reading the pairs, docs/milvus-paging.md).
 *
 * Values are compared exactly, as canonical text of the parent column's type (key-types.ts): int64
 * above 2^53 stays a string, VarChar is passed as a query parameter (never spliced into SQL).
 *
 * Memory: O(page size x read-ahead) for the pairs in flight, plus one entry per distinct orphan parent
 * key (its entity count and at most ORPHAN_IDS_KEPT entity ids); live parents are not remembered.
 */
import { CheckError, configError, resolveMilvusPath, type SqlRunner } from '../../src/plugin.js';
import { readAhead } from '../lib/id-merge.js';
import { notJudged } from '../lib/not-judged.js';
import { andFilter, fieldText, milvusFieldKeyType, milvusKeyBatches } from '../lib/id-milvus.js';
import { compareIntegersThenText, keyCompare } from '../lib/id-order.js';
import { andSql, describeColumns, tableLabel } from '../lib/id-postgres.js';
import { keyTextFor, postgresKeyType, type KeyTypeInfo } from '../lib/key-types.js';
import { shardFilter } from '../lib/shard.js';
import type { MilvusRelation } from './options.js';
import { type OrphanScanContext, relationStats } from './stats.js';

/** Entity ids listed per orphan parent key (issue 11.19): enough to start a cleanup, bounded. */
export const ORPHAN_IDS_KEPT = 5;
/** Milvus pages read ahead of the Postgres lookups, so the next page arrives while one is checked. */
const READ_AHEAD_PAGES = 2;

interface Orphan {
  entities: number;
  ids: string[];
}

/**
 * The SQL that returns which of the given parent keys ($1, canonical text of the column's type)
 * exist: an indexed `= ANY` on the parent column, cast so that text keys are never truncated
 * (a varchar(n) cast would cut a longer child value and make it match a parent by its prefix).
 */
export function parentLookupSql(quotedTable: string, quotedColumn: string, parentKey: KeyTypeInfo, where?: string): string {
  const arrayType = parentKey.kind === 'integer' ? parentKey.type : parentKey.kind === 'uuid' ? 'uuid' : 'text';
  return `SELECT ${quotedColumn}::text FROM ${quotedTable} WHERE ${andSql(`${quotedColumn} = ANY ($1::${arrayType}[])`, where)}`;
}

/**
 * A flat copy of a string kept for the whole scan: a value as the SDK answers it can be a
 * concatenation of pieces (int64 text) or a slice of a larger string, and would keep those alive.
 */
export function ownCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** Which of `keys` (canonical parent-key text) name a live parent row. */
async function liveParents(session: SqlRunner, sql: string, keys: string[], signal: AbortSignal): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await session.query<Record<string, string>>(sql, [keys], { signal });
  return new Set(rows.map((row) => Object.values(row)[0]!));
}

export async function scanMilvusRelation(ctx: OrphanScanContext, r: MilvusRelation): Promise<void> {
  const pg = ctx.stores.postgres;
  const milvus = ctx.stores.milvus;
  const parentLabel = tableLabel(r.parent);
  const name = r.name ?? `${r.collection}.${r.field} -> ${parentLabel}.${r.parent.column}`;
  if (!milvus) throw new CheckError('STORE_UNAVAILABLE', `relation ${name} needs Milvus, which is not configured or not reachable`);
  const stats = relationStats(ctx, name, 'milvus');

  const info = await milvus.describeCollection(r.collection);
  // A scalar field, or a key inside JSON / the dynamic field (read as text, exact for int64).
  const path = resolveMilvusPath(info, r.field);
  if ('problem' in path) throw configError(`relation ${name}: ${path.problem}`);
  // Orphans are reported in key order: the field's own, or for JSON (numbers and text mixed) integers first.
  const compare = path.keys.length ? compareIntegersThenText : keyCompare(milvusFieldKeyType(info, r.field)); // scalar: Int64 or VarChar, else a config error
  if (path.keys.length) stats.set('field', path.text); // says where a bare name was found ($meta)
  const pk = info.primaryKey.name;
  const columns = await describeColumns(pg, r.parent, [r.parent.column], ctx.signal);
  const parentKey = postgresKeyType(columns.get(r.parent.column)!.type);
  const sql = parentLookupSql(pg.quoteTable(r.parent.table, r.parent.schema), pg.quoteIdent(r.parent.column), parentKey, r.parent.where);

  // --shard: this process judges the entities whose parent key (else, without one, primary key) hashes to it.
  const mine = shardFilter(ctx.shard);
  const orphans = new Map<string, Orphan>();
  const addOrphan = (value: string, id: string) => {
    let o = orphans.get(value);
    if (!o) orphans.set(ownCopy(value), (o = { entities: 0, ids: [] }));
    o.entities++;
    // concat allocates the exact length; push() reserves 17 slots on the first id, spread more (heap snapshots, docs/performance.md).
    if (o.ids.length < ORPHAN_IDS_KEPT) o.ids = o.ids.concat(ownCopy(id));
  };

  await pg.withSnapshot(
    async (session) => {
      await session.query(`SET LOCAL statement_timeout = ${Math.round(ctx.options.scanStatementTimeout)}`, [], { signal: ctx.signal });
      const pages = readAhead(
        milvusKeyBatches(milvus, r.collection, {
          keyField: pk,
          extraFields: [path],
          filter: andFilter(r.filter),
          partitions: r.partitions,
          signal: ctx.signal,
          pageSize: ctx.options.milvusPageSize,
        }),
        READ_AHEAD_PAGES,
      );
      for await (const page of pages) {
        const values = page.extra[0]!;
        // Each distinct value of the page once, as the parent column's canonical text; a value no
        // key of that type can have (text "abc" against bigint) has no parent, without a lookup.
        const asParent = new Map<string, string | null>();
        for (const v of values) if (v !== null && !asParent.has(v) && mine(v)) asParent.set(v, keyTextFor(parentKey, v));
        const lookup = [...new Set([...asParent.values()].filter((k): k is string => k !== null))];
        const live = await liveParents(session, sql, lookup, ctx.signal);
        stats.add('parentLookups', lookup.length);
        let compared = 0;
        for (let i = 0; i < page.keys.length; i++) {
          const v = values[i];
          if (!mine(v ?? fieldText(page.keys[i]) ?? '')) continue;
          compared++;
          stats.add('entities', 1);
          if (v === null || v === undefined) {
            stats.add('withoutParentKey', 1); // no parent named: nothing to check, but counted (a silence explained)
            notJudged(ctx.stats, `entities without a parent key (${name})`);
            continue;
          }
          const parent = asParent.get(v)!;
          if (parent !== null && live.has(parent)) continue;
          addOrphan(v, page.keys[i]!);
        }
        // This shard's entities, not pages: every shard reads every page, so a page count would
        // be summed n times by `dbcheck merge`.
        if (compared) stats.compared(fieldText(page.keys[page.keys.length - 1]) ?? '', compared);
      }
    },
    { signal: ctx.signal },
  );

  // Reported once the whole collection is read, so each count is complete; in parent-key order.
  for (const value of [...orphans.keys()].sort(compare)) {
    const o = orphans.get(value)!;
    stats.add('orphanParentKeys', 1);
    stats.add('orphanEntities', o.entities);
    ctx.report({
      code: 'orphan-milvus-entity',
      subject: { store: 'milvus', object: `${r.collection}.${r.field}`, key: value },
      data: {
        relation: name,
        collection: r.collection,
        field: r.field,
        parentKey: value,
        entities: o.entities,
        parent: `${parentLabel}.${r.parent.column}`,
        primaryKey: pk,
        entityIds: o.ids,
      },
    });
  }
}
