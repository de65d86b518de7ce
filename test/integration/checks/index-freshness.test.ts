/**
 * index-freshness against real Postgres and Milvus (Milvus Lite here, the real server in
 * integration-milvus-real): a record manager, a docstore and a Milvus collection laid out as
 * LangChain and LlamaIndex write them, with planted drift found exactly — stale, unindexed and
 * orphaned documents, the grace window's two sides (clock skew, a change just made), ignored rows
 * (other namespaces, null groups, LlamaIndex node entries), Milvus documents spread over pages.
 * The real libraries' own writes are in test/integration/rag-frameworks.test.ts.
 */
import { DataType } from '@zilliz/milvus2-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import check from '../../../checks/index-freshness/index.js';
import referenceIntegrity from '../../../checks/reference-integrity/index.js';
import { JSON_KEY_REFUSAL } from '../../../checks/reference-integrity/options.js';
import { consistencyOf } from '../../../src/report/consistency.js';
import { runCheck } from '../../helpers/check-tester.js';
import { createMilvusCollection, createMilvusCollectionName, createPgSchema, type PgFixture } from '../../helpers/stores.js';

type MilvusFixture = Awaited<ReturnType<typeof createMilvusCollectionName>>;

/** A day ago, in epoch seconds: every planted time is relative to it, so "now" never interferes. */
const BASE = Math.floor(Date.now() / 1000) - 86_400;
const INDEXED = BASE + 50;

