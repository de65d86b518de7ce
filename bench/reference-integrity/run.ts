/**
 * reference-integrity benchmark: dbcheck `full` against the floor of each store, peak RSS at two
 * sizes, planted vs found.
 *
 *   npx tsx bench/reference-integrity/run.ts --rows 100000 [--pg-rows 10000000] [--rounds 1] [--server lite|real] [--shards K]
 *
 * --rows N      both stores hold N keys (plus N/4 for the second RSS size); Milvus Lite is pure
 *               Python: ~25 s to insert 100k entities and O(N) per query/count, so keep N <= ~200k.
 * --pg-rows P   Postgres-only scale run: P rows against the N-entity collection (0 skips it).
 * --rounds R    interleaved rounds of floor and dbcheck runs at N (medians printed).
 * --shards K    instead of the rounds: one whole full run at N (Postgres rows: --pg-rows if given,
 *               else N), then shards 0/K .. K-1/K one after the other; rows each read from Postgres
 *               and Milvus, and each shard's time against the whole run's (a ratio, same run).
 * --server S    lite (default: Milvus Lite, 127.0.0.1:19530, key = scalar field item_id) or real
 *               (Milvus 2.3.5 standalone, 127.0.0.1:19540, key = the primary key; its Milvus floor is
 *               `key > last` pages of 16384 trusting the server's order, the key-read floor, read at
 *               one server timestamp as dbcheck's scan reads; the same pages with Strong
 *               consistency per query, issue 13's first floor, are shown beside it).
 *
 * Data is generated once into schema dbcheck_bench and collections dbcheck_bench_items_<n>, and
 * reused (generate.ts). Every measured run is a child process (child.ts), so its peak RSS is its own.
 * Floors: psql `\copy (SELECT id ... ORDER BY id) to /dev/null`; the pg client + pg-copy-streams
 * streaming the same COPY to nowhere; the Milvus SDK reading every key in disjoint value ranges
 * (key field only, Strong, nothing ordered or confirmed: the least work that gets every key out).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { MILVUS_LITE_ADDRESS, MILVUS_REAL_ADDRESS, PG_DATABASE, PG_HOST, PG_PORT, PG_USER, pgAdmin } from '../../test/helpers/stores.js';
import { ensureMilvus, ensurePostgres, planted, SCHEMA, tableName } from './generate.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    'pg-rows': { type: 'string' },
    rounds: { type: 'string', default: '1' },
    server: { type: 'string', default: 'lite' },
    shards: { type: 'string', default: '0' },
  },
});
if (values.server !== 'lite' && values.server !== 'real') throw new Error('--server must be lite or real');
const REAL = values.server === 'real';
const MILVUS_ADDRESS = REAL ? MILVUS_REAL_ADDRESS : MILVUS_LITE_ADDRESS;
// Children read the server from the test helpers' variable and the collection from BENCH_BY_PK.
const childEnv = { ...process.env, DBCHECK_TEST_MILVUS: values.server, BENCH_BY_PK: REAL ? '1' : '0' };
const N = Number(values.rows);
const SMALL = Math.floor(N / 4);
const SHARDS = Number(values.shards);
// Default 10M for the scale run; with --shards, only when given (the shards then read P Postgres rows against N entities).
const P = Number(values['pg-rows'] ?? (SHARDS > 1 ? 0 : 10_000_000));
const ROUNDS = Number(values.rounds);
const log = (s: string) => process.stderr.write(`${s}\n`);

interface ChildResult {
  what: string;
  ms: number;
  /** CPU seconds of the child (user + system). */
  cpuS?: number;
  maxRssMB: number;
  status?: string;
  countsByCode?: Record<string, number>;
  stats?: Record<string, number>;
  error?: unknown;
}

function child(...args: string[]): Promise<ChildResult> {
  const script = fileURLToPath(new URL('./child.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`child ${args.join(' ')} exited ${code}: ${out.slice(-500)}`));
      }
    });
  });
}

