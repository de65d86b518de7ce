/**
 * dbcheck over data written by the real LangChain and LlamaIndex libraries (issue 14.7): the
 * fixture scripts (test/fixtures/rag/*.py, run with .venv/rag) index documents through each
 * framework's own API — LangChain `index()` with SQLRecordManager and langchain-milvus, LlamaIndex
 * VectorStoreIndex with MilvusVectorStore and PostgresDocumentStore — with fake embeddings (no model
 * download), then plant drift through the frameworks' and the servers' APIs. The CLI must find every
 * planted fault, exactly, and nothing else. Runs on the suite's Milvus Lite (the fixtures' pymilvus
 * 2.6.7 speaks to it and to Milvus 2.3.5; the layouts are the same on both).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { runRagFixture } from '../helpers/rag-fixtures.js';
import {
  createMilvusCollectionName,
  createPgSchema,
  MILVUS_ADDRESS,
  PG_DATABASE,
  PG_HOST,
  PG_PORT,
  PG_USER,
  uniqueName,
  type PgFixture,
} from '../helpers/stores.js';
import path from 'node:path';
import { parse } from 'yaml';

type MilvusFixture = Awaited<ReturnType<typeof createMilvusCollectionName>>;

/** Runs `dbcheck init` on the test servers, scoped to these schemas and collections; asserts it succeeded quietly. */
async function initOn(schemas: string[], collections: string[]) {
  const stores = `stores:\n  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE} }\n  milvus: { address: "${MILVUS_ADDRESS}" }\n`;
  const dir = tempDir({ 'stores.yml': stores });
  const init = await runCli([
    'init',
    '-c',
    path.join(dir, 'stores.yml'),
    '--schemas',
    schemas.join(','),
    '--collections',
    collections.join(','),
  ]);
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  return { dir, init };
}

/**
 * Writes `dbcheck init`'s proposal to dir/dbcheck.yml, asserts that it validates against the servers
 * (--connect) and that auditing it with reference-integrity and orphan-scan exits 1; returns the
 * `code key` of every finding, sorted.
 */
async function validateAndAudit(dir: string, proposal: string): Promise<string[]> {
  const file = path.join(dir, 'dbcheck.yml');
  writeFileSync(file, proposal);
  const validate = await runCli(['validate', '-c', file, '--connect']);
  expect(validate.stderr).toBe('');
  expect(validate.code).toBe(0);
  const audit = await runCli(['audit', '-c', file, '--only', 'reference-integrity,orphan-scan', '--format', 'json']);
  expect(audit.code).toBe(1);
  return JSON.parse(audit.stdout)
    .checks.flatMap((c: any) => c.findings)
    .map((f: any) => `${f.code} ${f.subject.key}`)
    .sort();
}

