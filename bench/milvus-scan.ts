/**
 * Milvus scan benchmark: how far is the key-ordered, count-confirmed pager from the least work?
 *
 *   npx tsx bench/milvus-scan.ts [--rows 100000] [--page 4096,16384] [--rounds 1] [--server lite|real | --address host:port]
 *
 * --server lite is Milvus Lite (127.0.0.1:19530), real the Milvus 2.3.5 standalone (127.0.0.1:19540);
 * --address overrides both.
 *
 * Seeds a collection with `rows` shuffled int64 keys (plus a 4-dim vector, indexed and loaded),
 * then times, interleaved per round:
 * - floor: a raw `query` page loop (key field only, Strong) that reads every row once and sorts
 *   nothing: offset + limit on Milvus Lite, `id > last` on real Milvus (see floor());
 * - scan:  MilvusReader.scan (ascending, complete), for each page size.
 * Prints rows/s, the ratio to the floor and the pager's calls per page. Drops the collection.
 */
import { parseArgs } from 'node:util';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { connectMilvus } from '../src/stores/milvus/connector.js';
import { compareKeys } from '../src/stores/milvus/expr.js';
import { scanInKeyOrder, type PagerStats } from '../src/stores/milvus/pager.js';
import { seededShuffle } from '../test/helpers/seeded-shuffle.js';
import { MILVUS_LITE_ADDRESS, MILVUS_REAL_ADDRESS, uniqueName } from '../test/helpers/stores.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    page: { type: 'string', default: '4096,16384' },
    rounds: { type: 'string', default: '1' },
    server: { type: 'string', default: 'lite' },
    address: { type: 'string' },
  },
});
if (values.server !== 'lite' && values.server !== 'real') throw new Error('--server must be lite or real');
values.address ??= values.server === 'real' ? MILVUS_REAL_ADDRESS : MILVUS_LITE_ADDRESS;
const ROWS = Number(values.rows);
const PAGES = values.page!.split(',').map(Number);
const ROUNDS = Number(values.rounds);

const admin = new MilvusClient({ address: values.address!, telemetry: { enabled: false }, logLevel: 'error', timeout: 600_000 } as any);
await admin.connectPromise;
const collection = uniqueName('bench_scan');

async function seed() {
  await admin.createCollection({
    collection_name: collection,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
      { name: 'vec', data_type: DataType.FloatVector, dim: 4 },
    ],
  });
  // Shuffled ids (a fixed LCG permutation), so insertion order is not key order.
  const ids = seededShuffle(
    Array.from({ length: ROWS }, (_, i) => i),
    42,
  );
  for (let i = 0; i < ROWS; i += 5000) {
    const data = ids.slice(i, i + 5000).map((id) => ({ id: String(id * 3 - 1000), vec: [id % 7, 1, 2, 3] }));
    const res = await admin.insert({ collection_name: collection, data });
    if (res.status.error_code !== 'Success') throw new Error(`insert: ${res.status.reason}`);
  }
  await admin.createIndex({ collection_name: collection, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
  await admin.loadCollection({ collection_name: collection });
}

/**
 * The floor: read every row once, in whatever order is cheapest. Milvus Lite: offset + limit pages
 * (no window there). Real Milvus: `id > last` pages (limited answers come smallest-first there, and
 * offset + limit may not pass 16384).
 */
async function floor(pageSize: number, lite: boolean) {
  const t0 = performance.now();
  let rows = 0;
  let last: string | undefined;
  for (let offset = 0; ; offset += pageSize) {
    const res = await admin.query({
      collection_name: collection,
      filter: lite || last === undefined ? '' : `id > ${last}`,
      output_fields: ['id'],
      limit: pageSize,
      ...(lite ? { offset } : {}),
      consistency_level: 'Strong' as any,
    });
    if (res.status.error_code !== 'Success') throw new Error(`floor query: ${res.status.reason}`);
    rows += res.data.length;
    last = res.data.at(-1)?.id as string | undefined;
    if (res.data.length < pageSize) break;
  }
  return { ms: performance.now() - t0, rows };
}

async function scan(reader: Awaited<ReturnType<typeof connectMilvus>>['reader'], pageSize: number) {
  const t0 = performance.now();
  let rows = 0;
  let prev: string | undefined;
  for await (const page of reader.scan(collection, { pageSize })) {
    for (const r of page) {
      const k = r.id as string;
      if (prev !== undefined && compareKeys(prev, k, 'int64') >= 0) throw new Error(`out of order: ${prev} then ${k}`);
      prev = k;
    }
    rows += page.length;
  }
  return { ms: performance.now() - t0, rows };
}

/** The same pager with counters, through a tiny source over the admin client (for calls per page). */
async function pagerStats(pageSize: number): Promise<PagerStats> {
  const stats: PagerStats = { pageQueries: 0, rangeQueries: 0, counts: 0, rows: 0, countMismatches: 0 };
  const expr = (r: { after?: string; upTo?: string; except?: string }) =>
    [r.after && `id > ${r.after}`, r.upTo && `id <= ${r.upTo}`, r.except && `id != ${r.except}`].filter(Boolean).join(' && ');
  const source = {
    async query(r: { after?: string; upTo?: string; except?: string }, limit: number | undefined) {
      const res = await admin.query({
        collection_name: collection,
        filter: expr(r),
        output_fields: ['id'],
        limit,
        consistency_level: 'Strong' as any,
      });
      return res.data;
    },
    async count(r: { after?: string; upTo?: string }) {
      const res = await admin.query({
        collection_name: collection,
        filter: expr(r),
        output_fields: ['count(*)'],
        consistency_level: 'Strong' as any,
      });
      return Number(res.data[0]!['count(*)']);
    },
  };
  for await (const _ of scanInKeyOrder(source, { keyField: 'id', keyType: 'int64', pageSize }, stats));
  return stats;
}

try {
  const t0 = performance.now();
  await seed();
  console.log(`seeded ${ROWS} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s (${collection})`);
  const store = await connectMilvus({ address: values.address! });
  const version = await store.reader.version();
  const lite = version.startsWith('milvus_lite');
  console.log(`server ${version}`);
  const rate = (r: { ms: number; rows: number }) => Math.round(r.rows / (r.ms / 1000));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const pageSize of PAGES) {
      const f = await floor(pageSize, lite);
      const s = await scan(store.reader, pageSize);
      if (s.rows !== ROWS || f.rows !== ROWS) throw new Error(`row counts: floor ${f.rows}, scan ${s.rows}, expected ${ROWS}`);
      console.log(
        `round ${round} page ${pageSize}: floor ${rate(f)} rows/s (${(f.ms / 1000).toFixed(1)} s), ` +
          `scan ${rate(s)} rows/s (${(s.ms / 1000).toFixed(1)} s), scan/floor ${(f.ms / s.ms).toFixed(2)}x`,
      );
    }
  }
  for (const pageSize of PAGES) {
    const st = await pagerStats(pageSize);
    const ranges = st.pageQueries + st.rangeQueries;
    console.log(
      `page ${pageSize}: ${st.pageQueries} page queries, ${st.rangeQueries} range queries, ${st.counts} counts ` +
        `(${(st.counts / Math.max(1, st.rangeQueries || st.pageQueries)).toFixed(2)} counts per emitted range; ${ranges} queries)`,
    );
  }
  await store.close();
} finally {
  await admin.dropCollection({ collection_name: collection }).catch(() => {});
  await admin.closeConnection();
}
