/**
 * The Milvus connector against the real Milvus Lite on 127.0.0.1:19530. Each test creates its own
 * collection (inserting serially, indexing and loading it with the test's writable SDK client) and
 * drops it afterwards. dbcheck's own reader never writes.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { connectMilvus, type MilvusStore } from '../../../src/stores/milvus/connector.js';
import { sdkDriver, type AllocTimestamp, type MilvusDriver } from '../../../src/stores/milvus/driver.js';
import { compareKeys } from '../../../src/stores/milvus/expr.js';
import { seededShuffle } from '../../helpers/seeded-shuffle.js';
import { createMilvusCollectionName, MILVUS_ADDRESS, milvusFlavor } from '../../helpers/stores.js';
import type { MilvusKeyType, MilvusScanOptions } from '../../../src/stores/types.js';

type Fixture = Awaited<ReturnType<typeof createMilvusCollectionName>>;
type Row = Record<string, unknown>;

const DIM = 4;
/** Many-page scans: Milvus Lite answers each query and filtered count in O(rows), slow on a busy CI box. */
const SLOW_SCAN_TIMEOUT_MS = 180_000;

/** Creates a collection (pk + optional scalar fields + vector), inserts rows in batches, indexes and loads it. */
async function withCollection(
  spec: { pk: MilvusKeyType; scalars?: Array<{ name: string; type: MilvusKeyType }>; rows: Row[] },
  fn: (fx: Fixture) => Promise<void>,
): Promise<void> {
  const fx = await createMilvusCollectionName('mlv');
  try {
    const { client, collection } = fx;
    const field = (name: string, type: MilvusKeyType, pk = false) => ({
      name,
      is_primary_key: pk,
      autoID: false,
      ...(type === 'int64' ? { data_type: DataType.Int64 } : { data_type: DataType.VarChar, max_length: 512 }),
    });
    const created = await client.createCollection({
      collection_name: collection,
      fields: [
        field('pk', spec.pk, true),
        ...(spec.scalars ?? []).map((s) => field(s.name, s.type)),
        { name: 'vec', data_type: DataType.FloatVector, dim: DIM },
      ],
    });
    expect(created.error_code).toBe('Success');
    await insertRows(fx, spec.rows);
    const indexed = await client.createIndex({ collection_name: collection, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
    expect(indexed.error_code).toBe('Success');
    const loaded = await client.loadCollection({ collection_name: collection });
    expect(loaded.error_code).toBe('Success');
    await fn(fx);
  } finally {
    await fx.cleanup();
  }
}

/** Serial batched inserts (Milvus Lite must not see concurrent writes to one collection). */
async function insertRows(fx: Fixture, rows: Row[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    const data = rows.slice(i, i + 1000).map((r, j) => ({ ...r, vec: [i + j, 1, 2, 3].map((x) => (x % 97) / 97) }));
    const res = await fx.client.insert({ collection_name: fx.collection, data });
    expect(res.status.error_code).toBe('Success');
  }
}

async function scanAll(store: MilvusStore, collection: string, opts: MilvusScanOptions = {}) {
  const pages: Row[][] = [];
  for await (const page of store.reader.scan(collection, opts)) pages.push(page);
  return { pages, rows: pages.flat() };
}

const shuffled = <T>(xs: T[]) => seededShuffle(xs, 12345);

const sortKeys = (keys: string[], type: MilvusKeyType) => [...keys].sort((a, b) => compareKeys(a, b, type));

let store: MilvusStore;
beforeAll(async () => {
  store = await connectMilvus({ address: MILVUS_ADDRESS });
});
afterAll(async () => {
  await store?.close();
});

describe('connectMilvus', () => {
  it('reports the server version and health, and lists collections', async () => {
    expect(store.reader.kind).toBe('milvus');
    expect(store.reader.address).toBe(MILVUS_ADDRESS);
    expect(await store.reader.version()).toMatch(/\d+\.\d+/);
    const health = await store.reader.checkHealth();
    expect(health.healthy).toBe(true);
    await withCollection({ pk: 'int64', rows: [{ pk: '1' }] }, async ({ collection }) => {
      expect(await store.reader.listCollections()).toContain(collection);
    });
  });

  it('fails fast with STORE_UNREACHABLE on a closed port, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const err = await connectMilvus({ address: '127.0.0.1:1', token: 'tok-closed-port-SECRET', connectTimeoutMs: 5000 }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err?.code).toBe('STORE_UNREACHABLE');
      expect(err?.message).toMatch(/^Milvus at 127\.0\.0\.1:1: connection refused or lost \(/);
      expect(err?.message).not.toContain('tok-closed-port-SECRET');
      await new Promise((r) => setTimeout(r, 500)); // the SDK's own promises settle in this window
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('gives STORE_TIMEOUT when a server accepts the connection but never answers', async () => {
    const silent = net.createServer(() => {}); // a real socket that accepts and stays silent
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const err = await connectMilvus({ address: `127.0.0.1:${port}`, connectTimeoutMs: 1000 }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err?.code).toBe('STORE_TIMEOUT');
      // Either dbcheck's own bound or gRPC's deadline (same 1000 ms) fires first, depending on load.
      expect(err?.message).toMatch(
        new RegExp(
          `^Milvus at 127\\.0\\.0\\.1:${port}: timed out \\((no answer, timed out after 1000 ms|4 DEADLINE_EXCEEDED: Deadline exceeded)`,
        ),
      );
    } finally {
      silent.close();
    }
  });

  it('fails cleanly when the address is some other server (Redis)', async () => {
    const err = await connectMilvus({ address: '127.0.0.1:6379', connectTimeoutMs: 5000 }).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toMatch(/^STORE_/);
    expect(err?.message).toMatch(/^Milvus at 127\.0\.0\.1:6379: /);
  });

  it('never shows credentials from the address, token or password', async () => {
    const err = await connectMilvus({
      address: 'http://dbuser:pw-in-url-SECRET@127.0.0.1:1',
      password: 'pw-field-SECRET',
      username: 'dbuser',
      connectTimeoutMs: 5000,
    }).then(
      () => null,
      (e: unknown) => e as { code: string; message: string; hint?: string },
    );
    expect(err?.code).toBe('STORE_UNREACHABLE');
    expect(err?.message).toMatch(/^Milvus at http:\/\/127\.0\.0\.1:1: connection refused/);
    expect(JSON.stringify({ m: err?.message, h: err?.hint })).not.toMatch(/SECRET/);

    // A token against the live server: it answers, and nothing the reader says carries the token.
    const withToken = await connectMilvus({ address: MILVUS_ADDRESS, token: 'root:tok-live-SECRET' });
    try {
      expect(withToken.reader.address).not.toContain('SECRET');
      const missing = await withToken.reader.count('no_such_collection_tok').catch((e: Error) => e);
      expect(missing).toMatchObject({ code: 'STORE_MISSING_OBJECT' });
      expect((missing as Error).message).not.toContain('SECRET');
    } finally {
      await withToken.close();
    }
  });

  it('honours an already aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(connectMilvus({ address: MILVUS_ADDRESS }, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('MilvusReader', () => {
  it(
    'scans 5,200 shuffled int64 keys (negative, above 2^53) once each, ascending, over many pages',
    async () => {
      const keys = [
        ...Array.from({ length: 5200 - 4 }, (_, i) => String(i * 7 - 9000)),
        // Not INT64_MAX / INT64_MIN themselves: real Milvus 2.3 counts such rows but no query returns
        // them (the pager then stops with a clear error; see docs/milvus-paging.md).
        '9007199254740993',
        '9007199254740992',
        '9223372036854775806',
        '-9223372036854775807',
      ];
      await withCollection({ pk: 'int64', rows: shuffled(keys).map((pk) => ({ pk })) }, async ({ collection }) => {
        const { pages, rows } = await scanAll(store, collection, { pageSize: 100 });
        expect(pages.length).toBeGreaterThan(20);
        expect(rows.map((r) => r.pk)).toEqual(sortKeys(keys, 'int64'));
        expect(Object.keys(rows[0]!)).toEqual(['pk']); // key only: no vectors unless asked
        expect(rows.every((r) => typeof r.pk === 'string')).toBe(true);
        expect(await store.reader.count(collection)).toBe(5200);
      });
    },
    SLOW_SCAN_TIMEOUT_MS,
  );

  it(
    'a row keyed INT64_MAX: read on Milvus Lite; on real Milvus a clear STORE_ERROR after every other row, never a silent end',
    async () => {
      const MAX = '9223372036854775807';
      const keys = [...Array.from({ length: 300 }, (_, i) => String(i)), MAX];
      await withCollection({ pk: 'int64', rows: shuffled(keys).map((pk) => ({ pk })) }, async ({ collection }) => {
        const seen: string[] = [];
        const scan = async () => {
          for await (const page of store.reader.scan(collection, { pageSize: 100 })) seen.push(...page.map((r) => String(r.pk)));
        };
        if (milvusFlavor() === 'real') {
          // Real Milvus 2.3.5 counts the row but no query returns it (docs/milvus-paging.md).
          const unreadable = /1 row\(s\) keyed 9223372036854775807 \(the int64 maximum\) but no query returns them/;
          await expect(scan()).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringMatching(unreadable) });
          expect(seen).toEqual(sortKeys(keys, 'int64').slice(0, -1));
          await expect(store.reader.getByKeys(collection, 'pk', ['1', MAX], [])).rejects.toMatchObject({
            code: 'STORE_ERROR',
            message: expect.stringMatching(unreadable),
          });
        } else {
          await scan();
          expect(seen).toEqual(sortKeys(keys, 'int64'));
          expect((await store.reader.getByKeys(collection, 'pk', ['1', MAX], [])).map((r) => r.pk).sort()).toEqual(['1', MAX]);
        }
        expect(await store.reader.getByKeys(collection, 'pk', ['1', '2'], [])).toHaveLength(2); // lookups without it are unaffected
      });
    },
    SLOW_SCAN_TIMEOUT_MS,
  );

  it('a row keyed INT64_MIN (a literal real Milvus cannot parse) is scanned, bounded and looked up exactly on both servers', async () => {
    const MIN = '-9223372036854775808';
    const keys = [MIN, '-9223372036854775807', '-5', ...Array.from({ length: 20 }, (_, i) => String(i))];
    await withCollection({ pk: 'int64', rows: shuffled(keys).map((pk) => ({ pk })) }, async ({ collection }) => {
      const sorted = sortKeys(keys, 'int64');
      // Pages of one row: the cursor is INT64_MIN after the first page, so the next page asks for `pk > MIN`.
      expect((await scanAll(store, collection, { pageSize: 1 })).rows.map((r) => r.pk)).toEqual(sorted);
      expect((await scanAll(store, collection, { after: MIN })).rows.map((r) => r.pk)).toEqual(sorted.slice(1));
      expect((await scanAll(store, collection, { upTo: MIN })).rows.map((r) => r.pk)).toEqual([MIN]);
      expect((await store.reader.getByKeys(collection, 'pk', [MIN, '3'], [])).map((r) => r.pk).sort()).toEqual([MIN, '3'].sort());
      expect((await store.reader.getByKeys(collection, 'pk', [MIN], [])).map((r) => r.pk)).toEqual([MIN]);
    });
    // The capability table recognises both servers (no "assuming 2.3" note).
    const caps = store.reader.capabilities();
    expect(caps).toMatchObject({ server: milvusFlavor() === 'real' ? 'milvus' : 'milvus-lite', notes: [] });
  });

  it('honours after/upTo bounds, a filter, outputFields, and counts with a filter', async () => {
    const rows = shuffled(Array.from({ length: 600 }, (_, i) => ({ pk: String(i), model: i % 3 === 0 ? 'v2' : 'v1' })));
    await withCollection({ pk: 'int64', scalars: [{ name: 'model', type: 'varchar' }], rows }, async ({ collection }) => {
      const bounded = await scanAll(store, collection, { pageSize: 50, after: '99', upTo: '250' });
      expect(bounded.rows.map((r) => r.pk)).toEqual(Array.from({ length: 151 }, (_, i) => String(i + 100)));

      const filtered = await scanAll(store, collection, { pageSize: 40, filter: 'model == "v2"', outputFields: ['model'] });
      expect(filtered.rows.map((r) => r.pk)).toEqual(Array.from({ length: 200 }, (_, i) => String(i * 3)));
      expect(filtered.rows.every((r) => r.model === 'v2')).toBe(true);

      expect(await store.reader.count(collection, { filter: 'model == "v2"' })).toBe(200);
      expect(await store.reader.count(collection, { filter: 'pk > 500' })).toBe(99);
      await expect(scanAll(store, collection, { after: '1 || true' })).rejects.toMatchObject({ code: 'USAGE' });
    });
  });

  it('scans varchar keys with quotes, backslashes, spaces and unicode in UTF-8 byte order', async () => {
    const odd = ['a"b', "it's", 'back\\slash', '\\"', 'sp ace', ' lead', 'ünï', '😀', '｡', '\uffff', 'z', 'A', 'new\nline', '"', "'"];
    const keys = [...odd, ...Array.from({ length: 400 }, (_, i) => `${odd[i % odd.length]}-${i}`)];
    await withCollection({ pk: 'varchar', rows: shuffled(keys).map((pk) => ({ pk })) }, async ({ collection }) => {
      const { rows } = await scanAll(store, collection, { pageSize: 25 });
      expect(rows.map((r) => r.pk)).toEqual(sortKeys(keys, 'varchar'));
      // JS sort would put the emoji before U+FF61; byte order puts it last.
      expect(rows.at(-1)!.pk).toMatch(/^😀/);

      const got = await store.reader.getByKeys(collection, 'pk', ['a"b', 'back\\slash', '😀', 'missing'], []);
      expect(got.map((r) => r.pk).sort()).toEqual(['a"b', 'back\\slash', '😀'].sort());
      const bounded = await scanAll(store, collection, { after: 'a"b', upTo: 'z', pageSize: 10 });
      expect(bounded.rows.map((r) => r.pk)).toEqual(
        sortKeys(keys, 'varchar').filter((k) => compareKeys(k, 'a"b', 'varchar') > 0 && compareKeys(k, 'z', 'varchar') <= 0),
      );
    });
  });

  it(
    'pages by a non-primary scalar key with many rows per value, keeping each value whole and adjacent',
    async () => {
      // 2,000 chunks over 37 documents (~54 chunks each), pages of 20: every document spans pages.
      const rows = shuffled(Array.from({ length: 2000 }, (_, i) => ({ pk: String(i), document_id: String(((i * 13) % 37) - 5) })));
      await withCollection({ pk: 'int64', scalars: [{ name: 'document_id', type: 'int64' }], rows }, async ({ collection }) => {
        const { rows: out } = await scanAll(store, collection, { keyField: 'document_id', pageSize: 20 });
        expect(out.map((r) => r.document_id)).toEqual(
          sortKeys(
            rows.map((r) => r.document_id),
            'int64',
          ),
        );
        // The server always adds the primary key to query output; nothing else is fetched.
        expect(Object.keys(out[0]!).sort()).toEqual(['document_id', 'pk']);
        const withPk = await scanAll(store, collection, {
          keyField: 'document_id',
          outputFields: ['pk'],
          pageSize: 20,
          after: '0',
          upTo: '10',
        });
        const pks = withPk.rows.map((r) => r.pk as string);
        expect(new Set(pks).size).toBe(pks.length);
        expect(pks.sort()).toEqual(
          rows
            .filter((r) => Number(r.document_id) > 0 && Number(r.document_id) <= 10)
            .map((r) => r.pk)
            .sort(),
        );
      });
    },
    SLOW_SCAN_TIMEOUT_MS,
  );

  it('returns each re-inserted primary key once, in order (Milvus hides the older copy, Lite replaces it)', async () => {
    // Real Milvus keeps both copies and count(*) counts both, but its query answers collapse them to
    // one row per key; Milvus Lite replaces the row (upsert). Either way: 300 keys, each once.
    const first = Array.from({ length: 300 }, (_, i) => ({ pk: String(i), gen: 'first' }));
    const again = Array.from({ length: 11 }, (_, i) => ({ pk: String(100 + i), gen: 'second' }));
    await withCollection({ pk: 'int64', scalars: [{ name: 'gen', type: 'varchar' }], rows: shuffled(first) }, async (fx) => {
      await insertRows(fx, again);
      const lite = (await store.reader.version()).startsWith('milvus_lite');
      expect(await store.reader.count(fx.collection)).toBe(lite ? 300 : 311);
      const { rows } = await scanAll(store, fx.collection, { pageSize: 30, outputFields: ['gen'] });
      expect(rows.map((r) => r.pk)).toEqual(
        sortKeys(
          first.map((r) => r.pk),
          'int64',
        ),
      );
      if (lite) expect(rows.filter((r) => r.gen === 'second').map((r) => r.pk)).toEqual(again.map((r) => r.pk));
    });
  });

  it('a scan reads at one server timestamp on real Milvus (rows written just before it included), Strong per query on Milvus Lite', async () => {
    // The SDK client as the connector gets it, with its query requests recorded.
    const recording = (sent: Array<Record<string, unknown>>, allocTimestamp?: AllocTimestamp): MilvusDriver => {
      return async (options) => {
        const client = await sdkDriver(options);
        const query = client.query.bind(client);
        client.query = (req) => {
          sent.push(req as unknown as Record<string, unknown>);
          return query(req);
        };
        if (allocTimestamp) client.allocTimestamp = allocTimestamp;
        return client;
      };
    };
    await withCollection({ pk: 'int64', rows: Array.from({ length: 250 }, (_, i) => ({ pk: String(i) })) }, async (fx) => {
      await insertRows(
        fx,
        Array.from({ length: 50 }, (_, i) => ({ pk: String(1000 + i) })),
      ); // not flushed
      const sent: Array<Record<string, unknown>> = [];
      const own = await connectMilvus({ address: MILVUS_ADDRESS }, { driver: recording(sent) });
      try {
        const { rows } = await scanAll(own, fx.collection, { pageSize: 40 });
        expect(rows).toHaveLength(300);
        expect(sent.length).toBeGreaterThan(8);
        if (milvusFlavor() === 'real') {
          expect(own.reader.capabilities().pinnedReads).toBe(true);
          const stamps = [...new Set(sent.map((r) => r.guarantee_timestamp))];
          expect(stamps).toHaveLength(1); // every page and count of the scan at the same time
          expect(sent.every((r) => r.consistency_level === 4)).toBe(true); // Customized: the timestamp as given
          // A hybrid timestamp of the server's clock: physical milliseconds above 18 logical bits.
          const physicalMs = Number(BigInt(String(stamps[0])) >> 18n);
          expect(Math.abs(physicalMs - Date.now())).toBeLessThan(60_000);
        } else {
          expect(own.reader.capabilities().pinnedReads).toBe(false);
          expect(sent.every((r) => r.consistency_level === 0 && r.guarantee_timestamp === undefined)).toBe(true);
        }
      } finally {
        await own.close();
      }
      // A server whose timestamp call fails: Strong per query, the same rows.
      const strong: Array<Record<string, unknown>> = [];
      const failing = await connectMilvus(
        { address: MILVUS_ADDRESS },
        { driver: recording(strong, () => Promise.reject(new Error('14 UNAVAILABLE: AllocTimestamp failed'))) },
      );
      try {
        const { rows } = await scanAll(failing, fx.collection, { pageSize: 40 });
        expect(rows).toHaveLength(300);
        expect(strong.length).toBeGreaterThan(8);
        expect(strong.every((r) => r.consistency_level === 0 && r.guarantee_timestamp === undefined)).toBe(true);
      } finally {
        await failing.close();
      }
    });
  });

  it('restricts scan and count to the partitions asked for', async () => {
    await withCollection({ pk: 'int64', rows: Array.from({ length: 200 }, (_, i) => ({ pk: String(i) })) }, async (fx) => {
      // Rows 1000..1149 go to partition p_extra (created and released/loaded by the test's own client).
      await fx.client.releaseCollection({ collection_name: fx.collection });
      for (const partition_name of ['p_extra', 'p_empty']) {
        expect((await fx.client.createPartition({ collection_name: fx.collection, partition_name })).error_code).toBe('Success');
      }
      const extra = shuffled(Array.from({ length: 150 }, (_, i) => String(1000 + i)));
      const res = await fx.client.insert({
        collection_name: fx.collection,
        partition_name: 'p_extra',
        data: extra.map((pk) => ({ pk, vec: [0, 1, 2, 3] })),
      });
      expect(res.status.error_code).toBe('Success');
      expect((await fx.client.loadCollection({ collection_name: fx.collection })).error_code).toBe('Success');

      expect(await store.reader.count(fx.collection)).toBe(350);
      expect(await store.reader.count(fx.collection, { partitions: ['p_extra'] })).toBe(150);
      expect(await store.reader.count(fx.collection, { partitions: ['p_extra'], filter: 'pk >= 1100' })).toBe(50);
      const { rows } = await scanAll(store, fx.collection, { partitions: ['p_extra'], pageSize: 20 });
      expect(rows.map((r) => r.pk)).toEqual(sortKeys(extra, 'int64'));
      // An empty partition: Milvus Lite's unfiltered count(*) would say 350 here; the reader says 0.
      expect(await store.reader.count(fx.collection, { partitions: ['p_empty'] })).toBe(0);
      expect((await scanAll(store, fx.collection, { partitions: ['p_empty'] })).rows).toEqual([]);
    });
  });

  it('gets rows by key in batches, int64 above 2^53 included', async () => {
    const keys = [...Array.from({ length: 2500 }, (_, i) => String(i)), '9007199254740993'];
    await withCollection(
      { pk: 'int64', scalars: [{ name: 'tag', type: 'varchar' }], rows: keys.map((pk) => ({ pk, tag: `t${pk}` })) },
      async ({ collection }) => {
        // Every other key, one key twice (returned once) and one absent key.
        const want = [...keys.filter((_, i) => i % 2 === 0), '9007199254740993', '-1'];
        const got = await store.reader.getByKeys(collection, 'pk', want, ['tag']);
        expect(got.map((r) => r.pk).sort()).toEqual(keys.filter((_, i) => i % 2 === 0).sort());
        expect(got.find((r) => r.pk === '9007199254740993')).toEqual({ pk: '9007199254740993', tag: 't9007199254740993' });
        expect(await store.reader.getByKeys(collection, 'pk', [], ['tag'])).toEqual([]);
      },
    );
  });

  it('describes a collection (fields, dims, primary key) and its load state', async () => {
    await withCollection(
      { pk: 'varchar', scalars: [{ name: 'document_id', type: 'int64' }], rows: [{ pk: 'a', document_id: '1' }] },
      async ({ collection, client }) => {
        const info = await store.reader.describeCollection(collection);
        expect(info.name).toBe(collection);
        expect(info.primaryKey).toEqual({ name: 'pk', type: 'varchar' });
        expect(info.fields.find((f) => f.name === 'vec')).toMatchObject({ dataType: 'FloatVector', dim: DIM, isPrimaryKey: false });
        expect(info.fields.find((f) => f.name === 'pk')).toMatchObject({ dataType: 'VarChar', maxLength: 512, isPrimaryKey: true });
        expect(info.fields.find((f) => f.name === 'document_id')).toMatchObject({ dataType: 'Int64' });
        expect(await store.reader.loadState(collection)).toBe('loaded');

        // Released (by the test's own client): the reader says so and refuses to scan an "empty" collection.
        await client.releaseCollection({ collection_name: collection });
        expect(await store.reader.loadState(collection)).toBe('not-loaded');
        const notLoaded = { code: 'STORE_ERROR', message: expect.stringMatching(/collection "[^"]+": collection is not loaded/) };
        await expect(scanAll(store, collection)).rejects.toMatchObject(notLoaded);
        await expect(store.reader.count(collection, { filter: 'pk != ""' })).rejects.toMatchObject(notLoaded);
        await expect(store.reader.getByKeys(collection, 'pk', ['a'], [])).rejects.toMatchObject(notLoaded);
        // Milvus Lite answers an unfiltered count(*) from its statistics even when released; Milvus does not.
        if ((await store.reader.version()).startsWith('milvus_lite')) expect(await store.reader.count(collection)).toBe(1);
        else await expect(store.reader.count(collection)).rejects.toMatchObject(notLoaded);
      },
    );
  });

  it('rejects key fields that do not exist or are not int64/varchar', async () => {
    await withCollection({ pk: 'int64', rows: [{ pk: '1' }] }, async ({ collection }) => {
      await expect(scanAll(store, collection, { keyField: 'vec' })).rejects.toMatchObject({ code: 'USAGE' });
      await expect(scanAll(store, collection, { keyField: 'nope' })).rejects.toMatchObject({ code: 'STORE_MISSING_OBJECT' });
      await expect(scanAll(store, collection, { outputFields: ['nope'] })).rejects.toMatchObject({ code: 'STORE_MISSING_OBJECT' });
      await expect(scanAll(store, collection, { filter: 'pk >>= 1' })).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });
  });

  it('gives STORE_MISSING_OBJECT for a collection that does not exist', async () => {
    const name = 'dbcheck_no_such_collection';
    for (const attempt of [
      () => store.reader.describeCollection(name),
      () => store.reader.count(name),
      () => store.reader.loadState(name),
      () => scanAll(store, name),
      () => store.reader.getByKeys(name, 'pk', ['1'], []),
    ]) {
      const err = await attempt().then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err?.code).toBe('STORE_MISSING_OBJECT');
      expect(err?.message).toContain(`Milvus at ${MILVUS_ADDRESS}: object not found (collection "${name}" does not exist`);
    }
  });

  it('stops a scan with CANCELLED when the signal fires between pages', async () => {
    await withCollection({ pk: 'int64', rows: Array.from({ length: 500 }, (_, i) => ({ pk: String(i) })) }, async ({ collection }) => {
      const ac = new AbortController();
      let pages = 0;
      const run = async () => {
        for await (const _page of store.reader.scan(collection, { pageSize: 50, signal: ac.signal })) {
          pages++;
          ac.abort();
        }
      };
      await expect(run()).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(pages).toBe(1);
    });
  });
});