describe('RAG frameworks: LangChain and LlamaIndex layouts written by the real libraries', () => {
  // The scripts create their schema and collection themselves; these fixtures name and drop them.
  let lcSchema: PgFixture;
  let liSchema: PgFixture;
  let lcCollection: MilvusFixture;
  let liCollection: MilvusFixture;
  let langchain: Record<string, any>;
  let llamaindex: Record<string, any>;

  beforeAll(async () => {
    [lcSchema, liSchema, lcCollection, liCollection] = await Promise.all([
      createPgSchema('rag_lc'),
      createPgSchema('rag_li'),
      createMilvusCollectionName('rag_lc_chunks'),
      createMilvusCollectionName('rag_li_nodes'),
    ]);
    [langchain, llamaindex] = await Promise.all([
      runRagFixture('langchain_index.py', { schema: lcSchema.schema, collection: lcCollection.collection }),
      runRagFixture('llamaindex_index.py', { schema: liSchema.schema, collection: liCollection.collection }),
    ]);
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled([lcSchema?.cleanup(), liSchema?.cleanup(), lcCollection?.cleanup(), liCollection?.cleanup()]);
  });

  function config(): string {
    const lc = { schema: lcSchema.schema, collection: lcCollection.collection };
    const li = { schema: liSchema.schema, collection: liCollection.collection };
    return `
stores:
  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE} }
  milvus: { address: "${MILVUS_ADDRESS}" }
checks:
  reference-integrity:
    mappings:
      # LangChain: the record manager's key is the Milvus primary key pk.
      - name: langchain records
        postgres: { schema: ${lc.schema}, table: upsertion_record, key: key, where: "namespace = 'milvus/${lc.collection}'" }
        milvus: { collection: ${lc.collection} }
        mode: full
      # LlamaIndex: one node per document here, so doc_id is unique in Milvus.
      - name: llamaindex documents
        postgres: { schema: ${li.schema}, table: data_docstore, key: key, where: "namespace = 'docstore/data'" }
        milvus: { collection: ${li.collection}, key: doc_id }
        mode: full
  orphan-scan:
    milvus:
      - name: langchain chunks -> documents
        collection: ${lc.collection}
        field: doc_id
        parent: { schema: ${lc.schema}, table: documents, column: id }
      - name: llamaindex nodes -> docstore
        collection: ${li.collection}
        field: doc_id
        parent: { schema: ${li.schema}, table: data_docstore, column: key, where: "namespace = 'docstore/data'" }
`;
  }

  it("the fixtures wrote the frameworks' layouts through their own APIs", () => {
    expect(langchain.indexed).toEqual({ num_added: 10, num_updated: 0, num_skipped: 0, num_deleted: 0 });
    expect(langchain.namespace).toBe(`milvus/${lcCollection.collection}`);
    expect(llamaindex).toMatchObject({ missingVectorDocId: '103', orphanDocId: '104' });
  });

  it('finds every planted fault exactly, and nothing else', async () => {
    const dir = tempDir({ 'dbcheck.yml': config() });
    const run = await runCli([
      'audit',
      '-c',
      path.join(dir, 'dbcheck.yml'),
      '--only',
      'reference-integrity,orphan-scan',
      '--format',
      'json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    const found = report.checks
      .flatMap((c: any) => c.findings)
      .map((f: any) => `${f.checkId} ${f.code} ${f.data.relation ?? f.data.mapping ?? ''} ${f.subject.key}`)
      .sort();
    expect(found).toEqual(
      [
        // LangChain: document 5 deleted from the app's table, its 2 chunks stay in Milvus.
        `orphan-scan orphan-milvus-entity langchain chunks -> documents 5`,
        // LlamaIndex: document 104 deleted from the docstore, its node stays in Milvus.
        `orphan-scan orphan-milvus-entity llamaindex nodes -> docstore 104`,
        // LangChain: a vector deleted behind the record manager's back, a record behind the store's.
        `reference-integrity missing-vector langchain records ${langchain.missingVector}`,
        `reference-integrity orphan-vector langchain records ${langchain.missingRecord}`,
        // LlamaIndex: document 103's nodes deleted from Milvus; 104's node without its document.
        `reference-integrity missing-vector llamaindex documents 103`,
        `reference-integrity orphan-vector llamaindex documents 104`,
      ].sort(),
    );
    const orphanChunks = report.checks.find((c: any) => c.id === 'orphan-scan').findings.find((f: any) => f.subject.key === '5');
    expect(orphanChunks.data.entities).toBe(2);
    expect(report.summary.findings).toEqual({ error: 6, warn: 0, info: 0 });
  }, 120_000);

  it('dbcheck init recognises both layouts and proposes a config that validates and finds the same faults', async () => {
    const lc = { schema: lcSchema.schema, collection: lcCollection.collection };
    const li = { schema: liSchema.schema, collection: liCollection.collection };
    const { dir, init } = await initOn([lc.schema, li.schema], [lc.collection, li.collection]);
    expect(init.stdout).toContain(`#   LangChain record manager table "${lc.schema}.upsertion_record"`);
    expect(init.stdout).toContain(`#   LlamaIndex docstore table "${li.schema}.data_docstore"`);
    expect(init.stdout).toContain(`#   LangChain collection "${lc.collection}" (pk, text, vector, metadata as scalar fields)`);
    expect(init.stdout).toContain(`#   LlamaIndex collection "${li.collection}"`);
    const proposed = parse(init.stdout);
    // The frameworks' own tables at their defaults are proposed as presets, not spelled out.
    expect(proposed.checks['reference-integrity'].mappings).toEqual([
      { preset: 'langchain', collection: lc.collection, recordManager: { schema: lc.schema } },
    ]);
    expect(proposed.checks['orphan-scan'].milvus).toEqual([
      {
        name: `${lc.collection}.doc_id -> ${lc.schema}.documents`,
        collection: lc.collection,
        field: 'doc_id',
        parent: { schema: lc.schema, table: 'documents', column: 'id' },
      },
      { preset: 'llamaindex', collection: li.collection, docstore: { schema: li.schema } },
    ]);
    // index-freshness needs the app's documents table, which init cannot guess: a commented template.
    expect(init.stdout).toContain(
      `#     - { preset: langchain, collection: "${lc.collection}", recordManager: { schema: "${lc.schema}" }, source: { table: documents, key: source, updatedAt: updated_at } }`,
    );

    // The proposal validates and finds what the hand-written config finds, for the parts it covers.
    expect(await validateAndAudit(dir, init.stdout)).toEqual(
      [
        'missing-vector ' + langchain.missingVector,
        'orphan-milvus-entity 104',
        'orphan-milvus-entity 5',
        'orphan-vector ' + langchain.missingRecord,
      ].sort(),
    );
  }, 240_000); // three CLI runs against the shared servers: a limit for a loaded machine, not a speed claim
});

/**
 * LangChain with enable_dynamic_field=True keeps doc_id in `$meta` only: `dbcheck init` proposes the
 * relation on the path `$meta["doc_id"]`, the config validates, and the audit finds the planted faults.
 */
describe('RAG frameworks: dbcheck init on the LangChain dynamic-field layout', () => {
  let schema: PgFixture;
  let collection: MilvusFixture;
  let planted: Record<string, any>;

  beforeAll(async () => {
    [schema, collection] = await Promise.all([createPgSchema('rag_lcd'), createMilvusCollectionName('rag_lcd_chunks')]);
    planted = await runRagFixture('langchain_index.py', { schema: schema.schema, collection: collection.collection }, ['--dynamic-field']);
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled([schema?.cleanup(), collection?.cleanup()]);
  });

  it('proposes $meta["doc_id"] -> documents.id and the langchain preset; the proposal validates and finds the faults', async () => {
    const { dir, init } = await initOn([schema.schema], [collection.collection]);
    expect(init.stdout).toContain(`#   LangChain collection "${collection.collection}" (pk, text, vector, metadata in $meta)`);
    const proposed = parse(init.stdout);
    expect(proposed.checks['reference-integrity'].mappings).toEqual([
      { preset: 'langchain', collection: collection.collection, recordManager: { schema: schema.schema } },
    ]);
    expect(proposed.checks['orphan-scan'].milvus).toEqual([
      {
        name: `${collection.collection}.doc_id -> ${schema.schema}.documents`,
        collection: collection.collection,
        field: '$meta["doc_id"]',
        parent: { schema: schema.schema, table: 'documents', column: 'id' },
      },
    ]);
    expect(await validateAndAudit(dir, init.stdout)).toEqual(
      [`missing-vector ${planted.missingVector}`, 'orphan-milvus-entity 5', `orphan-vector ${planted.missingRecord}`].sort(),
    );
  }, 240_000);
});

/**
 * index-freshness over the real libraries' bookkeeping (issue 14.3): LangChain `index()` records
 * each document's indexing time in SQLRecordManager, LlamaIndex keeps each document's doc_hash in
 * its docstore. The app edits one document after indexing: exactly one stale document per framework;
 * the app's indexing job runs again (index() / refresh_ref_docs): clean.
 */
describe('RAG frameworks: a document edited after indexing, and re-indexed', () => {
  let lcSchema: PgFixture;
  let liSchema: PgFixture;
  let lcCollection: MilvusFixture;
  let liCollection: MilvusFixture;

  beforeAll(async () => {
    [lcSchema, liSchema, lcCollection, liCollection] = await Promise.all([
      createPgSchema('rag_lc_fresh'),
      createPgSchema('rag_li_fresh'),
      createMilvusCollectionName('rag_lc_fresh'),
      createMilvusCollectionName('rag_li_fresh'),
    ]);
  });

  afterAll(async () => {
    await Promise.allSettled([lcSchema?.cleanup(), liSchema?.cleanup(), lcCollection?.cleanup(), liCollection?.cleanup()]);
  });

  const targets = () => ({
    lc: { schema: lcSchema.schema, collection: lcCollection.collection },
    li: { schema: liSchema.schema, collection: liCollection.collection },
  });

  function config(): string {
    const { lc, li } = targets();
    return `
stores:
  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE} }
checks:
  index-freshness:
    documents:
      # index(source_id_key="source"): group_id is the app's documents.source.
      - preset: langchain
        collection: ${lc.collection}
        recordManager: { schema: ${lc.schema} }
        source: { schema: ${lc.schema}, table: documents, key: source, updatedAt: updated_at }
      # The app keeps Document.hash in content_hash when it writes a document.
      - preset: llamaindex
        docstore: { schema: ${li.schema} }
        source: { schema: ${li.schema}, table: documents, key: id, hash: content_hash }
`;
  }

  async function audit(): Promise<{ code: number | null; report: any }> {
    const dir = tempDir({ 'dbcheck.yml': config() });
    const run = await runCli(['audit', '-c', path.join(dir, 'dbcheck.yml'), '--only', 'index-freshness', '--format', 'json']);
    expect(run.stderr).toBe('');
    return { code: run.code, report: JSON.parse(run.stdout) };
  }

  it('finds exactly the edited document of each framework, then nothing once the app re-indexes', async () => {
    const { lc, li } = targets();
    const [lcIndexed, liIndexed] = await Promise.all([
      runRagFixture('langchain_freshness.py', lc, ['--step', 'index']),
      runRagFixture('llamaindex_freshness.py', li, ['--step', 'index']),
    ]);
    expect(lcIndexed).toMatchObject({ indexed: { num_added: 3 }, edited: 'doc-2' });
    expect(liIndexed).toMatchObject({ edited: '202' });

    const before = await audit();
    expect(before.code).toBe(1);
    const check = before.report.checks.find((c: any) => c.id === 'index-freshness');
    expect(check.findings.map((f: any) => `${f.code} ${f.data.documents} ${f.subject.key}`).sort()).toEqual([
      `stale-document ${lc.collection} (langchain) doc-2`,
      `stale-document ${liSchema.schema}.data_docstore (llamaindex) 202`,
    ]);
    expect(check.stats.documents[`${lc.collection} (langchain)`]).toMatchObject({ compared: 3, stale: 1, unindexed: 0, orphanRecords: 0 });

    const [lcAgain, liAgain] = await Promise.all([
      runRagFixture('langchain_freshness.py', lc, ['--step', 'reindex']),
      runRagFixture('llamaindex_freshness.py', li, ['--step', 'reindex']),
    ]);
    // LangChain replaced document 2's chunk and refreshed the other two; LlamaIndex re-embedded 202 only.
    expect(lcAgain).toMatchObject({ indexed: { num_added: 1, num_skipped: 2, num_deleted: 1 } });
    expect(liAgain).toMatchObject({ refreshed: [false, true, false] });

    const after = await audit();
    expect(after.code).toBe(0);
    expect(after.report.checks.find((c: any) => c.id === 'index-freshness').findings).toEqual([]);
  }, 300_000); // four Python runs (the frameworks import slowly) and two CLI runs: a limit for a loaded machine
});
