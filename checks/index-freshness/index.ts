/**
 * index-freshness: source documents edited after they were indexed (issue 14.3), the commonest RAG
 * drift. Each entry compares a source table (key + updated_at or content hash) with what the index
 * recorded per document:
 * - LangChain's record manager (newest `updated_at` per `group_id`) or LlamaIndex's docstore
 *   (`doc_hash`): one streaming FULL JOIN on the server (postgres.ts), which also finds documents
 *   never indexed and index records whose document is gone;
 * - a timestamp or hash field on the Milvus entities, read in primary-key order (milvus.ts).
 */
import { CheckError, defineCheck, errorLine } from '../../src/plugin.js';
import { scanMilvusIndex } from './milvus.js';
import { optionsSchema } from './options.js';
import { scanPostgresIndex } from './postgres.js';
import { preflightDocuments } from './preflight.js';
import { STATS } from './stats.js';

const changed = (d: Record<string, any>) =>
  d.compared === 'hash'
    ? `its hash ${d.sourceHash} differs from ${d.indexedHash ?? 'none'} in ${d.index}`
    : `it changed at ${d.sourceUpdatedAt}, after ${d.index} indexed it at ${d.indexedAt}`;

export default defineCheck({
  meta: {
    id: 'index-freshness',
    title: 'Index freshness (source documents edited after indexing)',
    description: 'Finds documents changed after they were indexed, never indexed, or gone from the source but still indexed.',
    requires: ['postgres'],
    uses: ['milvus'],
    // --shard: each process judges the documents whose key hashes to its shard.
    shardable: true,
    options: optionsSchema,
    stats: STATS,
    codes: {
      'stale-document': {
        severity: 'error',
        message: (d) => `document ${d.key} of ${d.source} is stale: ${changed(d)}`,
        description: 'The source document changed (timestamp or hash) after the index last recorded it: retrieval serves the old text.',
      },
      'unindexed-document': {
        severity: 'error',
        message: (d) => `document ${d.key} of ${d.source} has no record in ${d.index}`,
        description: 'A source document the index never recorded (outside the grace window).',
      },
      'orphan-index-record': {
        severity: 'error',
        message: (d) => `${d.index} has ${d.records} record(s) of document ${d.key}, which is not in ${d.source}`,
        description: 'Index records (or Milvus entities) of a document deleted from the source: the index was not cleaned up.',
      },
    },
  },
  preflight: preflightDocuments,
  async run(ctx) {
    // Entries are independent: one that fails is recorded in its stats and the next one still runs.
    const failed: Array<{ name: string; code: string; message: string }> = [];
    for (const [i, d] of ctx.options.documents.entries()) {
      ctx.progress({ done: 0, note: `entry ${i + 1} of ${ctx.options.documents.length}: ${d.name}` });
      try {
        await (d.milvus ? scanMilvusIndex(ctx, d) : scanPostgresIndex(ctx, d));
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'INTERNAL';
        const entry = { name: d.name, code, message: errorLine(err) };
        failed.push(entry);
        ((ctx.stats.documents ??= {})[d.name] ??= {}).error = { code, message: entry.message };
      }
    }
    if (failed.length) {
      const code = failed.some((f) => f.code === 'CONFIG') ? 'CONFIG' : failed[0]!.code;
      const reasons = failed.map((f) => `${f.name}: ${f.message}`).join('; ');
      throw new CheckError(code, `${failed.length} of ${ctx.options.documents.length} entries failed: ${reasons}`);
    }
  },
});
