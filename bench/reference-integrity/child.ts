/**
 * One measured run in its own process (so its peak RSS is its own). Prints one JSON line.
 *   npx tsx bench/reference-integrity/child.ts check <pgRows> <milvusRows> <mode> [<shard i/n>]
 *   npx tsx bench/reference-integrity/child.ts pg-copy <pgRows>      (floor: pg + COPY, bytes discarded)
 *   npx tsx bench/reference-integrity/child.ts milvus-ranges <milvusRows>  (floor: SDK range queries)
 *   npx tsx bench/reference-integrity/child.ts milvus-scan <milvusRows>  (dbcheck's Milvus side alone: the
 *                                                                    connector's ordered pager, no merge)
 *   npx tsx bench/reference-integrity/child.ts pg-core <pgRows>     (dbcheck's Postgres path: connector COPY,
 *                                                                    byte parser and merge, no Milvus side)
 *   npx tsx bench/reference-integrity/child.ts milvus-pages <milvusRows>  (floor on real Milvus: `key > last`
 *                                                                    pages of 16384, trusting the server's order)
 *   npx tsx bench/reference-integrity/child.ts milvus-pages-pinned <milvusRows>  (the same pages read at one
 *                                                                    server timestamp, as dbcheck's scan reads)
 * DBCHECK_TEST_MILVUS=real|lite picks the server; BENCH_BY_PK=1 uses the primary-keyed collection.
 */
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import copyStreams from 'pg-copy-streams';
import check from '../../checks/reference-integrity/index.js';
import { runCheck } from '../../test/helpers/run-check.js';
import { MILVUS_ADDRESS, pgAdmin, testStoresConfig } from '../../test/helpers/stores.js';
import { connectPostgres } from '../../src/stores/postgres/connector.js';
import { connectMilvus } from '../../src/stores/milvus/connector.js';
import { mergeSortedKeys } from '../../checks/lib/id-merge.js';
import { readEveryKey } from './key-floor.js';
import { compareInt64 } from '../../checks/lib/id-order.js';
import { postgresKeyBatches } from '../../checks/lib/id-postgres.js';
import { collectionName, pkCollectionName, plantedIn, SCHEMA, tableName } from './generate.js';

const byPk = process.env.BENCH_BY_PK === '1';
const collectionOf = (n: number) => (byPk ? pkCollectionName(n) : collectionName(n));

const [what, a, b, mode, shard] = process.argv.slice(2);
const t0 = performance.now();
let out: Record<string, unknown> = {};

if (what === 'check') {
  const result = await runCheck(check, {
    maxFindings: 10,
    timeoutMs: 3_600_000,
    ...(shard ? { shard } : {}),
    options: {
      mode,
      mappings: [
        {
          name: 'bench',
          postgres: { schema: SCHEMA, table: tableName(Number(a)), key: 'id' },
          milvus: { collection: collectionOf(Number(b)), key: 'item_id' },
        },
      ],
    },
  });
  out = { status: result.status, error: result.error, countsByCode: result.countsByCode, stats: (result.stats.mappings as any)?.bench };
} else if (what === 'pg-copy') {
  const client = await pgAdmin();
  const stream = client.query(copyStreams.to(`COPY (SELECT id FROM ${SCHEMA}.${tableName(Number(a))} ORDER BY id) TO STDOUT`));
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  await client.end();
  out = { bytes };
} else if (what === 'pg-core') {
  const store = await connectPostgres({ ...(testStoresConfig().postgres as object), statementTimeoutMs: 600_000 });
  let keys = 0;
  async function* nothing() {}
  const left = postgresKeyBatches(store.reader, `SELECT id FROM ${SCHEMA}.${tableName(Number(a))} ORDER BY id`, 1);
  await mergeSortedKeys(left, nothing(), (g) => void (keys += g.left.count), { compare: compareInt64 });
  await store.close();
  out = { keys };
} else if (what === 'milvus-scan') {
  const store = await connectMilvus({ address: MILVUS_ADDRESS, callTimeoutMs: 600_000 });
  let rows = 0;
  for await (const page of store.reader.scan(collectionOf(Number(a)), { keyField: 'item_id', outputFields: ['item_id'], pageSize: 16_384 }))
    rows += page.length;
  await store.close();
  out = { rows };
} else if (what === 'milvus-ranges') {
  // The least work to get every key out with the SDK: disjoint value ranges of <= 16384 keys,
  // key field only, Strong, no ordering or completeness checks.
  const n = Number(a);
  const client = new MilvusClient({ address: MILVUS_ADDRESS, telemetry: { enabled: false }, logLevel: 'error', timeout: 600_000 } as any);
  await client.connectPromise;
  const width = 16_000;
  let rows = 0;
  for (let lo = -plantedIn(n).orphanCount - 1; lo < n; lo += width) {
    const r: any = await client.query({
      collection_name: collectionOf(n),
      filter: `item_id > ${lo} && item_id <= ${lo + width}`,
      output_fields: ['item_id'],
      consistency_level: 'Strong',
    } as any);
    if (r.status?.error_code !== 'Success') throw new Error(JSON.stringify(r.status));
    rows += r.data.length;
  }
  await client.closeConnection();
  out = { rows };
} else if (what === 'milvus-pages') {
  // The key-read floor on real Milvus: `item_id > last` pages of 16384, key field only, Strong,
  // trusting that the server answers the smallest keys, ascending (no count, no sort).
  out = { rows: await readEveryKey(collectionOf(Number(a))) };
} else if (what === 'milvus-pages-pinned') {
  out = { rows: await readEveryKey(collectionOf(Number(a)), {}, true) };
}
console.log(
  JSON.stringify({
    what,
    ms: Math.round(performance.now() - t0),
    // CPU seconds of this process (user + system): on a small machine the client's CPU competes with the servers'.
    cpuS: Number(((process.cpuUsage().user + process.cpuUsage().system) / 1e6).toFixed(1)),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...out,
  }),
);
process.exit(0);
