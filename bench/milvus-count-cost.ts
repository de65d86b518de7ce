/**
 * What a confirmation count costs on real Milvus against a page, and whether its range matters:
 * at four points of the reference-integrity collection, one page (`key > lo`, limit 16384), a
 * count over 8 pages' worth of keys, one over 32 pages' worth, and a page and a count at once.
 *
 *   npx tsx bench/milvus-count-cost.ts [--entities 10000000]
 *
 * Needs the benchmark data (bench/reference-integrity/generate.ts, real Milvus: dbcheck_bench_pk_<n>).
 * Prints one JSON line per point, milliseconds.
 */
import { parseArgs } from 'node:util';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { MILVUS_REAL_ADDRESS } from '../test/helpers/stores.js';
import { pkCollectionName } from './reference-integrity/generate.js';

const { values } = parseArgs({ options: { entities: { type: 'string', default: '10000000' } } });
const n = Number(values.entities);
const client = new MilvusClient({
  address: MILVUS_REAL_ADDRESS,
  telemetry: { enabled: false },
  logLevel: 'error',
  timeout: 600_000,
} as any);
await client.connectPromise;
const collection = pkCollectionName(n);
const page = (lo: number) =>
  client.query({
    collection_name: collection,
    filter: `item_id > ${lo}`,
    output_fields: ['item_id'],
    limit: 16_384,
    consistency_level: 'Strong',
  } as any);
const count = (lo: number, keys: number) =>
  client.query({
    collection_name: collection,
    filter: `item_id > ${lo} && item_id <= ${lo + keys}`,
    output_fields: ['count(*)'],
    consistency_level: 'Strong',
  } as any);
const ms = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  return Math.round(performance.now() - t0);
};
for (let i = 1; i <= 4; i++) {
  const lo = Math.floor((n / 10) * i);
  console.log(
    JSON.stringify({
      at: lo,
      page: await ms(() => page(lo)),
      count8Pages: await ms(() => count(lo, 8 * 16_384)),
      count32Pages: await ms(() => count(lo, 32 * 16_384)),
      pageAndCountAtOnce: await ms(() => Promise.all([page(lo), count(lo, 8 * 16_384)])),
    }),
  );
}
await client.closeConnection();
process.exit(0);
