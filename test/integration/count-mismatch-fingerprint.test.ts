/**
 * Baselines see a lasting count-mismatch as unchanged (issue 16.1): reference-integrity's counts
 * mode names a differing range by its place ("range 1 of 4"), not by its bounds, which move with
 * the data. Two runs on real Postgres and Milvus, the table grown in between: the bounds move, the
 * fingerprint does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType } from '@zilliz/milvus2-sdk-node';
import check from '../../checks/reference-integrity/index.js';
import { runCheck } from '../helpers/check-tester.js';
import { createMilvusCollection, createMilvusCollectionName, createPgSchema, type PgFixture } from '../helpers/stores.js';

type MilvusFixture = Awaited<ReturnType<typeof createMilvusCollectionName>>;

describe('count-mismatch fingerprints', () => {
  let pg: PgFixture;
  let milvus: MilvusFixture;

  const insertVectors = async (ids: number[]) => {
    const r: any = await milvus.client.insert({
      collection_name: milvus.collection,
      data: ids.map((id) => ({ id: String(id), vec: [0.1, 0.2] })),
    } as any);
    expect(r?.status?.error_code ?? r?.error_code).toBe('Success');
  };

  beforeAll(async () => {
    pg = await createPgSchema('cmfp');
    milvus = await createMilvusCollectionName('cmfp');
    await pg.client.query(`CREATE TABLE "${pg.schema}".docs (id bigint PRIMARY KEY)`);
    await pg.client.query(`INSERT INTO "${pg.schema}".docs SELECT generate_series(1, 100)`);
    const fields = [{ name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false }];
    await createMilvusCollection(milvus.client, milvus.collection, fields, [], { dim: 2 });
    // Rows 11..15 have no vector: a shortfall in the first of 4 ranges.
    await insertVectors(Array.from({ length: 100 }, (_, i) => i + 1).filter((id) => id < 11 || id > 15));
  }, 120_000);

  afterAll(async () => {
    await pg?.cleanup();
    await milvus?.cleanup();
  });

  const audit = () =>
    runCheck(check, {
      options: {
        mode: 'counts',
        ranges: 4,
        mappings: [{ name: 'docs', postgres: { schema: pg.schema, table: 'docs', key: 'id' }, milvus: { collection: milvus.collection } }],
      },
    });

  it('keeps its fingerprint when the range bounds move', async () => {
    const first = (await audit()).findings.filter((f) => f.code === 'count-mismatch');
    // The table grows past its old max: every range bound moves; the shortfall stays in range 1.
    await pg.client.query(`INSERT INTO "${pg.schema}".docs SELECT generate_series(101, 140)`);
    await insertVectors(Array.from({ length: 40 }, (_, i) => 101 + i));
    const second = (await audit()).findings.filter((f) => f.code === 'count-mismatch');

    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(first[0].subject?.key).toBe('range 1 of 4');
    expect(first[0].data?.range).not.toBe(second[0].data?.range); // the bounds did move (and the message shows them)
    expect(second[0].message).toContain(String(second[0].data?.range));
    expect(second[0].fingerprint).toBe(first[0].fingerprint);
  }, 120_000);
});
