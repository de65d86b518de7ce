/**
 * orphan-scan against real Postgres, Milvus Lite and Redis: Milvus entities, Redis keys and Postgres
 * rows whose parent is gone; soft-deleted parents through `where`; composite Redis keys; int64 parent
 * keys above 2^53; the *_id suggestions; a Redis server that is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType } from '@zilliz/milvus2-sdk-node';
import check from '../../../checks/orphan-scan/index.js';
import { runCheck } from '../../helpers/check-tester.js';
import {
  createMilvusCollection,
  createMilvusCollectionName,
  createPgSchema,
  createRedisPrefix,
  type PgFixture,
  type RedisFixture,
} from '../../helpers/stores.js';

type MilvusFixture = Awaited<ReturnType<typeof createMilvusCollectionName>>;
const BIG = '9007199254740993'; // 2^53 + 1

describe('orphan-scan', () => {
  let pg: PgFixture;
  let milvus: MilvusFixture;
  let redis: RedisFixture;
  let docs: Record<string, unknown>;

  beforeAll(async () => {
    pg = await createPgSchema('orphan');
    milvus = await createMilvusCollectionName('orphan');
    redis = await createRedisPrefix('orphan');
    const s = `"${pg.schema}"`;
    await pg.client.query(`
      CREATE TABLE ${s}.documents (id bigint PRIMARY KEY, tenant_id text NOT NULL, deleted_at timestamptz);
      INSERT INTO ${s}.documents VALUES (1, 'acme', NULL), (2, 'acme', NULL), (3, 'acme', now()), (${BIG}, 'globex', NULL);
      -- chunks.document_id: no foreign key at all
      CREATE TABLE ${s}.chunks (id bigint PRIMARY KEY, document_id bigint);
      INSERT INTO ${s}.chunks VALUES (10, 1), (11, 2), (12, 99), (13, 99), (14, NULL), (15, 3);
      -- notes.document_id: a foreign key added NOT VALID, so old orphans survive
      CREATE TABLE ${s}.notes (id bigint PRIMARY KEY, document_id bigint);
      INSERT INTO ${s}.notes VALUES (20, 1), (21, 77);
      ALTER TABLE ${s}.notes ADD CONSTRAINT notes_doc_fk FOREIGN KEY (document_id) REFERENCES ${s}.documents (id) NOT VALID;
      -- tags.document_id: a validated foreign key
      CREATE TABLE ${s}.tags (id bigint PRIMARY KEY, document_id bigint REFERENCES ${s}.documents (id));
      -- key types that differ from the parent's: compared by value (issue 11.3)
      CREATE TABLE ${s}.text_refs (id bigint PRIMARY KEY, document_ref varchar(40));
      INSERT INTO ${s}.text_refs VALUES (30, '1'), (31, '99'), (32, 'abc'), (33, '007'), (34, '${BIG}'), (35, '99999999999999999999');
      CREATE TABLE ${s}.accounts (id uuid PRIMARY KEY, n int);
      INSERT INTO ${s}.accounts VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 1);
      CREATE TABLE ${s}.account_refs (id int PRIMARY KEY, account text, account_uuid uuid);
      INSERT INTO ${s}.account_refs VALUES (40, 'A0EEBC999C0B4EF8BB6D6BB9BD380A11', NULL), (41, 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL), (42, 'nope', NULL);
    `);
    const docIds = ['1', '1', '2', BIG, '3', '3', '42', '9007199254740992'];
    await createMilvusCollection(
      milvus.client,
      milvus.collection,
      [
        { name: 'pk', data_type: DataType.Int64, is_primary_key: true, autoID: true },
        { name: 'document_id', data_type: DataType.Int64 },
        { name: 'doc_ref', data_type: DataType.VarChar, max_length: 40 },
      ],
      docIds.map((d) => ({ document_id: d, doc_ref: d, vec: [0, 0, 0, 1] })),
    );

    const p = redis.prefix;
    await redis.redis.mset(
      `${p}doc:1`,
      'x',
      `${p}doc:2`,
      'x',
      `${p}doc:3`,
      'x',
      `${p}doc:404`,
      'x',
      `${p}doc:abc`,
      'x',
      `${p}doc:${BIG}`,
      'x',
      `${p}doc:1:meta`,
      'x',
    );
    await redis.redis.mset(`${p}tenant:acme:doc:1`, 'x', `${p}tenant:globex:doc:1`, 'x', `${p}tenant:globex:doc:${BIG}`, 'x');
    docs = { schema: pg.schema, table: 'documents', column: 'id', where: 'deleted_at IS NULL' };
  }, 120_000);

  afterAll(async () => {
    await pg?.cleanup();
    await milvus?.cleanup();
    await redis?.cleanup();
  });

  const keys = (result: Awaited<ReturnType<typeof runCheck>>, code: string) =>
    result.findings
      .filter((f) => f.code === code)
      .map((f) => f.subject?.key)
      .sort();

  it('finds Milvus entities whose parent is gone or soft-deleted, int64 above 2^53 exact', async () => {
    const result = await runCheck(check, {
      options: { milvus: [{ name: 'vectors', collection: milvus.collection, field: 'document_id', parent: docs }] },
    });
    expect(result.status).toBe('fail');
    expect(keys(result, 'orphan-milvus-entity')).toEqual(['3', '42', '9007199254740992']);
    const three = result.findings.find((f) => f.subject?.key === '3')!;
    expect(three.data).toMatchObject({ entities: 2, field: 'document_id' });
    expect((result.stats.relations as any).vectors).toMatchObject({ entities: 8, orphanParentKeys: 3, orphanEntities: 4 });
  }, 60_000);

  it('compares a VarChar Milvus field with a bigint parent by value (no false orphans)', async () => {
    const result = await runCheck(check, {
      options: { milvus: [{ name: 'refs', collection: milvus.collection, field: 'doc_ref', parent: docs }] },
    });
    expect(keys(result, 'orphan-milvus-entity')).toEqual(['3', '42', '9007199254740992']);
  }, 60_000);

  it('compares an Int64 Milvus field with a varchar parent by value', async () => {
    const parent = { schema: pg.schema, table: 'text_refs', column: 'document_ref' };
    const result = await runCheck(check, {
      options: { milvus: [{ name: 'to-text', collection: milvus.collection, field: 'document_id', parent }] },
    });
    expect(result.error).toBeUndefined();
    expect(keys(result, 'orphan-milvus-entity')).toEqual(['2', '3', '42', '9007199254740992']);
  }, 60_000);

  it('finds Redis keys whose parent is gone, ignoring sibling key families', async () => {
    const result = await runCheck(check, { options: { redis: [{ name: 'docs', pattern: `${redis.prefix}doc:{id}`, parent: docs }] } });
    const p = redis.prefix;
    expect(keys(result, 'orphan-redis-key')).toEqual([`${p}doc:3`, `${p}doc:404`, `${p}doc:abc`]);
    const abc = result.findings.find((f) => f.subject?.key === `${p}doc:abc`)!;
    expect(abc.data?.reason).toBe('invalid-key');
    expect((result.stats.relations as any).docs).toMatchObject({ keysScanned: 7, keysIgnored: 1, orphanKeys: 3, rowsCompared: 6 });
    expect(result.partial).toBeFalsy();
    // maxKeys bounds the scan; the result says it is partial.
    const bounded = await runCheck(check, {
      options: { redis: [{ name: 'docs', pattern: `${redis.prefix}doc:{id}`, parent: docs, maxKeys: 2 }] },
    });
    expect(bounded.partial).toBe(true);
    expect((bounded.stats.relations as any).docs).toMatchObject({ stoppedAtMaxKeys: true, rowsCompared: 2 });
  }, 60_000);

  it('matches composite Redis keys against composite parent keys', async () => {
    const result = await runCheck(check, {
      options: {
        redis: [
          {
            pattern: `${redis.prefix}tenant:{tenant}:doc:{id}`,
            parent: { schema: pg.schema, table: 'documents', columns: { tenant: 'tenant_id', id: 'id' } },
          },
        ],
      },
    });
    expect(keys(result, 'orphan-redis-key')).toEqual([`${redis.prefix}tenant:globex:doc:1`]);
  }, 60_000);

  it('finds Postgres child rows without parent where no validated foreign key enforces it', async () => {
    const rel = (table: string) => ({
      child: { schema: pg.schema, table, column: 'document_id' },
      parent: { schema: pg.schema, table: 'documents', column: 'id' },
    });
    const result = await runCheck(check, { options: { postgres: [rel('chunks'), rel('notes'), rel('tags')] } });
    const orphans = result.findings
      .filter((f) => f.code === 'orphan-row')
      .map((f) => [f.data?.child, f.data?.value, f.data?.rows, f.data?.foreignKey]);
    expect(orphans.sort()).toEqual([
      [`${pg.schema}.chunks`, '99', 2, 'none'],
      [`${pg.schema}.notes`, '77', 1, 'not-valid'],
    ]);
    // Each finding names the first child rows to clean up (by primary key), bounded.
    const chunk99 = result.findings.find((f) => f.code === 'orphan-row' && f.data?.value === '99')!;
    expect(chunk99.data).toMatchObject({ childIdColumns: ['id'], childIds: ['12', '13'] });
    expect(chunk99.message).toContain('(id: 12, 13)');
    const tags = (result.stats.relations as any)[`${pg.schema}.tags.document_id -> ${pg.schema}.documents.id`];
    expect(tags.skipped).toMatch(/validated foreign key/);
    // With a live-parent condition, the row pointing at the soft-deleted document is an orphan too.
    const live = await runCheck(check, { options: { postgres: [{ ...rel('chunks'), parent: docs }] } });
    expect(keys(live, 'orphan-row')).toEqual(['3', '99']);
  }, 60_000);

  it('compares a varchar child with a bigint parent and a text child with a uuid parent by value', async () => {
    const rel = (table: string, column: string, parent: string, parentColumn: string) => ({
      child: { schema: pg.schema, table, column },
      parent: { schema: pg.schema, table: parent, column: parentColumn },
    });
    const result = await runCheck(check, {
      options: { postgres: [rel('text_refs', 'document_ref', 'documents', 'id'), rel('account_refs', 'account', 'accounts', 'id')] },
    });
    expect(result.status).toBe('fail');
    // '1' and 2^53+1 have parents; '007' is not the text of any integer key; 10^20 is out of bigint range.
    expect(keys(result, 'orphan-row')).toEqual([
      '007',
      '99',
      '99999999999999999999',
      'abc',
      'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      'nope',
    ]);
    // The same pairs the other way round: a bigint child against a text parent column.
    const reverse = await runCheck(check, { options: { postgres: [rel('documents', 'id', 'text_refs', 'document_ref')] } });
    expect(keys(reverse, 'orphan-row')).toEqual(['2', '3']);
  }, 60_000);

  it('preflight reports every configuration mistake in one round, before any data is read', async () => {
    const result = await runCheck(check, {
      options: {
        postgres: [
          {
            child: { schema: pg.schema, table: 'account_refs', column: 'account_uuid' },
            parent: { schema: pg.schema, table: 'documents', column: 'id' },
          },
          {
            child: { schema: pg.schema, table: 'no_such_table', column: 'document_id' },
            parent: { schema: pg.schema, table: 'documents', column: 'id' },
          },
          { child: { schema: pg.schema, table: 'chunks', column: 'doc' }, parent: { schema: pg.schema, table: 'documents', column: 'id' } },
          {
            child: { schema: pg.schema, table: 'notes', column: 'document_id', where: 'archived = false' },
            parent: { ...docs, where: 'deleted_at IS NUL' },
          },
        ],
        redis: [
          {
            name: 'tenants',
            pattern: `${redis.prefix}tenant:{tenant}:doc:{id}`,
            parent: { schema: pg.schema, table: 'documents', columns: { org: 'tenant_id' } },
          },
        ],
      },
    });
    expect(result.status).toBe('error');
    expect(result.error?.code).toBe('CONFIG');
    expect(result.findings).toEqual([]);
    expect(result.configProblems?.map((p) => p.path)).toEqual([
      'postgres[0]',
      'postgres[1].child',
      'postgres[2].child',
      'postgres[3].child.where',
      'postgres[3].parent.where',
      'redis[0].parent.columns',
    ]);
    const messages = result.configProblems!.map((p) => p.message);
    expect(messages[0]).toBe(
      `relation ${pg.schema}.account_refs.account_uuid -> ${pg.schema}.documents.id: Postgres column ${pg.schema}.account_refs.account_uuid is uuid and Postgres column ${pg.schema}.documents.id is bigint: an integer never equals a uuid`,
    );
    expect(messages[1]).toContain(`Postgres table ${pg.schema}.no_such_table does not exist`);
    expect(messages[2]).toContain(`has no column "doc"`);
    // A misspelt where is planned (EXPLAIN), never run: the server's own words name the mistake.
    expect(messages[3]).toMatch(/where "archived = false" cannot run on \S+\.notes: column "archived" does not exist$/);
    expect(messages[4]).toMatch(/where "deleted_at IS NUL" cannot run on \S+\.documents: syntax error/);
    expect(messages[5]).toBe('relation tenants: the pattern has no placeholder {org} (it has {tenant}, {id})');
  }, 60_000);

  it('runs each relation alone: one that fails is named, the others still report with their stats', async () => {
    const result = await runCheck(check, {
      stores: { redis: { host: '127.0.0.1', port: 1 } },
      options: {
        postgres: [
          {
            name: 'chunks',
            child: { schema: pg.schema, table: 'chunks', column: 'document_id' },
            parent: { schema: pg.schema, table: 'documents', column: 'id' },
          },
        ],
        redis: [{ name: 'doc-cache', pattern: `${redis.prefix}doc:{id}`, parent: docs }],
      },
    });
    expect(result.status).toBe('error');
    expect(result.partial).toBe(true);
    expect(result.error?.message).toMatch(/^1 of 2 relations failed \(the others reported\): doc-cache: /);
    expect(keys(result, 'orphan-row')).toEqual(['99']);
    const relations = result.stats.relations as any;
    expect(relations.chunks).toMatchObject({ orphanValues: 1, orphanRows: 2 });
    expect(relations['doc-cache'].error.code).toBeTruthy();
    expect(result.stats.failedRelations).toEqual(['doc-cache']);
  }, 60_000);

  it('two relations on one column say which relation each line belongs to', async () => {
    const chunks = { schema: pg.schema, table: 'chunks', column: 'document_id' };
    const result = await runCheck(check, {
      options: {
        postgres: [
          { name: 'any-document', child: chunks, parent: { schema: pg.schema, table: 'documents', column: 'id' } },
          { name: 'live-document', child: chunks, parent: docs },
        ],
        redis: [{ name: 'alone', pattern: `${redis.prefix}doc:{id}`, parent: docs }],
      },
    });
    const lines = result.findings
      .filter((f) => f.code === 'orphan-row')
      .map((f) => f.message)
      .sort();
    expect(lines).toEqual([
      `any-document: 2 rows of ${pg.schema}.chunks have document_id = 99, which is not in ${pg.schema}.documents.id (id: 12, 13)`,
      `live-document: 1 rows of ${pg.schema}.chunks have document_id = 3, which is not in ${pg.schema}.documents.id (id: 15)`,
      `live-document: 2 rows of ${pg.schema}.chunks have document_id = 99, which is not in ${pg.schema}.documents.id (id: 12, 13)`,
    ]);
    // A relation alone on its children keeps the plain line.
    expect(result.findings.find((f) => f.code === 'orphan-redis-key')!.message).toMatch(/^Redis key /);
  }, 60_000);

  it('refuses two relations with one name', async () => {
    const rel = {
      child: { schema: pg.schema, table: 'chunks', column: 'document_id' },
      parent: { schema: pg.schema, table: 'documents', column: 'id' },
    };
    await expect(runCheck(check, { options: { postgres: [rel, rel] } })).rejects.toThrow(/two relations are named/);
  });

  it('suggests *_id columns that no validated foreign key covers', async () => {
    const result = await runCheck(check, {
      options: {
        suggestRelations: true,
        suggestSchemas: [pg.schema],
        postgres: [
          {
            child: { schema: pg.schema, table: 'chunks', column: 'document_id' },
            parent: { schema: pg.schema, table: 'documents', column: 'id' },
          },
        ],
      },
    });
    const suggestions = result.findings.filter((f) => f.code === 'unconstrained-relation');
    // chunks is declared, tags has a validated FK: only notes (NOT VALID) and documents.tenant_id remain.
    expect(suggestions.map((f) => `${f.data?.table}.${f.data?.column}:${f.data?.foreignKey}`).sort()).toEqual([
      'documents.tenant_id:none',
      'notes.document_id:not-valid',
    ]);
    expect(suggestions.find((f) => f.data?.table === 'notes')!.data?.candidateParent).toBe(`${pg.schema}.documents`);
    expect(result.counts.info).toBe(2);
  }, 60_000);

  it('needs configuration, and a relation on a store that is down ends as error', async () => {
    await expect(runCheck(check, { options: {} })).rejects.toMatchObject({ code: 'CONFIG' });
    const result = await runCheck(check, {
      stores: { redis: { host: '127.0.0.1', port: 1 } },
      options: { redis: [{ pattern: `${redis.prefix}doc:{id}`, parent: docs }] },
    });
    expect(result.status).toBe('error');
  }, 60_000);
});
