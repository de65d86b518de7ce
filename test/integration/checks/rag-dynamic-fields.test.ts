/**
 * Parent keys that RAG frameworks keep in Milvus's dynamic field or in a JSON field (issue 14.1):
 * - LangChain with enable_dynamic_field: `pk` VarChar, `text`, `vector`; doc_id and source in `$meta`;
 * - LlamaIndex: `id` VarChar, `doc_id` VarChar, a JSON `metadata`, more keys in `$meta`.
 * `field: doc_id` finds the dynamic key, explicit paths (`metadata["doc_id"]`, `$meta["a"]["b"]`)
 * work, int64 values inside JSON stay exact above 2^53, and preflight rejects paths into nothing.
 * Then `preset: langchain` on the layout LangChain's index() + SQLRecordManager writes (issue 14.4).
 * Runs on Milvus Lite and on the real Milvus 2.3 (integration-milvus-real): both support dynamic
 * fields, JSON output and JSON path filters (probed; asserted here through the check's results).
 */
import { DataType } from '@zilliz/milvus2-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import orphanScan from '../../../checks/orphan-scan/index.js';
import referenceIntegrity from '../../../checks/reference-integrity/index.js';
import { runCheck } from '../../helpers/run-check.js';
import { createMilvusCollection, createMilvusCollectionName, createPgSchema, type PgFixture } from '../../helpers/stores.js';

type MilvusFixture = Awaited<ReturnType<typeof createMilvusCollectionName>>;

const BIG = 9_007_199_254_740_993n; // 2^53 + 1: through a double it would read as 2^53
const BIG_GONE = 9_007_199_254_740_995n; // no such row; a double reads it as ...996
const BIG_NEIGHBOUR = 9_007_199_254_740_996n; // a live row a lossy read of BIG_GONE would match

/**
 * Runs fn with JSON writing BigInt values as bare digits, as a Python app (json.dumps) writes such
 * ids: the SDK serialises JSON fields and `$meta` with JSON.stringify (which refuses BigInt) after a
 * JSON.parse(JSON.stringify()) deep copy (which would round them to a double).
 */
async function withBigIntJson<T>(fn: () => Promise<T>): Promise<T> {
  const { stringify, parse } = JSON;
  JSON.stringify = ((value: unknown, replacer?: unknown, space?: string | number) =>
    stringify(
      value,
      (k, v) => (typeof v === 'bigint' ? `@@big:${v}` : typeof replacer === 'function' ? replacer(k, v) : v),
      space,
    )?.replace(/"@@big:(-?\d+)"/g, '$1')) as typeof JSON.stringify;
  JSON.parse = ((text: string, reviver?: (k: string, v: unknown) => unknown) =>
    parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"@@big:$2"'), (k, v) => {
      const out = typeof v === 'string' && v.startsWith('@@big:') ? BigInt(v.slice(6)) : v;
      return reviver ? reviver(k, out) : out;
    })) as typeof JSON.parse;
  try {
    return await fn();
  } finally {
    Object.assign(JSON, { stringify, parse });
  }
}

