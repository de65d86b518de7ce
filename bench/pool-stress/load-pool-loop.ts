/**
 * dbcheck's Postgres load pool alone, in a tight loop on one thread: the target to profile the load
 * driver with (`perf record -g`, `--cpu-prof`), without the check around it. Prints operations per
 * second and client CPU per operation (user and system, µs) for each of two runs (the first warms up).
 *
 *   npx tsx bench/pool-stress/run.ts --rounds 1 --postgres-only   (creates dbcheck_bench_pgbench once)
 *   perf record -F 2000 -g -o /tmp/load-pool.perf -- node --perf-basic-prof --import tsx bench/pool-stress/load-pool-loop.ts [--clients 8] [--seconds 4]
 */
import { parseArgs } from 'node:util';
import { openPostgresLoadPool } from '../../src/load.js';
import { testStoresConfig } from '../../test/helpers/stores.js';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '8' }, seconds: { type: 'string', default: '4' } } });
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const SELECT_SQL = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';
const params = [42];

const pool = openPostgresLoadPool({
  kind: 'postgres-load-target',
  store: { ...testStoresConfig().postgres, database: 'dbcheck_bench_pgbench' },
  options: { max: clients, acquireTimeoutMs: 5_000, statementTimeoutMs: 5_000, prepare: true },
});
try {
  await Promise.all(Array.from({ length: clients }, () => pool.query(SELECT_SQL, params)));
  for (const run of ['warm-up', 'measured']) {
    let done = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < end) {
          await pool.query(SELECT_SQL, params);
          done++;
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    const rate = done / ((performance.now() - t0) / 1000);
    console.log(
      `${run}: ${Math.round(rate)} ops/s, client CPU ${((cpu.user + cpu.system) / done).toFixed(1)} µs/op (user ${(cpu.user / done).toFixed(1)}, system ${(cpu.system / done).toFixed(1)})`,
    );
  }
} finally {
  await pool.close();
}
