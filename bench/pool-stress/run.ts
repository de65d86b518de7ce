/**
 * Is pool-stress's load generator the bottleneck? Compares, in the same run and at the same
 * concurrency, dbcheck's sustained phase (run through the real engine) against the servers' own
 * load tools:
 *   - Postgres: `pgbench -S` (the select-only script) vs the check running the same SELECT on a
 *     pgbench-initialised database (dbcheck_bench_pgbench, scale 1, created once and kept).
 *   - Redis: `redis-benchmark -t ping,get` vs the check sending PING / GET.
 * Rounds are interleaved and the median of each side is reported, with the ratio (target >= 0.8).
 * For Postgres it also reports client CPU per operation (user + system, µs): the figure that does
 * not depend on how busy the machine is. pgbench's comes from the kernel's account of reaped
 * children (/proc/self/stat cutime + cstime), dbcheck's and node-postgres's from process.cpuUsage()
 * around the run, which counts every thread of the process (getrusage RUSAGE_SELF); dbcheck's
 * includes its connect, burst and thread start-up: a little over its true cost.
 * `--threads J` is pgbench's -j and dbcheck's postgres.threads alike (pgbench -S -c C -j J against
 * the check with poolSize = workers = C on J threads). dbcheck's load pool sends one query per
 * connection at a time, as pgbench does (no pipelining): the comparison is at equal clients and
 * connections. "dbcheck load pool" is that pool alone in a tight loop on one thread, the check without its measurement.
 *
 *   npm run build --silent && npx tsx bench/pool-stress/run.ts [--clients 25] [--threads 1] [--seconds 5] [--rounds 3] [--postgres-only]
 *
 * The check is taken from dist/ (as the CLI runs it): its load threads then start from compiled
 * JavaScript, not through tsx, whose compiling would count as client CPU.
 * Needs pgbench and redis-benchmark on PATH and the local servers of test/helpers/stores.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runCheck } from '../../test/helpers/check-tester.js';
import { PG_HOST, PG_PORT, PG_USER, REDIS_HOST, REDIS_PORT, pgAdmin, testStoresConfig } from '../../test/helpers/stores.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '25' },
    threads: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    // In-flight commands are what redis-benchmark's -c sets; a Node app multiplexes them over a few
    // connections (one connection per in-flight command costs a syscall each way per command).
    'redis-connections': { type: 'string', default: '4' },
    'postgres-only': { type: 'boolean', default: false },
  },
});
const clients = Number(values.clients);
const threads = Number(values.threads);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const redisConnections = Number(values['redis-connections']);
// From dist/ (see above); a computed path, so that typechecking does not need a build.
const DIST_CHECK = new URL('../../dist/checks/pool-stress/index.js', import.meta.url).href;
const poolStress = ((await import(DIST_CHECK)) as typeof import('../../checks/pool-stress/index.js')).default;
const DIST_LOAD = new URL('../../dist/src/load.js', import.meta.url).href;
const { openPostgresLoadPool } = (await import(DIST_LOAD)) as typeof import('../../src/load.js');
const BENCH_DB = 'dbcheck_bench_pgbench';
const SCALE = 1;
// pgbench -S's statement, with the row picked once rather than per transaction (see docs).
const SELECT_SQL = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
}

async function preparePgbenchDatabase(): Promise<void> {
  const admin = await pgAdmin();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DB]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${BENCH_DB}`);
  } finally {
    await admin.end();
  }
  const db = await pgAdmin(BENCH_DB);
  try {
    const t = await db.query("SELECT to_regclass('pgbench_accounts') IS NOT NULL AS ready");
    if (!t.rows[0].ready) sh('pgbench', ['-i', '-q', '-s', String(SCALE), '-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, BENCH_DB]);
  } finally {
    await db.end();
  }
}

/** CPU seconds (user + system) of this process's reaped children, from /proc/self/stat. */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the ")" that closes the command name; cutime and cstime are fields 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(sh('getconf', ['CLK_TCK']).trim()) || 100;

/** Client CPU per operation, in microseconds, for each tool (one sample per round). */
const cpuPerOp: Record<string, number[]> = {};
const recordCpu = (name: string, cpuSeconds: number, ops: number) => (cpuPerOp[name] ??= []).push(ops > 0 ? (cpuSeconds * 1e6) / ops : NaN);
const processCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function pgbench(mode: 'simple' | 'prepared', name: string): number {
  const cpu0 = childrenCpuSeconds();
  const out = sh('pgbench', [
    '-S',
    '-n',
    '-M',
    mode,
    '-c',
    String(clients),
    '-j',
    String(threads),
    '-T',
    String(seconds),
    '-h',
    PG_HOST,
    '-p',
    String(PG_PORT),
    '-U',
    PG_USER,
    BENCH_DB,
  ]);
  const cpu = childrenCpuSeconds() - cpu0;
  const m = /tps = ([\d.]+) \((without initial connection time|excluding connections establishing)\)/.exec(out);
  const processed = /number of transactions actually processed: (\d+)/.exec(out);
  if (!m || !processed) throw new Error(`cannot read pgbench output:\n${out}`);
  recordCpu(name, cpu, Number(processed[1]));
  return Number(m[1]);
}

