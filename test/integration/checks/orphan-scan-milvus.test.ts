/**
 * orphan-scan's Milvus relations read (pk, field) pairs in primary-key order and look parents up in
 * Postgres page by page: exact across pages (small pages, many entities per parent spread over many
 * of them), for int64 above 2^53 and VarChar, with the first entity ids of each orphan parent.
 * Runs on Milvus Lite and on the real server (integration-milvus-real).
 */
import { DataType } from '@zilliz/milvus2-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import check from '../../../checks/orphan-scan/index.js';
import { ORPHAN_IDS_KEPT } from '../../../checks/orphan-scan/milvus.js';
import { runCheck } from '../../helpers/run-check.js';
import { createMilvusCollection, createMilvusCollectionName, createPgSchema, type PgFixture } from '../../helpers/stores.js';

type MilvusFixture = Awaited<ReturnType<typeof createMilvusCollectionName>>;

const BIG = '9007199254740993'; // 2^53 + 1: a float would read it as 2^53
const BIG_GONE = '9007199254740992'; // 2^53: no parent row
const QUOTED = 'doc "q" \\ é';

describe('orphan-scan: Milvus relations by primary-key order', () => {
  let pg: PgFixture;
  let milvus: MilvusFixture;
  const entitiesOf = new Map<string, string[]>(); // parent value -> entity pks, as inserted

  beforeAll(async () => {
    pg = await createPgSchema('orphan_m');
    milvus = await createMilvusCollectionName('orphan_m');
    await pg.client.query(`
      CREATE TABLE "${pg.schema}".docs (id bigint PRIMARY KEY, deleted boolean NOT NULL DEFAULT false);
      INSERT INTO "${pg.schema}".docs SELECT g, false FROM generate_series(1, 40) g;
      INSERT INTO "${pg.schema}".docs VALUES (${BIG}, false), (7000, true);
      CREATE TABLE "${pg.schema}".named (name text PRIMARY KEY);
      INSERT INTO "${pg.schema}".named VALUES ('a'), ('${QUOTED.replace(/'/g, "''")}'), ('z');
    `);
    // 300 entities with pks above 2^53, their parents interleaved so each parent's entities are
    // spread over every page of 16: parents 1..40 live, 41 and 7000 (soft-deleted) and 2^53 gone.
    const parents = [...Array.from({ length: 40 }, (_, i) => String(i + 1)), BIG, '41', '7000', BIG_GONE];
    const names = ['a', QUOTED, 'z', 'gone "x"', 'ü'];
    const data = Array.from({ length: 300 }, (_, i) => {
      const pk = (9_007_199_254_740_993n + BigInt(i) * 7n).toString();
      const doc = parents[i % parents.length]!;
      entitiesOf.set(doc, [...(entitiesOf.get(doc) ?? []), pk]);
      return { pk, doc_id: doc, doc_name: names[i % names.length], vec: [0, 1] };
    });
    // Inserted in shuffled order: the scan must not depend on insertion order (Milvus Lite keeps it).
    data.sort((a, b) => (a.pk.slice(-3) < b.pk.slice(-3) ? -1 : 1));
    const fields = [
      { name: 'pk', data_type: DataType.Int64, is_primary_key: true, autoID: false },
      { name: 'doc_id', data_type: DataType.Int64 },
      { name: 'doc_name', data_type: DataType.VarChar, max_length: 64 },
    ];
    await createMilvusCollection(milvus.client, milvus.collection, fields, data, { dim: 2 });
  }, 120_000);

  afterAll(async () => {
    await pg?.cleanup();
    await milvus?.cleanup();
  });

  it('int64 parents: exact counts across pages, above 2^53, soft-deleted parents, first entity ids', async () => {
    const parent = { schema: pg.schema, table: 'docs', column: 'id', where: 'NOT deleted' };
    const result = await runCheck(check, {
      options: { milvusPageSize: 16, milvus: [{ name: 'chunks', collection: milvus.collection, field: 'doc_id', parent }] },
    });
    expect(result.status).toBe('fail');
    const orphans = result.findings.filter((f) => f.code === 'orphan-milvus-entity');
    // Parent-key order (numeric), one finding per parent however many pages its entities span.
    expect(orphans.map((f) => f.subject?.key)).toEqual(['41', '7000', BIG_GONE]);
    for (const f of orphans) {
      const all = entitiesOf.get(f.subject!.key as string)!;
      const sorted = [...all].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      expect(f.data).toMatchObject({ entities: all.length, primaryKey: 'pk', entityIds: sorted.slice(0, ORPHAN_IDS_KEPT) });
      expect(all.length).toBeGreaterThan(ORPHAN_IDS_KEPT); // the list is really cut
    }
    const stats = (result.stats.relations as any).chunks;
    const orphanEntities = ['41', '7000', BIG_GONE].reduce((n, k) => n + entitiesOf.get(k)!.length, 0);
    expect(stats).toMatchObject({ entities: 300, orphanParentKeys: 3, orphanEntities });
  }, 120_000);

  it('VarChar parents: compared as exact text (quotes, backslash, unicode), never spliced into SQL', async () => {
    const parent = { schema: pg.schema, table: 'named', column: 'name' };
    const result = await runCheck(check, {
      options: { milvusPageSize: 16, milvus: [{ name: 'names', collection: milvus.collection, field: 'doc_name', parent }] },
    });
    const orphans = result.findings.filter((f) => f.code === 'orphan-milvus-entity');
    // UTF-8 byte order: 'gone "x"' < 'ü'.
    expect(orphans.map((f) => f.subject?.key)).toEqual(['gone "x"', 'ü']);
    expect(orphans.map((f) => f.data?.entities)).toEqual([60, 60]);
  }, 120_000);
});