describe('orphan-scan: parent keys in the dynamic field and in JSON fields', () => {
  let pg: PgFixture;
  let langchain: MilvusFixture; // dynamic field on, no doc_id field
  let llama: MilvusFixture; // doc_id VarChar field, JSON metadata, dynamic field on
  let fixed: MilvusFixture; // no dynamic field

  beforeAll(async () => {
    pg = await createPgSchema('rag_dyn');
    await pg.client.query(`
      CREATE TABLE "${pg.schema}".docs (id bigint PRIMARY KEY);
      INSERT INTO "${pg.schema}".docs VALUES (1), (2), (3), (${BIG}), (${BIG_NEIGHBOUR});
      CREATE TABLE "${pg.schema}".ref_docs (doc_id varchar PRIMARY KEY);
      INSERT INTO "${pg.schema}".ref_docs VALUES ('123'), ('124'), ('a "quoted" é');
    `);
    [langchain, llama, fixed] = await Promise.all([
      createMilvusCollectionName('rag_lc'),
      createMilvusCollectionName('rag_li'),
      createMilvusCollectionName('rag_fx'),
    ]);
    const pk = (name: string) => ({ name, data_type: DataType.VarChar, is_primary_key: true, max_length: 64 });
    // LangChain: doc_id (a number, as the first document typed it) and source in $meta. Orphans:
    // doc 9 (2 chunks), BIG_GONE (1 chunk, which a double would confuse with BIG_NEIGHBOUR), and a
    // doc_id written as text "3" (a live parent, compared by value). lc-none has no doc_id at all.
    const lc = [
      ['lc-1a', 1n],
      ['lc-1b', 1n],
      ['lc-2', 2n],
      ['lc-3', '3'],
      ['lc-big', BIG],
      ['lc-9a', 9n],
      ['lc-9b', 9n],
      ['lc-gone', BIG_GONE],
      ['lc-nb', BIG_NEIGHBOUR],
    ] as const;
    await withBigIntJson(() =>
      createMilvusCollection(
        langchain.client,
        langchain.collection,
        [pk('pk'), { name: 'text', data_type: DataType.VarChar, max_length: 256 }],
        [
          ...lc.map(([key, doc]) => ({
            pk: key,
            text: `chunk ${key}`,
            vector: [0, 1],
            doc_id: doc,
            source: `s${String(doc)}`,
            nested: { doc: doc },
          })),
          { pk: 'lc-none', text: 'no doc', vector: [0, 1], source: 'x' },
        ],
        { dim: 2, dynamicFields: true, vectorField: 'vector' },
      ),
    );
    // LlamaIndex: doc_id as a VarChar field, ref_doc_id in $meta, and metadata["doc_id"] in JSON.
    await createMilvusCollection(
      llama.client,
      llama.collection,
      [pk('id'), { name: 'doc_id', data_type: DataType.VarChar, max_length: 64 }, { name: 'metadata', data_type: DataType.JSON }],
      ['123', '124', '999', 'a "quoted" é', '125'].map((doc, i) => ({
        id: `n${i + 1}`,
        doc_id: doc,
        metadata: { doc_id: doc },
        embedding: [0, 1],
        ref_doc_id: doc,
      })),
      { dim: 2, dynamicFields: true, vectorField: 'embedding' },
    );
    // No dynamic field.
    await createMilvusCollection(
      fixed.client,
      fixed.collection,
      [pk('pk'), { name: 'source', data_type: DataType.VarChar, max_length: 64 }],
      [{ pk: 'f1', source: 's', vector: [0, 1] }],
      {
        dim: 2,
        vectorField: 'vector',
      },
    );
  }, 180_000);

  afterAll(async () => {
    await pg?.cleanup();
    await Promise.all([langchain?.cleanup(), llama?.cleanup(), fixed?.cleanup()]);
  });

  const docs = () => ({ schema: pg.schema, table: 'docs', column: 'id' });

  it('field: doc_id finds the dynamic key ($meta); int64 above 2^53 exact; entities without a doc_id counted', async () => {
    const result = await runCheck(orphanScan, {
      options: { milvusPageSize: 4, milvus: [{ name: 'lc', collection: langchain.collection, field: 'doc_id', parent: docs() }] },
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('fail');
    expect(orphanKeys(result, 'lc')).toEqual([
      ['9', 2],
      [String(BIG_GONE), 1],
    ]);
    const stats = (result.stats.relations as any).lc;
    expect(stats).toMatchObject({ field: '$meta["doc_id"]', entities: 10, withoutParentKey: 1, orphanParentKeys: 2, orphanEntities: 3 });
  }, 120_000);

  it('explicit paths: $meta["doc_id"], nested $meta["nested"]["doc"], metadata["doc_id"] against a varchar parent', async () => {
    const refDocs = { schema: pg.schema, table: 'ref_docs', column: 'doc_id' };
    const result = await runCheck(orphanScan, {
      options: {
        milvus: [
          { name: 'meta', collection: langchain.collection, field: '$meta["doc_id"]', parent: docs() },
          { name: 'nested', collection: langchain.collection, field: '$meta["nested"]["doc"]', parent: docs() },
          { name: 'json', collection: llama.collection, field: 'metadata["doc_id"]', parent: refDocs },
          { name: 'ref', collection: llama.collection, field: 'ref_doc_id', parent: refDocs },
          { name: 'scalar', collection: llama.collection, field: 'doc_id', parent: refDocs },
        ],
      },
    });
    expect(result.error).toBeUndefined();
    const expectedLc = [
      ['9', 2],
      [String(BIG_GONE), 1],
    ];
    expect(orphanKeys(result, 'meta')).toEqual(expectedLc);
    expect(orphanKeys(result, 'nested')).toEqual(expectedLc);
    // The JSON path, the dynamic key and the scalar field of one collection agree exactly.
    for (const r of ['json', 'ref', 'scalar'])
      expect(orphanKeys(result, r)).toEqual([
        ['125', 1],
        ['999', 1],
      ]);
    expect((result.stats.relations as any).scalar.field).toBeUndefined(); // a schema field wins over $meta
  }, 120_000);

  it('preflight: a path into a collection without a dynamic field, or into a non-JSON field, is a config problem', async () => {
    const result = await runCheck(orphanScan, {
      options: {
        milvus: [
          { name: 'a', collection: fixed.collection, field: '$meta["doc_id"]', parent: docs() },
          { name: 'b', collection: fixed.collection, field: 'doc_id', parent: docs() },
          { name: 'c', collection: fixed.collection, field: 'source["doc_id"]', parent: docs() },
          { name: 'd', collection: langchain.collection, field: 'doc_id', parent: docs() },
        ],
      },
    });
    expect(result.status).toBe('error');
    expect(result.error?.code).toBe('CONFIG');
    expect(result.configProblems).toEqual([
      {
        path: 'milvus[0].field',
        message: `relation a: Milvus collection ${fixed.collection} has no dynamic field, so $meta["doc_id"] names nothing (fields: pk, source, vector)`,
      },
      {
        path: 'milvus[1].field',
        message: `relation b: Milvus collection ${fixed.collection} has no field "doc_id" and no dynamic field (fields: pk, source, vector)`,
      },
      {
        path: 'milvus[2].field',
        message: `relation c: Milvus field ${fixed.collection}.source is VarChar, not JSON, so source["doc_id"] names nothing`,
      },
    ]);
  }, 120_000);

  it('config: a field that is neither a name nor a JSON path is refused before any store is touched', async () => {
    await expect(
      runCheck(orphanScan, {
        options: { milvus: [{ collection: langchain.collection, field: 'doc_id; drop', parent: docs() }] },
      }),
    ).rejects.toThrow(/JSON path like metadata\["doc_id"\]/);
  });
});

describe('preset: langchain, on the layout LangChain index() with SQLRecordManager writes', () => {
  let pg: PgFixture;
  let lc: MilvusFixture;

  beforeAll(async () => {
    pg = await createPgSchema('rag_rm');
    lc = await createMilvusCollectionName('rag_rm');
    const ns = `milvus/${lc.collection}`;
    // One record manager table serves every namespace: rows of another collection must not count.
    await pg.client.query(`
      CREATE TABLE "${pg.schema}".upsertion_record (uuid varchar PRIMARY KEY, key varchar NOT NULL, namespace varchar NOT NULL,
        group_id varchar, updated_at double precision, UNIQUE (key, namespace));
      INSERT INTO "${pg.schema}".upsertion_record VALUES
        ('u1', 'h1', '${ns}', '1', 1700000000.5), ('u2', 'h2', '${ns}', '1', 1700000000.5),
        ('u3', 'h3', '${ns}', '2', 1700000001.25), ('u4', 'h-novec', '${ns}', '3', 1700000002),
        ('u5', 'h-gone', 'milvus/other', '9', 1700000003);
    `);
    // h-gone's record is in another namespace: for this collection the entity has no record.
    await createMilvusCollection(
      lc.client,
      lc.collection,
      [
        { name: 'pk', data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
        { name: 'text', data_type: DataType.VarChar, max_length: 256 },
        { name: 'doc_id', data_type: DataType.Int64 },
      ],
      ['h1', 'h2', 'h3', 'h-gone'].map((pk, i) => ({ pk, text: `t${i}`, vector: [0, 1], doc_id: i })),
      { dim: 2, vectorField: 'vector' },
    );
  }, 120_000);

  afterAll(async () => {
    await pg?.cleanup();
    await lc?.cleanup();
  });

  it('orphan-scan: the entity whose record is gone from this namespace, and nothing else', async () => {
    const result = await runCheck(orphanScan, {
      options: { milvus: [{ preset: 'langchain', collection: lc.collection, recordManager: { schema: pg.schema } }] },
    });
    expect(result.error).toBeUndefined();
    const name = `${lc.collection} (langchain)`;
    expect(orphanKeys(result, name)).toEqual([['h-gone', 1]]);
    expect((result.stats.relations as any)[name]).toMatchObject({ entities: 4, orphanEntities: 1 });
  }, 120_000);

  it('reference-integrity: the record without a vector and the vector without a record', async () => {
    const result = await runCheck(referenceIntegrity, {
      options: { mappings: [{ preset: 'langchain', collection: lc.collection, recordManager: { schema: pg.schema } }] },
    });
    expect(result.error).toBeUndefined();
    expect(result.findings.map((f) => [f.code, f.subject?.key]).sort()).toEqual([
      ['missing-vector', 'h-novec'],
      ['orphan-vector', 'h-gone'],
    ]);
  }, 120_000);
});

const orphanKeys = (result: Awaited<ReturnType<typeof runCheck>>, relation: string) =>
  result.findings
    .filter((f) => f.code === 'orphan-milvus-entity' && (f.data as any).relation === relation)
    .map((f) => [f.subject?.key, (f.data as any).entities]);

describe('reference-integrity: stale values read from the dynamic field (a document hash the index recorded)', () => {
  let pg: PgFixture;
  let coll: MilvusFixture;

  beforeAll(async () => {
    pg = await createPgSchema('rag_stale');
    coll = await createMilvusCollectionName('rag_stale');
    await pg.client.query(`
      CREATE TABLE "${pg.schema}".chunks (id text PRIMARY KEY, doc_hash text NOT NULL, edited_at timestamptz NOT NULL);
      INSERT INTO "${pg.schema}".chunks VALUES
        ('c1', 'h-a', now() - interval '2 days'),   -- indexed with its current hash
        ('c2', 'h-b2', now() - interval '2 days'),  -- edited after indexing: stale
        ('c3', 'h-c2', now()),                      -- edited just now: pending (grace window)
        ('c4', 'h-d', now() - interval '2 days');   -- indexed without a hash: stale
    `);
    await createMilvusCollection(
      coll.client,
      coll.collection,
      [{ name: 'pk', data_type: DataType.VarChar, is_primary_key: true, max_length: 64 }],
      [
        { pk: 'c1', vector: [0, 1], doc_hash: 'h-a' },
        { pk: 'c2', vector: [0, 1], doc_hash: 'h-b1' },
        { pk: 'c3', vector: [0, 1], doc_hash: 'h-c1' },
        { pk: 'c4', vector: [0, 1], source: 'x' },
      ],
      { dim: 2, dynamicFields: true, vectorField: 'vector' },
    );
  }, 120_000);

  afterAll(async () => {
    await pg?.cleanup();
    await coll?.cleanup();
  });

  for (const mode of ['full', 'sample'] as const) {
    it(`${mode} mode: stale.milvus $meta["doc_hash"] against the row's hash, with a grace window`, async () => {
      const result = await runCheck(referenceIntegrity, {
        options: {
          mappings: [
            {
              name: 'chunks',
              mode,
              sampleSize: 100,
              postgres: { schema: pg.schema, table: 'chunks', key: 'id' },
              milvus: { collection: coll.collection },
              stale: { postgres: 'doc_hash', milvus: '$meta["doc_hash"]' },
              grace: { column: 'edited_at', window: '1h' },
            },
          ],
        },
      });
      expect(result.error).toBeUndefined();
      const got = result.findings.map((f) => [f.code, f.subject?.key, (f.data as any).milvus ?? (f.data as any).reason]).sort();
      expect(got).toEqual([
        ['pending', 'c3', 'stale'],
        ['stale-vector', 'c2', 'h-b1'],
        ['stale-vector', 'c4', undefined],
      ]);
    }, 120_000);
  }

  it('preflight: stale.milvus into a missing JSON field is a config problem', async () => {
    const result = await runCheck(referenceIntegrity, {
      options: {
        mappings: [
          {
            name: 'chunks',
            postgres: { schema: pg.schema, table: 'chunks', key: 'id' },
            milvus: { collection: coll.collection },
            stale: { postgres: 'doc_hash', milvus: 'metadata["doc_hash"]' },
          },
        ],
      },
    });
    expect(result.error?.code).toBe('CONFIG');
    expect(result.configProblems).toEqual([
      {
        path: 'mappings[0].stale.milvus',
        message: `mapping chunks: Milvus collection ${coll.collection} has no field "metadata" (fields: pk, vector)`,
      },
    ]);
  }, 120_000);
});
