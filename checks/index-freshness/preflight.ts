/**
 * index-freshness preflight: every table, column, collection and field an entry names, resolved
 * against the live stores without reading data; every mistake recorded, in one round.
 */
import { resolveMilvusPath, type PreflightContext } from '../../src/plugin.js';
import { columnsProblem, lookupColumns, tableLabel, whereProblem, type PgTableRef } from '../lib/id-postgres.js';
import type { DocumentSet, Options } from './options.js';
import { epochSql } from './postgres.js';

type Ctx = PreflightContext<Options, 'postgres'>;

export async function preflightDocuments(ctx: Ctx): Promise<void> {
  for (const [i, d] of ctx.options.documents.entries()) await preflightEntry(ctx, d, `documents[${i}]`);
}

async function columnsOf(ctx: Ctx, ref: PgTableRef, names: string[], path: string, entry: string) {
  const found = await lookupColumns(ctx.stores.postgres, ref, names, ctx.signal);
  const problem = columnsProblem(ref, found, names);
  if (problem) ctx.problem({ path, message: `documents ${entry}: ${problem}` });
  return found;
}

async function preflightEntry(ctx: Ctx, d: DocumentSet, path: string): Promise<void> {
  const s = d.source;
  const names = [s.key, ...(s.updatedAt ? [s.updatedAt] : []), ...(s.hash ? [s.hash] : [])];
  const found = await columnsOf(ctx, s, names, `${path}.source`, d.name);
  const at = s.updatedAt ? found.columns.get(s.updatedAt) : undefined;
  if (at && epochSql('x', at.type) === undefined)
    ctx.problem({
      path: `${path}.source.updatedAt`,
      message: `documents ${d.name}: ${tableLabel(s)}.${at.name} is ${at.type}; updatedAt needs a timestamp, date or epoch-seconds number`,
    });
  if (found.exists && s.where) {
    const bad = await whereProblem(ctx.stores.postgres, s, s.where, undefined, ctx.signal);
    if (bad) ctx.problem({ path: `${path}.source.where`, message: `documents ${d.name}: ${bad}` });
  }
  if (d.recordManager) await columnsOf(ctx, d.recordManager, ['group_id', 'namespace', 'updated_at'], `${path}.recordManager`, d.name);
  if (d.docstore) await columnsOf(ctx, d.docstore, ['key', 'namespace', 'value'], `${path}.docstore`, d.name);
  if (d.milvus) {
    const milvus = ctx.stores.milvus;
    if (!milvus) {
      if (ctx.storeStatus.milvus?.configured === false)
        ctx.problem({ path, message: `documents ${d.name} need Milvus, which is not configured (stores.milvus)` });
      return;
    }
    if (!(await milvus.listCollections()).includes(d.milvus.collection)) {
      ctx.problem({
        path: `${path}.milvus.collection`,
        message: `documents ${d.name}: Milvus collection ${JSON.stringify(d.milvus.collection)} does not exist`,
      });
      return;
    }
    const info = await milvus.describeCollection(d.milvus.collection);
    for (const key of ['field', 'indexedAt', 'hash'] as const) {
      const text = d.milvus[key];
      if (text === undefined) continue;
      const resolved = resolveMilvusPath(info, text);
      if ('problem' in resolved) ctx.problem({ path: `${path}.milvus.${key}`, message: `documents ${d.name}: ${resolved.problem}` });
    }
  }
}