/** Runs `op` on each of `conns` in a tight loop for `seconds`; returns operations per second. */
async function tightLoop<C>(name: string, conns: C[], op: (c: C) => Promise<unknown>): Promise<number> {
  let done = 0;
  const cpu0 = processCpuSeconds();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < end) {
        await op(c);
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - t0) / 1000);
  recordCpu(name, processCpuSeconds() - cpu0, done);
  return rate;
}

/**
 * What node-postgres itself can do on this machine, without dbcheck:
 * - `pg.Pool.query(sql, params)` as most apps call it (unnamed statement, rows as objects): what
 *   dbcheck's load pool does today;
 * - `clients` raw connections, each looping the SELECT as a named (prepared) statement with array
 *   rows: the driver's ceiling.
 * The distance between these and the check is what dbcheck's own layers cost.
 */
async function nodePgPool(): Promise<number> {
  const pool = new pg.Pool({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: BENCH_DB, max: clients });
  try {
    await Promise.all(Array.from({ length: clients }, () => pool.query(SELECT_SQL, [42])));
    return await tightLoop(
      'node-pg Pool.query',
      Array.from({ length: clients }, () => pool),
      (p) => p.query(SELECT_SQL, [42]),
    );
  } finally {
    await pool.end();
  }
}

async function nodePgCeiling(): Promise<number> {
  const conns = await Promise.all(Array.from({ length: clients }, () => pgAdmin(BENCH_DB)));
  try {
    const query = { name: 'bench_select', text: SELECT_SQL, values: [42], rowMode: 'array' as const };
    await Promise.all(conns.map((c) => c.query(query)));
    return await tightLoop('node-pg ceiling (prepared)', conns, (c) => c.query(query));
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}

/**
 * dbcheck's load pool alone ('dbcheck/load', as a thread opens it): `clients` loops of
 * `pool.query` on a pool of `clients` connections, one query in flight per connection (the pool
 * never pipelines). The distance between this and the check is the check's own cost (histograms,
 * the sampled acquire, the session sampler, connect and burst).
 */
async function dbcheckLoadPool(): Promise<number> {
  const pool = openPostgresLoadPool({
    kind: 'postgres-load-target',
    store: { ...testStoresConfig().postgres, database: BENCH_DB },
    options: { max: clients, acquireTimeoutMs: 5_000, statementTimeoutMs: 5_000, prepare: true },
  });
  try {
    const params = [42];
    await Promise.all(Array.from({ length: clients }, () => pool.query(SELECT_SQL, params)));
    return await tightLoop(
      'dbcheck load pool, one thread',
      Array.from({ length: clients }, () => pool),
      (p) => p.query(SELECT_SQL, params),
    );
  } finally {
    await pool.close();
  }
}

async function dbcheckPostgres(): Promise<number> {
  const cpu0 = processCpuSeconds();
  const result = await runCheck(poolStress, {
    stores: { postgres: { ...testStoresConfig().postgres, database: BENCH_DB }, redis: false, milvus: false },
    options: {
      postgres: {
        poolSize: clients,
        threads,
        query: SELECT_SQL,
        params: [1 + Math.floor(Math.random() * 100_000 * SCALE)],
        // The burst (as in a default run) opens the pool's connections before the timed phase.
        burst: { concurrency: clients },
        exhaustion: { enabled: false },
        slow: { enabled: false },
        sustained: { workers: clients, duration: seconds * 1000, maxOps: 100_000_000 },
      },
    },
  });
  const cpu = processCpuSeconds() - cpu0;
  const pgStats = result.stats.postgres as {
    burst?: { ops: number };
    sustained?: { throughputPerSec: number; errors: number; ops: number };
  };
  const s = pgStats.sustained;
  if (!s || s.errors > 0) throw new Error(`dbcheck postgres run failed: ${JSON.stringify(result.error ?? result.findings[0])}`);
  recordCpu('dbcheck postgres sustained', cpu, s.ops + (pgStats.burst?.ops ?? 0));
  return s.throughputPerSec;
}

function redisBenchmark(test: 'ping' | 'get'): number {
  // Enough requests to last about `seconds` at ~50k/s; redis-benchmark is bounded by count only.
  const n = String(50_000 * seconds);
  const out = sh('redis-benchmark', ['-h', REDIS_HOST, '-p', String(REDIS_PORT), '-c', String(clients), '-n', n, '-t', test, '--csv']);
  // --csv: "test","rps",... per line; for ping there are PING_INLINE and PING_MBULK (take MBULK).
  const wanted = test === 'ping' ? 'PING_MBULK' : 'GET';
  const line = out.split('\n').find((l) => l.startsWith(`"${wanted}"`));
  if (!line) throw new Error(`cannot read redis-benchmark output:\n${out}`);
  return Number(line.split(',')[1].replace(/"/g, ''));
}

async function dbcheckRedis(command: string[]): Promise<number> {
  const result = await runCheck(poolStress, {
    stores: { postgres: false, milvus: false },
    options: {
      redis: {
        connections: redisConnections,
        command,
        burst: { concurrency: clients },
        sustained: { workers: clients, duration: seconds * 1000, maxOps: 100_000_000 },
      },
    },
  });
  const s = (result.stats.redis as { sustained?: { throughputPerSec: number; errors: number } }).sustained;
  if (!s || s.errors > 0) throw new Error(`dbcheck redis run failed: ${JSON.stringify(result.error ?? result.findings[0])}`);
  return s.throughputPerSec;
}

async function main() {
  console.log(
    `pool-stress bench: ${clients} clients on ${threads} thread(s), pgbench -j ${threads} (redis: over ${redisConnections} connections), ${seconds}s per run, ${rounds} interleaved rounds`,
  );
  await preparePgbenchDatabase();
  const samples: Record<string, number[]> = {
    'pgbench -S (simple)': [],
    'pgbench -S -M prepared': [],
    'dbcheck postgres sustained': [],
    'dbcheck load pool, one thread': [],
    'node-pg Pool.query': [],
    'node-pg ceiling (prepared)': [],
    'redis-benchmark PING': [],
    'dbcheck redis PING': [],
    'redis-benchmark GET': [],
    'dbcheck redis GET': [],
  };
  for (let r = 0; r < rounds; r++) {
    samples['pgbench -S (simple)'].push(pgbench('simple', 'pgbench -S (simple)'));
    samples['dbcheck postgres sustained'].push(await dbcheckPostgres());
    samples['pgbench -S -M prepared'].push(pgbench('prepared', 'pgbench -S -M prepared'));
    samples['dbcheck load pool, one thread'].push(await dbcheckLoadPool());
    samples['node-pg Pool.query'].push(await nodePgPool());
    samples['node-pg ceiling (prepared)'].push(await nodePgCeiling());
    if (!values['postgres-only']) {
      samples['redis-benchmark PING'].push(redisBenchmark('ping'));
      samples['dbcheck redis PING'].push(await dbcheckRedis(['PING']));
      samples['redis-benchmark GET'].push(redisBenchmark('get'));
      samples['dbcheck redis GET'].push(await dbcheckRedis(['GET', 'key:__rand_int__']));
    }
    console.log(
      `round ${r + 1}: ${Object.entries(samples)
        .filter(([, v]) => v.length > r)
        .map(([k, v]) => `${k} ${round1(v[r])}`)
        .join(' | ')}`,
    );
  }
  const med = Object.fromEntries(
    Object.entries(samples)
      .filter(([, v]) => v.length > 0)
      .map(([k, v]) => [k, median(v)]),
  );
  const ratio = (a: string, b: string) => round2(med[a] / med[b]);
  console.log('\nmedians (operations per second):');
  for (const [k, v] of Object.entries(med)) console.log(`  ${k.padEnd(30)} ${round1(v)}`);
  console.log('\nratios (dbcheck / tool; target >= 0.8):');
  console.log(`  postgres vs pgbench -S (simple)    ${ratio('dbcheck postgres sustained', 'pgbench -S (simple)')}x`);
  console.log(`  postgres vs pgbench -S -M prepared ${ratio('dbcheck postgres sustained', 'pgbench -S -M prepared')}x`);
  console.log(`  postgres vs node-pg Pool.query     ${ratio('dbcheck postgres sustained', 'node-pg Pool.query')}x`);
  console.log(`  load pool vs pgbench -S            ${ratio('dbcheck load pool, one thread', 'pgbench -S (simple)')}x`);
  console.log(`  node-pg Pool.query vs pgbench -S   ${ratio('node-pg Pool.query', 'pgbench -S (simple)')}x`);
  console.log(`  node-pg ceiling vs pgbench -S      ${ratio('node-pg ceiling (prepared)', 'pgbench -S (simple)')}x`);
  if (!values['postgres-only']) {
    console.log(`  redis PING vs redis-benchmark      ${ratio('dbcheck redis PING', 'redis-benchmark PING')}x`);
    console.log(`  redis GET vs redis-benchmark       ${ratio('dbcheck redis GET', 'redis-benchmark GET')}x`);
  }
  console.log('\nPostgres client CPU per operation (µs, user + system; medians):');
  const cpuMed = Object.fromEntries(Object.entries(cpuPerOp).map(([k, v]) => [k, median(v)]));
  for (const [k, v] of Object.entries(cpuMed)) console.log(`  ${k.padEnd(30)} ${round1(v)}`);
  console.log(`  dbcheck / pgbench -S (simple)      ${round2(cpuMed['dbcheck postgres sustained'] / cpuMed['pgbench -S (simple)'])}x`);
  console.log(`  dbcheck / pgbench -S -M prepared   ${round2(cpuMed['dbcheck postgres sustained'] / cpuMed['pgbench -S -M prepared'])}x`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
