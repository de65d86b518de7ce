/**
 * orphan-scan, Milvus relation: how far is the check from reading every (pk, field) pair once?
 *
 *   npx tsx bench/orphan-scan-milvus.ts [--rows 100000] [--rounds 1] [--server real|lite] [--layout spread|consecutive]
 *   node --expose-gc --import tsx bench/orphan-scan-milvus.ts --only-check --collection C --schema S --rows N [--heap-snapshots 60,180]
 *
 * --only-check runs the check alone (no floor) on data an earlier run left (collection C, schema S
 * with its `documents`), and leaves that data in place; --heap-snapshots writes a V8 heap snapshot
 * that many seconds into each check (to compare what the check's heap holds as it grows).
 *
 * Seeds a collection of `rows` entities (int64 pks above 2^53, an int64 `document_id` with ~4
 * entities per document, a 2-dim vector; --layout spread, the default, puts a document's entities
 * far apart in pk order, the worst case: every page of 16,384 names 16,384 distinct documents; consecutive
 * gives each document 4 consecutive pks, as a RAG app that inserts a document's chunks together) and a Postgres `documents` table missing 1% of the
 * documents, then times, interleaved per round:
 * - floor: `pk > last` pages of 16384 with output [pk, document_id], trusting the server's order
 *   (true on real Milvus; on Milvus Lite the floor is offset + limit pages instead), read at one
 *   server timestamp taken first on real Milvus (the read guarantee of dbcheck's scan there), and
 *   with Strong consistency per query (issue 13's first floor, real Milvus only: shown beside);
 * - check: orphan-scan with one Milvus relation, through the real engine (test/helpers/run-check.ts).
 * Prints seconds, the ratio floor/check and the check's peak RSS growth. Drops what it made.
 */
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import check from '../checks/orphan-scan/index.js';
import { allocTimestamp } from './reference-integrity/key-floor.js';
import { runCheck } from '../test/helpers/run-check.js';
import { createPgSchema, MILVUS_LITE_ADDRESS, MILVUS_REAL_ADDRESS, uniqueName } from '../test/helpers/stores.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '1' },
    server: { type: 'string', default: 'real' },
    'only-check': { type: 'boolean', default: false },
    collection: { type: 'string' },
    schema: { type: 'string' },
    'heap-snapshots': { type: 'string', default: '' },
    layout: { type: 'string', default: 'spread' },
  },
});
if (values.layout !== 'spread' && values.layout !== 'consecutive') throw new Error('--layout must be spread or consecutive');
const ROWS = Number(values.rows);
const ROUNDS = Number(values.rounds);
const lite = values.server === 'lite';
const address = lite ? MILVUS_LITE_ADDRESS : MILVUS_REAL_ADDRESS;
const PAGE = 16_384;
const BASE = 9_007_199_254_740_993n;

const admin = new MilvusClient({ address, telemetry: { enabled: false }, logLevel: 'error', timeout: 900_000 } as any);
await admin.connectPromise;
const onlyCheck = values['only-check'];
if (onlyCheck && !(values.collection && values.schema))
  throw new Error('--only-check needs --collection and --schema (data of an earlier run)');
const collection = onlyCheck ? values.collection! : uniqueName('bench_orphan');
const pg = onlyCheck ? { schema: values.schema!, cleanup: async () => {} } : await createPgSchema('bench_orphan');
const snapshotAt = values['heap-snapshots'] ? values['heap-snapshots'].split(',').map(Number) : [];
const documents = Math.ceil(ROWS / 4);

