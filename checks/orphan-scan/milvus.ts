/**
 * Milvus entities whose parent row is gone: the entities' parent-key field, streamed in key order
 * by the pager, merged with the parent table's keys streamed by COPY. Memory O(batch).
 */
import { CheckError, type CheckContext } from '../../src/plugin.js';
import { mergeSortedKeys, readAhead } from '../lib/id-merge.js';
import { andFilter, milvusFieldKeyType, milvusKeyBatches } from '../lib/id-milvus.js';
import { keyCompare } from '../lib/id-order.js';
import { andSql, describeColumns, keyExpression, postgresKeyBatches, tableLabel } from '../lib/id-postgres.js';
import type { MilvusRelation, Options } from './options.js';
import { relationStats } from './stats.js';

export async function scanMilvusRelation(ctx: CheckContext<Options>, r: MilvusRelation): Promise<void> {
  const pg = ctx.stores.postgres!;
  const milvus = ctx.stores.milvus;
  const parentLabel = tableLabel(r.parent);
  const name = r.name ?? `${r.collection}.${r.field} -> ${parentLabel}.${r.parent.column}`;
  if (!milvus) throw new CheckError('STORE_UNAVAILABLE', `relation ${name} needs Milvus, which is not configured or not reachable`);
  const stats = relationStats(ctx, name, 'milvus');

  const info = await milvus.describeCollection(r.collection);
  const keyType = milvusFieldKeyType(info, r.field);
  const columns = await describeColumns(pg, r.parent, [r.parent.column], ctx.signal);
  const key = keyExpression(pg, columns.get(r.parent.column)!, keyType, `relation ${name}`);
  const sql = `SELECT ${key.select} FROM ${pg.quoteTable(r.parent.table, r.parent.schema)} WHERE ${andSql(`${pg.quoteIdent(r.parent.column)} IS NOT NULL`, r.parent.where)} ORDER BY ${key.order}`;

  await pg.withSnapshot(
    async (session) => {
      await session.query(`SET LOCAL statement_timeout = ${Math.round(ctx.options.scanStatementTimeout)}`, [], { signal: ctx.signal });
      // No read-ahead on the Postgres side: the COPY socket buffers already, and pulling ahead there
      // measured 3x slower. The Milvus side reads ahead so its next page overlaps the merge.
      const parents = postgresKeyBatches(session, sql, 1, ctx.signal);
      const children = readAhead(
        milvusKeyBatches(milvus, r.collection, { keyField: r.field, filter: andFilter(r.filter), partitions: r.partitions, signal: ctx.signal, pageSize: ctx.options.milvusPageSize }),
        2,
      );
      await mergeSortedKeys(
        parents,
        children,
        (g) => {
          stats.compared(g.key);
          stats.add('parentKeys', g.left.count ? 1 : 0);
          stats.add('entities', g.right.count);
          if (g.right.count === 0 || g.left.count > 0) return;
          stats.add('orphanParentKeys', 1);
          stats.add('orphanEntities', g.right.count);
          ctx.report({
            code: 'orphan-milvus-entity',
            subject: { store: 'milvus', object: `${r.collection}.${r.field}`, key: g.key },
            data: { relation: name, collection: r.collection, field: r.field, parentKey: g.key, entities: g.right.count, parent: `${parentLabel}.${r.parent.column}` },
          });
        },
        { compare: keyCompare(keyType), signal: ctx.signal, leftName: `Postgres ${parentLabel}`, rightName: `Milvus ${r.collection}` },
      );
    },
    { signal: ctx.signal },
  );
}
