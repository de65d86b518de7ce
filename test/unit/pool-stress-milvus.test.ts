import { describe, expect, it } from 'vitest';
import { vectorFieldOf } from '../../checks/pool-stress/milvus-phases.js';
import { poolStressOptions } from '../../checks/pool-stress/options.js';
import type { MilvusCollectionInfo } from '../../src/plugin.js';

const collection = (vectors: string[]): MilvusCollectionInfo => ({
  name: 'chunks',
  primaryKey: { name: 'id', type: 'int64' },
  fields: [
    { name: 'id', dataType: 'Int64', isPrimaryKey: true },
    { name: 'tenant', dataType: 'VarChar', isPrimaryKey: false, maxLength: 8 },
    ...vectors.map((name) => ({ name, dataType: 'FloatVector', isPrimaryKey: false, dim: 4 })),
  ],
});

describe('pool-stress Milvus vector field', () => {
  it('takes the only FloatVector field, or the configured one', () => {
    expect(vectorFieldOf(collection(['vec']), undefined)).toEqual({ name: 'vec' });
    expect(vectorFieldOf(collection(['a', 'b']), 'b')).toEqual({ name: 'b' });
  });

  it.each([
    [[], undefined, /no FloatVector field/],
    [['a', 'b'], undefined, /several FloatVector fields \(a, b\): set milvus.vectorField/],
    [['vec'], 'nope', /no field "nope" \(vector fields: vec\)/],
    [['vec'], 'tenant', /is VarChar, not FloatVector/],
  ])('vectors %o, configured %s: a problem', (vectors, configured, message) => {
    expect(vectorFieldOf(collection(vectors), configured).problem).toMatch(message);
  });
});

describe('pool-stress Milvus options', () => {
  it('has bounded defaults and loads nothing without a collection', () => {
    const o = poolStressOptions.parse({}).milvus;
    expect(o.collection).toBeUndefined();
    expect(o).toMatchObject({ enabled: true, sampleVectors: 32 });
    expect(o.search).toMatchObject({ nq: 1, topk: 10 });
    expect(o.search.sustained).toMatchObject({ workers: 10, duration: 10_000, maxOps: 1_000_000 });
    expect(o.query).toMatchObject({ limit: 10, outputFields: [] });
  });

  it.each([
    [{ milvus: { search: { nq: 101 } } }],
    [{ milvus: { search: { topk: 5000 } } }],
    [{ milvus: { query: { limit: 20_000 } } }],
    [{ milvus: { sampleVectors: 0 } }],
    [{ milvus: { search: { sustained: { duration: '11m' } } } }],
    [{ milvus: { unknown: true } }],
  ])('rejects %o', (input) => {
    expect(poolStressOptions.safeParse(input).success).toBe(false);
  });
});
