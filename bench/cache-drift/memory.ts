/**
 * cache-drift memory benchmark: does peak memory stay flat whatever the cached value sizes?
 *
 *   npx tsx bench/cache-drift/memory.ts [--scenario 16k|1m|100m|tiny] [--budget 32MB] [--heap 768]
 *
 * Per scenario (100,000 values of 16 KB; 2,500 of 1 MB; 3 of 100 MB; and 100 of 100 bytes for the
 * process's own baseline): a private, throw-away redis-server is filled with JSON documents of that
 * size (a small `title` compared with its row, a big `body` that is not), a Postgres table holds the
 * rows, and the check runs through the real engine in a child process started with
 * --max-old-space-size=<heap> (a small container), so the peak RSS printed is the check's own.
 * One value in 50 has a drifted title, so the findings prove the values were read and judged.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import check from '../../checks/cache-drift/index.js';
import { runCheck } from '../../test/helpers/check-tester.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import { pgAdmin } from '../../test/helpers/stores.js';

const SCENARIOS: Record<string, { keys: number; bytes: number }> = {
  tiny: { keys: 100, bytes: 100 },
  '16k': { keys: 100_000, bytes: 16 * 1024 },
  '1m': { keys: 2_500, bytes: 1024 * 1024 },
  '100m': { keys: 3, bytes: 100 * 1024 * 1024 },
};
const SCHEMA = 'dbcheck_bench_cdmem';
const DRIFT_EVERY = 50;

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    budget: { type: 'string', default: '32MB' },
    heap: { type: 'string', default: '768' },
    // child only
    phase: { type: 'string' },
    port: { type: 'string' },
  },
});

/** The child: one audit against the private server; prints one JSON line. */
async function phase(port: number): Promise<void> {
  const t0 = performance.now();
  const result = await runCheck(check, {
    options: {
      mappings: [{ key: 'doc:{id}', table: `${SCHEMA}.docs`, fields: { title: 'title' }, strategy: { type: 'write-through' } }],
      valueBudget: values.budget,
    },
    maxFindings: 5,
    timeoutMs: 3_600_000,
    stores: { redis: { host: '127.0.0.1', port }, milvus: false },
  });
  const ms = Math.round(performance.now() - t0);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(
    JSON.stringify({ ms, peakRssMb, status: result.status, error: result.error, countsByCode: result.countsByCode, stats: result.stats }),
  );
}

function child(port: number): Promise<any> {
  const args = [
    `--max-old-space-size=${values.heap}`,
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--phase',
    'audit',
    '--port',
    String(port),
    '--budget',
    values.budget!,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`audit exited with ${code ?? signal}: ${out}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

/** A JSON document of exactly `bytes` bytes (ASCII). */
function doc(title: string, bytes: number): string {
  const head = JSON.stringify({ title, body: '' });
  return `${head.slice(0, -2)}${'x'.repeat(Math.max(0, bytes - head.length))}"}`;
}

async function main(): Promise<void> {
  const log = (s: string) => console.error(`[bench] ${s}`);
  const names = values.scenario ?? ['tiny', '16k', '1m', '100m'];
  const db = await pgAdmin();
  const lines: string[] = [];
  try {
    for (const name of names) {
      const { keys, bytes } = SCENARIOS[name];
      await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await db.query(`CREATE SCHEMA ${SCHEMA}`);
      await db.query(`CREATE TABLE ${SCHEMA}.docs (id int PRIMARY KEY, title text)`);
      await db.query(`INSERT INTO ${SCHEMA}.docs SELECT g, 't' || g FROM generate_series(1, $1::int) g`, [keys]);
      const server = await startRedisServer();
      const redis = new Redis({ host: '127.0.0.1', port: server.port });
      try {
        const t0 = performance.now();
        const batch = Math.max(1, Math.floor((16 * 1024 * 1024) / bytes));
        for (let start = 1; start <= keys; start += batch) {
          const p = redis.pipeline();
          for (let i = start; i < Math.min(keys + 1, start + batch); i++)
            p.set(`doc:${i}`, doc(i % DRIFT_EVERY === 0 ? 'drift' : `t${i}`, bytes));
          await p.exec();
        }
        log(`${name}: seeded ${keys} values of ${bytes} bytes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        const r = await child(server.port);
        if (r.status === 'error') throw new Error(`${name}: ${JSON.stringify(r.error)}`);
        log(`${name}: ${JSON.stringify(r)}`);
        const drifted = Math.floor(keys / DRIFT_EVERY);
        const compared = r.stats.entriesCompared as number;
        const oversized = (r.countsByCode['oversized-entry'] as number | undefined) ?? 0;
        const mismatches = (r.countsByCode.mismatch as number | undefined) ?? 0;
        lines.push(
          `| ${keys.toLocaleString('en')} x ${bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MB` : bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} B`} | ${(r.ms / 1000).toFixed(1)} s | ${compared.toLocaleString('en')} | ${oversized} | ${mismatches} of ${drifted} | **${r.peakRssMb} MB** |`,
        );
      } finally {
        redis.disconnect();
        await server.stop();
      }
    }
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await db.end();
  }
  console.log(`\ncache-drift memory: valueBudget ${values.budget}, child heap limit --max-old-space-size=${values.heap}\n`);
  console.log('| values | audit time | entries compared | oversized-entry | mismatches found of planted (compared values) | peak RSS |');
  console.log('|---|---|---|---|---|---|');
  for (const l of lines) console.log(l);
}

if (values.phase) {
  phase(Number(values.port)).then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