function psqlCopy(rows: number): Promise<ChildResult> {
  const sql = `\\copy (SELECT id FROM ${SCHEMA}.${tableName(rows)} ORDER BY id) to /dev/null`;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn('psql', ['-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, '-d', PG_DATABASE, '-qc', sql], { stdio: 'inherit' });
    p.on('close', (code) =>
      code === 0
        ? resolve({ what: 'psql', ms: Math.round(performance.now() - t0), maxRssMB: 0 })
        : reject(new Error(`psql exited ${code}`)),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms: number) => (ms / 1000).toFixed(1);
/** Median time, and the median CPU seconds of the same runs: ` (CPU n)`. */
const cpuText = (rs: ChildResult[]) => (rs[0]?.cpuS === undefined ? '' : ` (CPU ${median(rs.map((x) => x.cpuS ?? 0)).toFixed(1)})`);

// 1. Data, generated once and reused.
const pgClient = await pgAdmin();
for (const n of [SMALL, N, ...(P ? [P] : [])]) await ensurePostgres(pgClient, n, log);
await pgClient.end();
const milvus = new MilvusClient({ address: MILVUS_ADDRESS, telemetry: { enabled: false }, logLevel: 'error', timeout: 900_000 } as any);
await milvus.connectPromise;
for (const n of [SMALL, N]) await ensureMilvus(milvus, n, log, REAL);
await milvus.closeConnection();

// --shards K: what one shard of K reads, and how long it takes, against the whole run.
if (SHARDS > 1) {
  const pgRows = String(P || N);
  log(`whole run, then ${SHARDS} shards: ${pgRows} rows against ${N} entities`);
  const whole = await child('check', pgRows, String(N), 'full');
  const shards: ChildResult[] = [];
  for (let i = 0; i < SHARDS; i++) shards.push(await child('check', pgRows, String(N), 'full', `${i}/${SHARDS}`));
  const row = (label: string, r: ChildResult) =>
    `| ${label} | ${r.stats?.postgresRowsRead} | ${r.stats?.milvusEntitiesRead} | ${r.stats?.rowsCompared} | ${secs(r.ms)} | ${(r.ms / whole.ms).toFixed(2)} |`;
  const lines = [
    '| run | Postgres rows read | Milvus entities read | keys compared | time (s) | time / whole run |',
    '|---|---|---|---|---|---|',
    row('whole run', whole),
    ...shards.map((r, i) => row(`shard ${i}/${SHARDS}`, r)),
  ];
  const compared = shards.reduce((n, r) => n + (r.stats?.rowsCompared ?? 0), 0);
  console.log(
    `reference-integrity --shard on ${REAL ? 'real Milvus' : 'Milvus Lite'} (${MILVUS_ADDRESS}), ${pgRows} rows against ${N} entities; shards run one after the other; times include a ~1-2 s process start\n`,
  );
  console.log(lines.join('\n'));
  console.log(`\nkeys compared, shards summed: ${compared} (whole run: ${whole.stats?.rowsCompared})`);
  process.exit(0);
}

// 2. Interleaved rounds at N: floors and dbcheck full.
const runs: Record<string, ChildResult[]> = { psql: [], pgCopy: [], milvus: [], pinned: [], pager: [], full: [] };
for (let r = 0; r < ROUNDS; r++) {
  log(`round ${r + 1}/${ROUNDS} at ${N}`);
  runs.psql.push(await psqlCopy(N));
  runs.pgCopy.push(await child('pg-copy', String(N)));
  runs.milvus.push(await child(REAL ? 'milvus-pages' : 'milvus-ranges', String(N)));
  if (REAL) runs.pinned.push(await child('milvus-pages-pinned', String(N)));
  runs.pager.push(await child('milvus-scan', String(N)));
  runs.full.push(await child('check', String(N), String(N), 'full'));
}
log(`full at ${SMALL}`);
const small = await child('check', String(SMALL), String(SMALL), 'full');

// 3. Postgres at scale.
let scale: { psql: ChildResult; pgCopy: ChildResult; core: ChildResult; full: ChildResult; counts: ChildResult } | undefined;
if (P) {
  log(`Postgres at ${P}`);
  scale = {
    psql: await psqlCopy(P),
    pgCopy: await child('pg-copy', String(P)),
    core: await child('pg-core', String(P)),
    full: await child('check', String(P), String(N), 'full'),
    counts: await child('check', String(P), String(N), 'counts'),
  };
}

// 4. Report.
const codes = ['missing-vector', 'orphan-vector', 'duplicate-vector'] as const;
const plantedText = (pgRows: number, mRows: number) => codes.map((c) => planted(pgRows, mRows, REAL)[c]).join(' / ');
const foundText = (r: ChildResult) => codes.map((c) => r.countsByCode?.[c] ?? 0).join(' / ');
const matches = (r: ChildResult, pgRows: number, mRows: number) =>
  r.status !== 'error' && codes.every((c) => (r.countsByCode?.[c] ?? 0) === planted(pgRows, mRows, REAL)[c]);

const fullMs = median(runs.full.map((x) => x.ms));
// On real Milvus the floor that counts is the pinned one: the same read guarantee as dbcheck's scan
// (every write before the scan visible). The Strong floor (issue 13's) is shown beside it.
const strongFloor = median(runs.milvus.map((x) => x.ms));
const milvusFloor = REAL ? median(runs.pinned.map((x) => x.ms)) : strongFloor;
const pgFloor = Math.min(median(runs.psql.map((x) => x.ms)), median(runs.pgCopy.map((x) => x.ms)));
const slowerFloor = Math.max(milvusFloor, pgFloor);
const lines: string[] = [];
lines.push(
  `| run | Postgres rows | Milvus entities | time (s) | floor (s) | floor / dbcheck | peak RSS (MB) | planted missing / orphan / duplicate | found |`,
);
lines.push(`|---|---|---|---|---|---|---|---|---|`);
lines.push(
  `| dbcheck full | ${SMALL} | ~${SMALL} | ${secs(small.ms)} | | | ${small.maxRssMB} | ${plantedText(SMALL, SMALL)} | ${foundText(small)} ${matches(small, SMALL, SMALL) ? 'ok' : 'MISMATCH'} |`,
);
const last = runs.full[runs.full.length - 1];
lines.push(
  `| dbcheck full | ${N} | ~${N} | ${secs(fullMs)}${cpuText(runs.full)} | ${secs(slowerFloor)} (slower store) | ${(slowerFloor / fullMs).toFixed(2)} | ${Math.max(...runs.full.map((x) => x.maxRssMB))} | ${plantedText(N, N)} | ${foundText(last)} ${runs.full.every((x) => matches(x, N, N)) ? 'ok' : 'MISMATCH'} |`,
);
const milvusFloorLabel = REAL
  ? 'floor: Milvus SDK, `key > last` pages of 16384 trusting the order'
  : 'floor: Milvus SDK, disjoint key ranges';
lines.push(
  `| ${milvusFloorLabel} | | ${N} | ${secs(strongFloor)}${cpuText(runs.milvus)} | | ${REAL ? `dbcheck full: ${(strongFloor / fullMs).toFixed(2)}` : ''} | ${median(runs.milvus.map((x) => x.maxRssMB))} | | |`,
);
if (REAL) {
  lines.push(
    `| floor: the same pages read at one server timestamp (dbcheck's read guarantee) | | ${N} | ${secs(milvusFloor)}${cpuText(runs.pinned)} | | | ${median(runs.pinned.map((x) => x.maxRssMB))} | | |`,
  );
}
const pagerMs = median(runs.pager.map((x) => x.ms));
lines.push(
  `| dbcheck's Milvus side alone (connector pager, no merge) | | ${N} | ${secs(pagerMs)}${cpuText(runs.pager)} | ${secs(milvusFloor)} | ${(milvusFloor / pagerMs).toFixed(2)} | ${median(runs.pager.map((x) => x.maxRssMB))} | | |`,
);
lines.push(`| floor: psql \\copy to /dev/null | ${N} | | ${secs(median(runs.psql.map((x) => x.ms)))} | | | | | |`);
lines.push(
  `| floor: pg + pg-copy-streams | ${N} | | ${secs(median(runs.pgCopy.map((x) => x.ms)))} | | | ${median(runs.pgCopy.map((x) => x.maxRssMB))} | | |`,
);
if (scale) {
  const pgScaleFloor = Math.min(scale.psql.ms, scale.pgCopy.ms);
  lines.push(
    `| dbcheck Postgres path (connector COPY + parser + merge) | ${P} | | ${secs(scale.core.ms)} | ${secs(pgScaleFloor)} | ${(pgScaleFloor / scale.core.ms).toFixed(2)} | ${scale.core.maxRssMB} | | |`,
  );
  lines.push(
    `| dbcheck full | ${P} | ~${N} | ${secs(scale.full.ms)} | | | ${scale.full.maxRssMB} | ${plantedText(P, N)} | ${foundText(scale.full)} ${matches(scale.full, P, N) ? 'ok' : 'MISMATCH'} |`,
  );
  lines.push(
    `| dbcheck counts (8 ranges) | ${P} | ~${N} | ${secs(scale.counts.ms)} | | | ${scale.counts.maxRssMB} | | ${scale.counts.countsByCode?.['count-mismatch'] ?? 0} ranges differ |`,
  );
  lines.push(`| floor: psql \\copy to /dev/null | ${P} | | ${secs(scale.psql.ms)} | | | | | |`);
  lines.push(`| floor: pg + pg-copy-streams | ${P} | | ${secs(scale.pgCopy.ms)} | | | ${scale.pgCopy.maxRssMB} | | |`);
}
console.log(
  `reference-integrity benchmark on ${REAL ? 'real Milvus' : 'Milvus Lite'} (${MILVUS_ADDRESS}), ${ROUNDS} round(s); times include a ~1-2 s process start for Node runs; CPU: the client process's user + system seconds)\n`,
);
console.log(lines.join('\n'));
