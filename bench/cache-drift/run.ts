/**
 * cache-drift benchmark: is the check close to the least work its job needs?
 *
 *   npx tsx bench/cache-drift/run.ts --keys 1000000 [--rounds 3] [--keep] [--no-seed]
 *
 * 1. Seeds `keys` documents in Postgres and their cached copies in Redis, with drift of every kind
 *    planted at known ids (bench/cache-drift/seed.ts).
 * 2. After one untimed warm-up pass, interleaves rounds of: the floor (floor.ts: SCAN + pipelined
 *    GET + batched row fetch, same libraries, no comparison); dbcheck's cache-drift full scan through
 *    the real engine (write-through, no TTL policy); the floor with PTTL of every key as well; and
 *    dbcheck with a TTL policy (which reads PTTL too). Each runs in its own child process, so its
 *    peak RSS is its own.
 * 3. Prints medians, the ratio floor / dbcheck (target >= 0.7; in wall time, and in client CPU, which
 *    is steadier on a shared machine), and planted vs found per code
 *    (the timed run covers the documents mapping; a second, untimed run covers write-behind
 *    lag, a pattern matching nothing and a forbidden namespace).
 *
 * Uses the local servers of test/helpers/stores.ts; drops its schema and keys unless --keep.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import check from '../../checks/cache-drift/index.js';
import { runCheck } from '../../test/helpers/check-tester.js';
import { createRedisPrefix, pgAdmin } from '../../test/helpers/stores.js';
import { runFloor } from './floor.js';
import { clearKeys, DOC_PATTERN, FORBIDDEN_GLOB, NOTHING_PATTERN, planted, SCHEMA, seed, WB_PATTERN } from './seed.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    count: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    'no-seed': { type: 'boolean', default: false },
    phase: { type: 'string' },
  },
});
const keys = Number(values.keys);
const count = Number(values.count);
const concurrency = Number(values.concurrency);

const documentsMapping = {
  key: DOC_PATTERN,
  table: `${SCHEMA}.docs`,
  fields: { id: 'id', title: 'title', price: 'price', active: 'active', updated_at: 'updatedAt', email: 'email' },
  sensitive: ['email'],
  strategy: { type: 'write-through', version: 'updated_at' },
};
/** The same mapping with a TTL policy: the check then reads PTTL of every key as well. */
const documentsMappingWithTtl = { ...documentsMapping, ttl: { required: true, max: '1h' } };
const TTL_CODES = ['missing-ttl', 'ttl-out-of-range'];

/** One measured phase, run inside a child process; prints one JSON line. */
async function phase(name: string): Promise<void> {
  const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
  const cpu0 = process.cpuUsage();
  const cpuMs = () => {
    const c = process.cpuUsage(cpu0);
    return Math.round((c.user + c.system) / 1000);
  };
  if (name === 'floor' || name === 'floor-ttl') {
    const r = await runFloor({ withTtl: name === 'floor-ttl', count, concurrency });
    console.log(JSON.stringify({ ...r, cpuMs: cpuMs(), rssMb: rssMb() }));
    return;
  }
  const t0 = performance.now();
  const options =
    name === 'dbcheck' || name === 'dbcheck-ttl'
      ? { mappings: [name === 'dbcheck' ? documentsMapping : documentsMappingWithTtl], scanCount: count, concurrency }
      : {
          mappings: [
            {
              key: WB_PATTERN,
              table: `${SCHEMA}.wb`,
              fields: { total: 'total', updated_at: 'updated_at' },
              strategy: { type: 'write-behind', version: 'updated_at', maxLag: '1m' },
            },
            { key: NOTHING_PATTERN, table: `${SCHEMA}.wb`, strategy: { type: 'cache-aside' } },
          ],
          forbidden: [{ match: FORBIDDEN_GLOB, reason: 'v1 keys must be gone' }],
          scanCount: count,
          concurrency,
        };
  const result = await runCheck(check, { options, maxFindings: 10, timeoutMs: 3_600_000, stores: { milvus: false } });
  const ms = performance.now() - t0;
  const forbidden = result.stats.forbiddenKeys;
  console.log(
    JSON.stringify({
      ms,
      status: result.status,
      error: result.error,
      countsByCode: result.countsByCode,
      stats: result.stats,
      forbiddenCount: forbidden,
      cpuMs: cpuMs(),
      rssMb: rssMb(),
    }),
  );
}