describe('index-freshness: source documents against what the index recorded', () => {
  let pg: PgFixture;
  let milvus: MilvusFixture;

  beforeAll(async () => {
    [pg, milvus] = await Promise.all([createPgSchema('fresh'), createMilvusCollectionName('fresh')]);
    const s = `"${pg.schema}"`;
    await pg.client.query(`
      CREATE TABLE ${s}.docs (id bigint PRIMARY KEY, updated_at timestamptz, content_hash text, title text);
      -- 2: edited long after indexing (stale); 3: 30 s after it (clock skew: within a 60 s grace);
      -- 6: never indexed; 7: edited just now (within grace).
      INSERT INTO ${s}.docs VALUES
        (1, to_timestamp(${BASE}), 'h1', 'a'), (2, to_timestamp(${BASE + 1000}), 'h2-new', 'b'),
        (3, to_timestamp(${INDEXED + 30}), 'h3', 'c'), (4, to_timestamp(${BASE}), 'h4', 'd'),
        (5, to_timestamp(${BASE}), 'h5', 'e'), (6, to_timestamp(${BASE}), 'h6', 'f'), (7, now(), 'h7-new', 'g');
      -- LangChain's SQLRecordManager table, two records per document; group "gone" has no document.
      CREATE TABLE ${s}.upsertion_record (uuid varchar PRIMARY KEY, key varchar NOT NULL, namespace varchar NOT NULL,
        group_id varchar, updated_at float8, UNIQUE (key, namespace));
      INSERT INTO ${s}.upsertion_record
        SELECT md5(g || c), md5(g || c), 'milvus/chunks', g, ${INDEXED} - c FROM unnest(ARRAY['1','2','3','4','5','7','gone']) g, generate_series(0, 1) c;
      -- Ignored: another collection's namespace (document 6 stays unindexed) and a record without a group.
      INSERT INTO ${s}.upsertion_record VALUES ('o1', 'o1', 'milvus/other', '6', ${INDEXED}), ('n1', 'n1', 'milvus/chunks', NULL, ${INDEXED});
      -- LlamaIndex's docstore: doc_hash per document; node entries (with ref_doc_id) and data rows ignored.
      CREATE TABLE ${s}.data_docstore (id serial PRIMARY KEY, key varchar NOT NULL, namespace varchar NOT NULL, value json);
      INSERT INTO ${s}.data_docstore (key, namespace, value) VALUES
        ('1', 'docstore/metadata', '{"doc_hash": "h1"}'), ('2', 'docstore/metadata', '{"doc_hash": "h2-old"}'),
        ('3', 'docstore/metadata', '{"doc_hash": "h3"}'), ('4', 'docstore/metadata', '{"doc_hash": "h4"}'),
        ('5', 'docstore/metadata', '{"doc_hash": "h5"}'), ('7', 'docstore/metadata', '{"doc_hash": "h7-old"}'),
        ('gone', 'docstore/metadata', '{"doc_hash": "hg"}'),
        ('node-a', 'docstore/metadata', '{"doc_hash": "zz", "ref_doc_id": "1"}'),
        ('6', 'docstore/data', '{"__data__": {}}');
    `);
    // Three entities per document, interleaved so each document spans pages of 4. Document 2 was
    // partly re-indexed: one entity is older than its edit. Document 9 is not in the source.
    const hashes: Record<string, string> = { 1: 'h1', 2: 'h2-new', 3: 'h3', 4: 'h4', 5: 'h5', 9: 'h9' };
    const docs = ['1', '2', '3', '4', '5', '9'];
    const data = Array.from({ length: 18 }, (_, i) => {
      const doc = docs[i % docs.length]!;
      const old = doc === '2' && i < docs.length; // the first entity of document 2
      return {
        pk: String(1000 + i),
        doc_id: doc,
        indexed_at: String(doc === '2' && !old ? BASE + 2000 : INDEXED),
        doc_hash: old ? 'h2-old' : hashes[doc],
        vec: [0, 1],
      };
    });
    const fields = [
      { name: 'pk', data_type: DataType.Int64, is_primary_key: true, autoID: false },
      { name: 'doc_id', data_type: DataType.Int64 },
      { name: 'indexed_at', data_type: DataType.Int64 },
    ];
    await createMilvusCollection(milvus.client, milvus.collection, fields, data, { dim: 2, dynamicFields: true });
  }, 120_000);

  afterAll(async () => {
    await pg?.cleanup();
    await milvus?.cleanup();
  });

  const source = () => ({ schema: pg.schema, table: 'docs', key: 'id', updatedAt: 'updated_at', hash: 'content_hash' });
  const keysOf = (result: Awaited<ReturnType<typeof runCheck>>, code: string) =>
    result.findings.filter((f) => f.code === code).map((f) => f.subject?.key);

  it('LangChain record manager: stale, unindexed and orphaned documents; the grace window explains the silence', async () => {
    const result = await runCheck(check, {
      options: {
        documents: [
          { name: 'lc', preset: 'langchain', collection: 'chunks', recordManager: { schema: pg.schema }, source: source(), grace: '60s' },
        ],
      },
    });
    expect(result.error).toBeUndefined();
    expect(keysOf(result, 'stale-document')).toEqual(['2']);
    expect(keysOf(result, 'unindexed-document')).toEqual(['6']);
    expect(keysOf(result, 'orphan-index-record')).toEqual(['gone']);
    const stale = result.findings.find((f) => f.code === 'stale-document')!;
    expect(stale.data).toMatchObject({
      sourceUpdatedAt: new Date((BASE + 1000) * 1000).toISOString(),
      indexedAt: new Date(INDEXED * 1000).toISOString(),
      records: 2,
    });
    expect(result.findings.find((f) => f.code === 'orphan-index-record')!.data).toMatchObject({ records: 2 });
    expect((result.stats.documents as any).lc).toMatchObject({ compared: 8, stale: 1, unindexed: 1, orphanRecords: 1, withinGrace: 2 });
    // The table explains the two documents not reported (issue 14.6).
    expect(result.stats.notJudged).toEqual({ 'documents changed within the grace window (lc)': 2 });
    expect(consistencyOf(result)).toEqual([expect.objectContaining({ name: 'lc', compared: 8, inconsistent: 3 })]);
  });

  it('without a grace window the skewed and the just-edited documents are stale too', async () => {
    const result = await runCheck(check, {
      options: { documents: [{ preset: 'langchain', collection: 'chunks', recordManager: { schema: pg.schema }, source: source() }] },
    });
    expect(keysOf(result, 'stale-document').sort()).toEqual(['2', '3', '7']);
  });

  it('LlamaIndex docstore: doc_hash against the source hash; node entries and other namespaces ignored', async () => {
    const result = await runCheck(check, {
      options: { documents: [{ name: 'li', preset: 'llamaindex', docstore: { schema: pg.schema }, source: source(), grace: '60s' }] },
    });
    expect(keysOf(result, 'stale-document')).toEqual(['2']);
    expect(result.findings.find((f) => f.code === 'stale-document')!.data).toMatchObject({ sourceHash: 'h2-new', indexedHash: 'h2-old' });
    expect(keysOf(result, 'unindexed-document')).toEqual(['6']);
    expect(keysOf(result, 'orphan-index-record')).toEqual(['gone']);
    // Document 7's hash differs, but it changed within the grace window: not judged yet.
    expect((result.stats.documents as any).li).toMatchObject({ compared: 8, stale: 1, withinGrace: 1 });
  });

  it('Milvus indexed_at: a document is stale when its oldest entity predates the edit; orphans across pages', async () => {
    const result = await runCheck(check, {
      options: {
        milvusPageSize: 4,
        documents: [
          {
            name: 'm',
            source: source(),
            milvus: { collection: milvus.collection, field: 'doc_id', indexedAt: 'indexed_at' },
            grace: '60s',
          },
        ],
      },
    });
    expect(result.error).toBeUndefined();
    expect(keysOf(result, 'stale-document')).toEqual(['2']);
    expect(result.findings.find((f) => f.code === 'stale-document')!.data).toMatchObject({
      staleEntities: 1,
      indexedAt: new Date(INDEXED * 1000).toISOString(),
    });
    expect(keysOf(result, 'orphan-index-record')).toEqual(['9']);
    expect(result.findings.find((f) => f.code === 'orphan-index-record')!.data).toMatchObject({ records: 3 });
    expect((result.stats.documents as any).m).toMatchObject({
      compared: 18,
      stale: 1,
      staleEntities: 1,
      orphanEntities: 3,
      withinGrace: 3,
    });
  });

  it('Milvus $meta["doc_hash"]: a hash in the dynamic field', async () => {
    const result = await runCheck(check, {
      options: {
        documents: [{ name: 'mh', source: source(), milvus: { collection: milvus.collection, field: 'doc_id', hash: 'doc_hash' } }],
      },
    });
    expect(keysOf(result, 'stale-document')).toEqual(['2']);
    expect(result.findings.find((f) => f.code === 'stale-document')!.data).toMatchObject({
      sourceHash: 'h2-new',
      indexedHash: 'h2-old',
      staleEntities: 1,
    });
    expect(keysOf(result, 'orphan-index-record')).toEqual(['9']);
  });

  it('a fresh index passes; mistakes are one line each before any data is read', async () => {
    const fresh = await runCheck(check, {
      options: {
        documents: [
          {
            name: 'ok',
            source: source(),
            milvus: { collection: milvus.collection, field: 'doc_id', indexedAt: 'indexed_at', filter: 'doc_id in [1, 4, 5]' },
          },
        ],
      },
    });
    expect(fresh.status).toBe('pass');
    expect(fresh.findings).toEqual([]);
    const wrong = await runCheck(check, {
      options: {
        documents: [
          {
            name: 'bad',
            preset: 'langchain',
            collection: 'chunks',
            recordManager: { schema: pg.schema },
            source: { ...source(), updatedAt: 'title' },
          },
          { name: 'no-table', preset: 'llamaindex', docstore: { schema: pg.schema, table: 'nope' }, source: source() },
        ],
      },
    });
    expect(wrong.status).toBe('error');
    expect(wrong.error?.code).toBe('CONFIG');
    const problems = (wrong.configProblems ?? []).map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual([
      `documents[0].source.updatedAt: documents bad: ${pg.schema}.docs.title is text; updatedAt needs a timestamp, date or epoch-seconds number`,
      `documents[1].docstore: documents no-table: Postgres table ${pg.schema}.nope does not exist`,
    ]);
  });

  it('reference-integrity cannot key a mapping by a document id in $meta: preflight says why and what to use instead', async () => {
    // The collection has a dynamic field; doc_hash lives only there.
    const result = await runCheck(referenceIntegrity, {
      options: {
        mappings: [
          {
            name: 'by-hash',
            postgres: { schema: pg.schema, table: 'docs', key: 'content_hash' },
            milvus: { collection: milvus.collection, key: 'doc_hash' },
          },
        ],
      },
    });
    expect(result.error?.code).toBe('CONFIG');
    expect(result.configProblems?.map((p) => p.message)).toEqual([
      `mapping by-hash: "doc_hash" is not a field of Milvus collection ${milvus.collection}, only maybe a key of its dynamic field: ${JSON_KEY_REFUSAL}`,
    ]);
  });

  it('--shard: two shards together judge every document exactly once', async () => {
    const documents = [
      { name: 'lc', preset: 'langchain', collection: 'chunks', recordManager: { schema: pg.schema }, source: source() },
      { name: 'm', source: source(), milvus: { collection: milvus.collection, field: 'doc_id', indexedAt: 'indexed_at' } },
    ];
    const audit = async (shard?: string) => {
      const result = await runCheck(check, { options: { documents }, shard });
      expect(result.error).toBeUndefined();
      return result;
    };
    const keys = (r: Awaited<ReturnType<typeof audit>>) => r.findings.map((f) => `${f.data?.documents} ${f.code} ${f.subject?.key}`).sort();
    const [whole, first, second] = [await audit(), await audit('0/2'), await audit('1/2')];
    expect(first.findings.length).toBeGreaterThan(0);
    expect(second.findings.length).toBeGreaterThan(0);
    expect([...keys(first), ...keys(second)].sort()).toEqual(keys(whole));
    const compared = (r: typeof whole, name: string) => (r.stats.documents as any)[name].compared;
    for (const name of ['lc', 'm']) expect(compared(first, name) + compared(second, name)).toBe(compared(whole, name));
  });
});
