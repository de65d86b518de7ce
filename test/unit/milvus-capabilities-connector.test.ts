/**
 * The connector's branch points on the capability table, against a scripted SDK client that reports
 * a chosen server version (no server can be made to report 2.2 or an unknown version here). What the
 * real servers do is asserted in test/integration/stores/milvus.test.ts.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => ({ version: 'v2.3.5', requests: [] as Array<Record<string, unknown>> }));

vi.mock('@zilliz/milvus2-sdk-node', () => {
  const ok = { error_code: 'Success', code: 0, reason: '' };
  class MilvusClient {
    timeout = 0;
    connectPromise = Promise.resolve();
    async getVersion() {
      return { status: ok, version: fake.version };
    }
    async describeCollection() {
      fake.requests.push({ call: 'describeCollection' });
      return { status: ok, schema: { fields: [{ name: 'pk', data_type: 'Int64', is_primary_key: true }] } };
    }
    async query(req: Record<string, unknown>) {
      fake.requests.push({ call: 'query', filter: req.filter, partitions: req.partition_names });
      return { status: ok, data: [{ 'count(*)': '7' }] };
    }
    async closeConnection() {}
  }
  return { MilvusClient, ConsistencyLevelEnum: { Strong: 0 } };
});

const { connectMilvus } = await import('../../src/stores/milvus/connector.js');

async function connectAs(version: string) {
  fake.version = version;
  return connectMilvus({ address: '127.0.0.1:19530' });
}

describe('the Milvus connector chooses by server version', () => {
  beforeEach(() => {
    fake.requests.length = 0;
  });

  it('before 2.3 (no count(*)): connects and reports the version, but count and scan refuse with one clear line', async () => {
    const store = await connectAs('v2.2.16');
    expect(store.reader.capabilities()).toMatchObject({ countStar: false, release: [2, 2, 16] });
    const refusal = {
      code: 'STORE_ERROR',
      message: expect.stringMatching(/server version v2\.2\.16 has no count\(\*\) \(added in Milvus 2\.3\.0\)/),
    };
    await expect(store.reader.count('docs')).rejects.toMatchObject(refusal);
    await expect(store.reader.scan('docs')[Symbol.asyncIterator]().next()).rejects.toMatchObject(refusal);
    expect(fake.requests).toEqual([]); // refused before asking the server anything
  });

  it('real Milvus counts partitions as asked; Milvus Lite and unknown servers get the always-true filter', async () => {
    const real = await connectAs('v2.3.5-lite');
    expect(await real.reader.count('docs', { partitions: ['p1'] })).toBe(7);
    expect(fake.requests).toEqual([{ call: 'query', filter: undefined, partitions: ['p1'] }]);

    for (const version of ['milvus_lite-3.2.2', 'Zilliz Cloud (vdb 2025.1)']) {
      fake.requests.length = 0;
      const store = await connectAs(version);
      expect(await store.reader.count('docs', { partitions: ['p1'] })).toBe(7);
      expect(fake.requests, version).toEqual([
        { call: 'describeCollection' },
        { call: 'query', filter: 'pk == 0 || pk != 0', partitions: ['p1'] },
      ]);
    }
  });

  it('an unrecognised version is taken as 2.3, with a note', async () => {
    const store = await connectAs('Zilliz Cloud (vdb 2025.1)');
    expect(store.reader.capabilities()).toMatchObject({ server: 'milvus', countStar: true });
    expect(store.reader.capabilities().notes).toEqual([
      'unrecognised Milvus version "Zilliz Cloud (vdb 2025.1)": assuming Milvus 2.3 behaviour',
    ]);
  });
});