function child(name: string): Promise<any> {
  const args = [
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--phase',
    name,
    '--keys',
    String(keys),
    '--count',
    String(count),
    '--concurrency',
    String(concurrency),
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`phase ${name} exited with ${code}: ${out}`));
      resolve(JSON.parse(last));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const log = (s: string) => console.error(`[bench] ${s}`);
  const db = await pgAdmin();
  const { redis } = await createRedisPrefix('unused');
  try {
    if (!values['no-seed']) {
      const t0 = performance.now();
      await seed(db, redis, keys, log);
      log(`seeded in ${sec(performance.now() - t0)}`);
    }
    const runs = ['floor', 'dbcheck', 'floor-ttl', 'dbcheck-ttl'] as const;
    const ms: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    const rss: Record<string, number> = {};
    const last: Record<string, any> = {};
    // Warm-up, not timed: the first pass after seeding reads cold pages and would penalise whoever goes first.
    await child('floor');
    for (let round = 1; round <= Number(values.rounds); round++) {
      const line: string[] = [];
      for (const name of runs) {
        const r = await child(name);
        if (r.status === 'error') throw new Error(`${name} ended in error: ${JSON.stringify(r.error)}`);
        (ms[name] ??= []).push(r.ms);
        (cpu[name] ??= []).push(r.cpuMs);
        rss[name] = Math.max(rss[name] ?? 0, r.rssMb);
        last[name] = r;
        line.push(`${name} ${sec(r.ms)}`);
      }
      log(`round ${round}: ${line.join(', ')}`);
    }
    const extras = await child('extras');
    const p = planted(keys);
    const expectedTtl = { ...p.documents };
    const expectedPlain = Object.fromEntries(Object.entries(p.documents).filter(([c]) => !TTL_CODES.includes(c)));
    const sameCounts = (found: Record<string, number>, expected: Record<string, number>) =>
      Object.keys({ ...found, ...expected }).every((c) => (found[c] ?? 0) === (expected[c] ?? 0));
    const allMatch =
      sameCounts(last.dbcheck.countsByCode, expectedPlain) &&
      sameCounts(last['dbcheck-ttl'].countsByCode, expectedTtl) &&
      sameCounts(extras.countsByCode, p.extras) &&
      extras.forbiddenCount === p.forbiddenKeys;

    const m = (name: string) => median(ms[name]);
    const n = last.dbcheck.stats.keysScanned as number;
    const c = (name: string) => median(cpu[name]);
    const row = (label: string, name: string, floorName: string) =>
      `| ${label} | ${sec(m(name))} | ${Math.round(n / (m(name) / 1000)).toLocaleString('en')} | ${sec(c(name))} | ${rss[name]} MB | ` +
      (name === floorName ? '1.00x | 1.00x |' : `**${(m(floorName) / m(name)).toFixed(2)}x** | ${(c(floorName) / c(name)).toFixed(2)}x |`);
    console.log(
      `\ncache-drift benchmark: ${keys.toLocaleString('en')} cached entries (+${p.orphans} orphans), ${values.rounds} interleaved rounds, medians\n`,
    );
    console.log('| run | time | keys/s | client CPU | peak RSS | floor / run (time) | floor / run (client CPU) |');
    console.log('|---|---|---|---|---|---|---|');
    console.log(row('floor: SCAN + pipelined GET + rows by `= ANY($1)`', 'floor', 'floor'));
    console.log(row('dbcheck cache-drift, write-through, no TTL policy', 'dbcheck', 'floor'));
    console.log(row('floor + PTTL of every key', 'floor-ttl', 'floor-ttl'));
    console.log(row('dbcheck cache-drift, write-through + TTL policy', 'dbcheck-ttl', 'floor-ttl'));
    console.log('\n| code | planted | found |');
    console.log('|---|---|---|');
    const found = { ...last['dbcheck-ttl'].countsByCode, ...extras.countsByCode };
    const expected = { ...expectedTtl, ...p.extras };
    for (const c of Object.keys(expected).sort()) console.log(`| ${c} | ${expected[c]} | ${found[c] ?? 0} |`);
    console.log(`| (forbidden keys counted) | ${p.forbiddenKeys} | ${extras.forbiddenCount ?? 0} |`);
    const ratio = Math.min(m('floor') / m('dbcheck'), m('floor-ttl') / m('dbcheck-ttl'));
    console.log(`\nplanted == found (every run): ${allMatch ? 'yes' : 'NO'}; target ratio >= 0.7: ${ratio >= 0.7 ? 'met' : 'NOT met'}`);
    if (!allMatch) process.exitCode = 1;
  } finally {
    if (!values.keep) {
      await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await clearKeys(redis);
    }
    await db.end();
    redis.disconnect();
  }
}

if (values.phase) {
  phase(values.phase).then(
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
