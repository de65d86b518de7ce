/**
 * What a Milvus scan keeps alive, independent of machine speed: the live heap (after a full GC)
 * sampled at every page, for dbcheck's ordered pager and for the bare SDK floor loop, on the
 * reference-integrity benchmark's collections (generate.ts; real Milvus keys them by primary key).
 *
 *   node --expose-gc --import tsx bench/milvus-heap.ts pager|floor|check <entities>
 *   node --max-old-space-size=64 --import tsx bench/milvus-heap.ts pager <entities>   (capped: completes or dies)
 *
 * `check` is reference-integrity `full` through the engine against Postgres items_<entities>, sampled
 * every 250 ms instead of per page (the merge consumes pages inside the check).
 * DBCHECK_TEST_MILVUS=real|lite picks the server (default lite; BENCH_BY_PK=1 for the pk collection).
 * Prints one JSON line: rows read, pages, live heap + array buffers once connected (base), their max
 * and last value over the samples (MB, only with --expose-gc),
 * peak heap used without forcing GC, peak RSS.
 */
import v8 from 'node:v8';
import check from '../checks/reference-integrity/index.js';
import { runCheck } from '../test/helpers/run-check.js';
import { connectMilvus } from '../src/stores/milvus/connector.js';
import { MILVUS_ADDRESS } from '../test/helpers/stores.js';
import { collectionName, pkCollectionName, SCHEMA, tableName } from './reference-integrity/generate.js';
import { readEveryKey } from './reference-integrity/key-floor.js';

const [what, n] = process.argv.slice(2);
const collection = process.env.BENCH_BY_PK === '1' ? pkCollectionName(Number(n)) : collectionName(Number(n));
const gc = (globalThis as { gc?: () => void }).gc;
const MB = 2 ** 20;
let pages = 0;
let rows = 0;
let maxLive = 0;
let lastLive = 0;
let peakUsed = 0;
/** Called once per page the consumer holds: the heap that survives a full GC at that moment. */
function sample(): void {
  pages++;
  peakUsed = Math.max(peakUsed, v8.getHeapStatistics().used_heap_size);
  if (gc) {
    gc();
    // Typed arrays (the pager's packed keys) live outside the V8 heap: counted in.
    lastLive = v8.getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
    maxLive = Math.max(maxLive, lastLive);
  }
}

let baseLive = 0;
/** The live heap once connected, before the first page: what the process holds anyway. */
function baseline(): void {
  if (!gc) return;
  gc();
  baseLive = v8.getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
}

const t0 = performance.now();
if (what === 'pager') {
  const store = await connectMilvus({ address: MILVUS_ADDRESS, callTimeoutMs: 600_000 });
  baseline();
  for await (const page of store.reader.scan(collection, { keyField: 'item_id', outputFields: ['item_id'], pageSize: 16_384 })) {
    rows += page.length;
    sample();
  }
  await store.close();
} else if (what === 'floor') {
  rows = await readEveryKey(collection, { connected: baseline, onPage: sample });
} else if (what === 'check') {
  baseline();
  const timer = setInterval(sample, 250);
  const result = await runCheck(check, {
    maxFindings: 10,
    timeoutMs: 3_600_000,
    options: {
      mode: 'full',
      mappings: [
        { name: 'bench', postgres: { schema: SCHEMA, table: tableName(Number(n)), key: 'id' }, milvus: { collection, key: 'item_id' } },
      ],
    },
  });
  clearInterval(timer);
  rows = (result.stats.mappings as Record<string, { milvusEntitiesRead: number }>).bench.milvusEntitiesRead;
  if (result.status !== 'fail') throw new Error(`unexpected result: ${result.status} ${JSON.stringify(result.error)}`);
} else {
  throw new Error('usage: milvus-heap.ts pager|floor|check <entities>');
}
console.log(
  JSON.stringify({
    what,
    collection,
    rows,
    pages,
    s: Math.round(performance.now() - t0) / 1000,
    baseLiveMB: gc ? +(baseLive / MB).toFixed(1) : undefined,
    maxLiveMB: gc ? +(maxLive / MB).toFixed(1) : undefined,
    lastLiveMB: gc ? +(lastLive / MB).toFixed(1) : undefined,
    peakHeapUsedMB: +(peakUsed / MB).toFixed(1),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
process.exit(0);
