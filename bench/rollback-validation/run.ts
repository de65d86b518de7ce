/**
 * rollback-validation benchmark: 1,000 migration files and a 10,000,000-row table.
 *
 *   npx tsx bench/rollback-validation/run.ts [--migrations 1000] [--rows 10000000] [--rounds 3] [--keep]
 *
 * Seeds schema `rv_bench` (reused when it already holds the right data; dropped at the end unless
 * --keep): one big UNLOGGED table `events` (analysed), one small table per migration, and
 * golang-migrate and Flyway folders of `migrations` files whose down scripts drop those tables;
 * migration 1's down drops `events`, and every 10th down deletes from it with a WHERE.
 * Then interleaves rounds of:
 *   floor   — the least work the static checks need: read every file (32 reads in flight), one
 *             catalog query for the row estimates of the tables the down scripts touch;
 *   static  — the check through the real engine (golang-migrate and Flyway, with CRC32 checksums);
 *   exact   — what an exact count of the big table would cost (`SELECT count(*) FROM events`),
 *             the thing the estimate avoids;
 *   dry-run — the check with dryRun.last = 10 (10 downs + 10 ups + 3 snapshots, rolled back).
 * Prints medians and the ratio static / floor.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import check from '../../checks/rollback-validation/index.js';
import { flywayChecksum } from '../../checks/rollback-validation/checksums.js';
import { runCheck } from '../../test/helpers/check-tester.js';
import { pgAdmin } from '../../test/helpers/stores.js';

const { values } = parseArgs({
  options: {
    migrations: { type: 'string', default: '1000' },
    rows: { type: 'string', default: '10000000' },
    rounds: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(values.migrations);
const ROWS = Number(values.rows);
const ROUNDS = Number(values.rounds);
const SCHEMA = 'rv_bench';

const pad = (i: number) => String(i).padStart(4, '0');
const upSql = (i: number) =>
  i === 1
    ? `CREATE UNLOGGED TABLE events (id bigint PRIMARY KEY, kind int NOT NULL);\n`
    : `CREATE TABLE t_${pad(i)} (id int PRIMARY KEY, note text);\nCREATE INDEX t_${pad(i)}_note_idx ON t_${pad(i)} (note);\n`;
const downSql = (i: number) =>
  i === 1 ? 'DROP TABLE events;\n' : `${i % 10 === 0 ? `DELETE FROM events WHERE kind = ${i % 100};\n` : ''}DROP TABLE t_${pad(i)};\n`;

async function seedDatabase() {
  const db = await pgAdmin();
  try {
    const have =
      await db.query(`SELECT c.reltuples::bigint AS n, (SELECT count(*) FROM pg_class x WHERE x.relnamespace = c.relnamespace AND x.relname LIKE 't\\_%' AND x.relkind = 'r') AS tables
                                   FROM pg_class c WHERE c.oid = to_regclass('${SCHEMA}.events')`);
    if (have.rows[0] && Math.abs(Number(have.rows[0].n) - ROWS) <= ROWS * 0.01 && Number(have.rows[0].tables) === N - 1) {
      console.log(`reusing ${SCHEMA} (${ROWS} rows, ${N - 1} small tables)`);
      return;
    }
    const t0 = performance.now();
    await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}; SET search_path TO ${SCHEMA}`);
    await db.query(upSql(1));
    await db.query(`INSERT INTO events SELECT g, g % 100 FROM generate_series(1, ${ROWS}) g`);
    await db.query('ANALYZE events');
    const batch: string[] = [];
    for (let i = 2; i <= N; i++) batch.push(upSql(i));
    await db.query(batch.join(''));
    await db.query(`INSERT INTO t_${pad(2)} SELECT g, 'n' FROM generate_series(1, 1000) g`);
    await db.query('CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)');
    await db.query(`INSERT INTO schema_migrations VALUES (${N}, false)`);
    await db.query(`CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL,
      type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL,
      installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL)`);
    const rows = Array.from(
      { length: N },
      (_, k) => `(${k + 1}, '${k + 1}', 'm', 'SQL', 'V${k + 1}__m.sql', ${flywayChecksum(upSql(k + 1))}, 'bench', now(), 1, true)`,
    );
    await db.query(`INSERT INTO flyway_schema_history VALUES ${rows.join(',')}`);
    await db.query('ANALYZE');
    console.log(`seeded ${SCHEMA}: ${ROWS} rows + ${N - 1} tables in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await db.end();
  }
}

async function writeFolders(root: string) {
  const golang = path.join(root, 'golang');
  const flyway = path.join(root, 'flyway');
  await mkdir(golang);
  await mkdir(flyway);
  for (let i = 1; i <= N; i++) {
    await writeFile(path.join(golang, `${pad(i)}_m.up.sql`), upSql(i));
    await writeFile(path.join(golang, `${pad(i)}_m.down.sql`), downSql(i));
    await writeFile(path.join(flyway, `V${i}__m.sql`), upSql(i));
    await writeFile(path.join(flyway, `U${i}__m.sql`), downSql(i));
  }
  return { golang, flyway };
}

/** The least work: read every file, one catalog query for the estimates of the tables touched. */
async function floor(dir: string): Promise<number> {
  const t0 = performance.now();
  const db = await pgAdmin();
  try {
    const names = await readdir(dir);
    const tables: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const text = await readFile(path.join(dir, names[next++]), 'utf8');
        for (const m of text.matchAll(/(?:DROP TABLE|DELETE FROM) (\w+)/g)) tables.push(m[1]);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker)); // as many reads in flight as the check
    await db.query(
      `SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relnamespace = '${SCHEMA}'::regnamespace AND c.relname = ANY($1)`,
      [tables],
    );
  } finally {
    await db.end();
  }
  return performance.now() - t0;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  await seedDatabase();
  const root = await mkdtemp(path.join(tmpdir(), 'rv-bench-'));
  try {
    const { golang, flyway } = await writeFolders(root);
    const times: Record<string, number[]> = { floor: [], golang: [], flyway: [], exact: [], dryRun: [] };
    let last: Awaited<ReturnType<typeof runCheck>> | undefined;
    let lastDry: Awaited<ReturnType<typeof runCheck>> | undefined;
    // Warm-up (file cache, connections, module load), not timed.
    await floor(golang);
    await runCheck(check, { options: { migrations: golang, schema: SCHEMA } });
    for (let round = 0; round < ROUNDS; round++) {
      times.floor.push(await floor(golang));
      const [tg, rg] = await timed(() => runCheck(check, { options: { migrations: golang, schema: SCHEMA } }));
      times.golang.push(tg);
      last = rg;
      const [tf, rf] = await timed(() => runCheck(check, { options: { migrations: flyway, schema: SCHEMA } }));
      times.flyway.push(tf);
      if (rf.countsByCode['checksum-mismatch']) throw new Error('flyway checksums should all match');
      const db = await pgAdmin();
      try {
        const [te] = await timed(() => db.query(`SELECT count(*) FROM ${SCHEMA}.events`));
        times.exact.push(te);
      } finally {
        await db.end();
      }
      const [td, rd] = await timed(() =>
        runCheck(check, {
          options: { migrations: golang, schema: SCHEMA, destructive: { enabled: false }, dryRun: { enabled: true, last: 10 } },
        }),
      );
      times.dryRun.push(td);
      lastDry = rd;
    }
    const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`\n${N} migrations, ${ROWS.toLocaleString('en')} rows in the big table, medians of ${ROUNDS} rounds`);
    console.log(`floor (read ${2 * N} files + 1 catalog query)   ${fmt(median(times.floor))}`);
    console.log(
      `static checks, golang-migrate              ${fmt(median(times.golang))}   ratio ${(median(times.golang) / median(times.floor)).toFixed(1)}x the floor`,
    );
    console.log(`static checks, Flyway (CRC32 of each file)  ${fmt(median(times.flyway))}`);
    console.log(`exact count(*) of the big table (avoided)   ${fmt(median(times.exact))}`);
    console.log(`dry-run of the last 10 migrations          ${fmt(median(times.dryRun))}`);
    const big = last!.findings.find((f) => f.code === 'destructive-rollback' && f.data?.target === `${SCHEMA}.events`);
    console.log(
      `\ngolang run: status ${last!.status}, findings ${JSON.stringify(last!.countsByCode)}, stats ${JSON.stringify(last!.stats)}`,
    );
    console.log(`big-table finding: ${big?.message}`);
    console.log(
      `dry-run: status ${lastDry!.status}, findings ${JSON.stringify(lastDry!.countsByCode)}, stats ${JSON.stringify(lastDry!.stats)}`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
    if (!values.keep) {
      const db = await pgAdmin();
      await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await db.end();
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