async function seed() {
  if (!('client' in pg)) return;
  await pg.client.query(`CREATE TABLE "${pg.schema}".documents (id bigint PRIMARY KEY)`);
  // Every document except each 100th: 1% of the documents (and their entities) are orphans.
  await pg.client.query(
    `INSERT INTO "${pg.schema}".documents SELECT $1::bigint + g FROM generate_series(0, $2::int - 1) g WHERE g % 100 <> 7`,
    [String(BASE), documents],
  );
  await pg.client.query(`ANALYZE "${pg.schema}".documents`);
  await admin.createCollection({
    collection_name: collection,
    fields: [
      { name: 'pk', data_type: DataType.Int64, is_primary_key: true, autoID: false },
      { name: 'document_id', data_type: DataType.Int64 },
      { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
    ],
  });
  for (let i = 0; i < ROWS; i += 20_000) {
    const data = [];
    for (let j = i; j < Math.min(ROWS, i + 20_000); j++) {
      // spread: entity j belongs to document (j * 7919) mod documents, far apart in pk order;
      // consecutive: entities 4d..4d+3 belong to document d.
      const doc = values.layout === 'spread' ? (j * 7919) % documents : Math.floor(j / 4);
      data.push({ pk: String(BASE + BigInt(j)), document_id: String(BASE + BigInt(doc)), vec: [1, j % 5] });
    }
    const res = await admin.insert({ collection_name: collection, data });
    if (res.status.error_code !== 'Success') throw new Error(`insert: ${res.status.reason}`);
  }
  await admin.createIndex({ collection_name: collection, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
  await admin.loadCollection({ collection_name: collection });
}

async function floor(pinned: boolean) {
  const t0 = performance.now();
  let rows = 0;
  let last: string | undefined;
  const readAt = pinned ? { consistency_level: 4, guarantee_timestamp: await allocTimestamp(admin) } : { consistency_level: 'Strong' };
  for (let offset = 0; ; offset += PAGE) {
    const res = await admin.query({
      collection_name: collection,
      filter: lite || last === undefined ? '' : `pk > ${last}`,
      output_fields: ['pk', 'document_id'],
      limit: PAGE,
      ...(lite ? { offset } : {}),
      ...(readAt as any),
    });
    if (res.status.error_code !== 'Success') throw new Error(`floor query: ${res.status.reason}`);
    rows += res.data.length;
    last = res.data.at(-1)?.pk as string | undefined;
    if (res.data.length < PAGE) break;
  }
  return { s: (performance.now() - t0) / 1000, rows };
}

/** Under `node --expose-gc`: the live heap after a full GC, every 2 s of the check (what it keeps). */
const gc = (globalThis as { gc?: () => void }).gc;
const liveMb = () => (gc ? (gc(), process.memoryUsage().heapUsed / 2 ** 20) : 0);

async function scan() {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const live: number[] = [liveMb()];
  const liveTimer = gc ? setInterval(() => live.push(liveMb()), 2000) : undefined;
  const snapshots = snapshotAt.map((sec) => setTimeout(() => console.log(`heap snapshot at ${sec} s: ${writeHeapSnapshot()}`), sec * 1000));
  const t0 = performance.now();
  const result = await runCheck(check, {
    stores: { milvus: { address } },
    maxFindings: 10,
    options: {
      milvus: [{ name: 'vectors', collection, field: 'document_id', parent: { schema: pg.schema, table: 'documents', column: 'id' } }],
    },
  });
  const s = (performance.now() - t0) / 1000;
  clearInterval(timer);
  clearInterval(liveTimer);
  for (const t of snapshots) clearTimeout(t);
  const stats = (result.stats.relations as any).vectors;
  if (result.status !== 'fail' || stats.entities !== ROWS)
    throw new Error(`unexpected result: ${result.status} ${JSON.stringify(stats)} ${JSON.stringify(result.error)}`);
  const q = (f: number) => live[Math.min(live.length - 1, Math.floor(live.length * f))]!.toFixed(0);
  const liveText = gc
    ? `, live heap start ${q(0)} / 25% ${q(0.25)} / 50% ${q(0.5)} / 75% ${q(0.75)} / end ${q(1)} / max ${Math.max(...live).toFixed(0)} MB`
    : '';
  return { s, orphanParents: stats.orphanParentKeys, orphanEntities: stats.orphanEntities, rssGrowthMb: (peak - rss0) / 2 ** 20, liveText };
}

try {
  const t = performance.now();
  if (!onlyCheck) await seed();
  console.log(
    `${onlyCheck ? 'reused' : 'seeded'} ${ROWS} entities / ${documents} documents (${values.layout}) on ${values.server} Milvus (${address}) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  for (let round = 1; round <= ROUNDS; round++) {
    const f = onlyCheck ? { s: Number.NaN, rows: 0 } : await floor(!lite);
    const strong = onlyCheck || lite ? undefined : await floor(false);
    const c = await scan();
    const strongText = strong ? ` | Strong floor ${strong.s.toFixed(1)} s: check/Strong floor ${(strong.s / c.s).toFixed(2)}x` : '';
    console.log(
      `round ${round}: floor ${f.s.toFixed(1)} s (${f.rows} pairs${lite ? '' : ', one read timestamp'}) | check ${c.s.toFixed(1)} s, ${c.orphanParents} orphan parents, ` +
        `${c.orphanEntities} orphan entities, peak RSS +${c.rssGrowthMb.toFixed(0)} MB${c.liveText} | check/floor speed ${(f.s / c.s).toFixed(2)}x${strongText}`,
    );
  }
} finally {
  if (!onlyCheck) await admin.dropCollection({ collection_name: collection }).catch(() => {});
  await admin.closeConnection();
  await pg.cleanup();
}
