/**
 * The report always reaches someone, and stderr says what went wrong, through the real CLI
 * (bin/dbcheck -> dist/: `npm run build` first): --output checked before any store is touched and
 * written atomically, the report on stdout when the write fails anyway; one stderr line per problem
 * in every format (a store lost mid-run, --timeout, SIGINT); a reader that goes away (EPIPE); bare
 * `dbcheck`; library warnings kept off stderr; the address of a store that is down.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, startCli, tempDir } from '../helpers/cli.js';
import { freePort } from '../helpers/redis-server.js';
import {
  createPgSchema,
  MILVUS_ADDRESS,
  PG_DATABASE,
  PG_HOST,
  PG_PORT,
  PG_USER,
  REDIS_HOST,
  REDIS_PORT,
  type PgFixture,
} from '../helpers/stores.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { FAULT_PLUGINS } from '../reliability/fault-plugins.js';

const storesYaml = (pgPort = PG_PORT, redisExtra = '') => `stores:
  postgres: { host: ${PG_HOST}, port: ${pgPort}, user: ${PG_USER}, database: ${PG_DATABASE} }
  redis: { host: ${REDIS_HOST}, port: ${REDIS_PORT}${redisExtra} }
  milvus: { address: "${MILVUS_ADDRESS}" }
`;

// Reports one error finding; with options.block it first turns the --output path into a folder
// (holding a file), so the final rename cannot succeed: a write failure no pre-check can foresee.
const blockerPlugin = `import { mkdirSync, writeFileSync } from 'node:fs';
export default {
  meta: { id: 'acme/blocker', title: 'Finds one thing', requires: ['postgres'], codes: { found: { severity: 'error', message: () => 'found it' } } },
  async run(ctx) {
    process.stderr.write('marker:blocker-ran\\n');
    if (ctx.options.block) { mkdirSync(ctx.options.block); writeFileSync(ctx.options.block + '/keep', 'x'); }
    ctx.report({ code: 'found' });
  },
};
`;

describe('--output', () => {
  it('a folder that does not exist, a path that is a folder: exit 2 at once, no store touched', async () => {
    const closed = await freePort(); // a store touched would say "connection refused"
    const dir = tempDir({ 'dbcheck.yml': storesYaml(closed), 'blocker.mjs': blockerPlugin });
    for (const [out, why] of [
      ['/nonexistent-dir/r.json', 'folder /nonexistent-dir does not exist'],
      [dir, `${dir} is a folder`],
      [path.join(dir, 'dbcheck.yml', 'r.json'), 'is not a folder'],
    ]) {
      const r = await runCli(['audit', '--plugin', 'blocker.mjs', '-f', 'json', '-o', out], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`--output ${out}: `);
      expect(r.stderr).toContain(why);
      expect(r.stderr).not.toContain('marker:blocker-ran');
      expect(r.stderr).not.toContain('connection refused');
    }
  }, 120_000);

  it('written atomically: the old report is replaced whole, no temp file is left', async () => {
    const dir = tempDir({ 'dbcheck.yml': storesYaml(), 'blocker.mjs': blockerPlugin, 'r.json': 'old report' });
    const r = await runCli(['audit', '--plugin', 'blocker.mjs', '--only', 'acme/blocker', '-f', 'json', '-o', 'r.json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')).exitCode).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['blocker.mjs', 'dbcheck.yml', 'r.json']);
  });

  it('a write that fails after the run: the report goes to stdout, stderr says so, exit 3 (not 2, not a lost 1)', async () => {
    const dir = tempDir({ 'blocker.mjs': blockerPlugin });
    const out = path.join(dir, 'r.json');
    writeFileSync(path.join(dir, 'dbcheck.yml'), `${storesYaml()}checks:\n  acme/blocker: { block: "${out}" }\n`);
    const r = await runCli(['audit', '--plugin', 'blocker.mjs', '--only', 'acme/blocker', '-f', 'json', '-o', 'r.json'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/dbcheck: cannot write r\.json \(\w+\): the report follows on stdout/);
    const report = JSON.parse(r.stdout);
    expect(report.checks[0].findings[0].message).toBe('found it'); // the audit's result is not lost
    expect(report.exitCode).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['blocker.mjs', 'dbcheck.yml', 'r.json']); // no temp file left
    expect(readFileSync(path.join(out, 'keep'), 'utf8')).toBe('x'); // what was there is untouched
  });
});

describe('stderr: one line per problem, in every format', () => {
  let pg: PgFixture;
  let proxy: TcpProxy | undefined;
  beforeAll(async () => {
    pg = await createPgSchema('e2e_lost');
    await pg.client.query(`CREATE TABLE "${pg.schema}".big AS SELECT g AS id FROM generate_series(1, 5000) g`);
  });
  afterAll(async () => {
    await proxy?.close();
    await pg?.cleanup();
  });

  it('a store lost mid-scan: named in unreachableStores and on stderr (JSON and table)', async () => {
    for (const format of ['json', 'table']) {
      proxy = await startTcpProxy(PG_PORT);
      const dir = tempDir({
        'dbcheck.yml': `${storesYaml(proxy.port)}plugins: [faults.mjs]\nchecks:\n  fault/pg-scan: { schema: ${pg.schema}, table: big, batch: 10, pauseMs: 50 }\n`,
        'faults.mjs': FAULT_PLUGINS,
      });
      const { child, done } = startCli(['audit', '--only', 'fault/pg-scan,fault/redis-ping', '-f', format], { cwd: dir });
      await new Promise<void>((resolve) => child.stderr!.on('data', (d) => String(d).includes('marker:pg-scan') && resolve()));
      proxy.refuseNew();
      proxy.cutAll();
      const r = await done;
      await proxy.close();
      proxy = undefined;
      expect(r.code, r.stderr).toBe(3);
      const problems = r.stderr.split('\n').filter((l) => l.startsWith('dbcheck: '));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^dbcheck: check fault\/pg-scan: Postgres at postgres:\/\/\S+: connection refused or lost/);
      if (format === 'json') expect(JSON.parse(r.stdout).summary.unreachableStores).toEqual(['postgres']);
      else expect(r.stdout).toContain('unreachable: postgres');
    }
  }, 180_000);

  it('--timeout and SIGINT say so on stderr in JSON mode, with the checks they cut short', async () => {
    const dir = tempDir({
      'dbcheck.yml': `${storesYaml()}plugins: [faults.mjs]\nchecks:\n  fault/pg-sleep: { seconds: 30 }\n`,
      'faults.mjs': FAULT_PLUGINS,
    });
    const timeout = await runCli(['audit', '--only', 'fault/pg-sleep', '--timeout', '1500ms', '-f', 'json'], { cwd: dir });
    expect(timeout.code).toBe(3);
    expect(timeout.stderr).toContain('dbcheck: the run timed out (--timeout); unfinished: fault/pg-sleep\n');
    const { child, done } = startCli(['audit', '--only', 'fault/pg-sleep', '-f', 'json'], { cwd: dir });
    await new Promise<void>((resolve) => child.stderr!.on('data', (d) => String(d).includes('marker:pg-sleep') && resolve()));
    child.kill('SIGINT');
    const sigint = await done;
    expect(sigint.code).toBe(130);
    expect(sigint.stderr).toContain('dbcheck: interrupted by SIGINT; unfinished: fault/pg-sleep\n');
  }, 120_000);

  it('a store down before the run: one line, and its address in the report though it never answered', async () => {
    const closed = await freePort();
    const dir = tempDir({ 'dbcheck.yml': storesYaml(closed) });
    const r = await runCli(['health', '-f', 'json'], { cwd: dir });
    expect(r.code).toBe(3);
    const expected = `postgres://${PG_USER}@${PG_HOST}:${closed}/${PG_DATABASE}`;
    expect(JSON.parse(r.stdout).stores.find((s: { kind: string }) => s.kind === 'postgres').address).toBe(expected);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^dbcheck: Postgres at \S+: connection refused or lost/)]);
    const table = await runCli(['health'], { cwd: dir });
    expect(table.stdout).toMatch(new RegExp(`postgres\\s*│\\s*${expected.replace(/[.]/g, '\\.')}`));
  }, 120_000);
});

describe('small things', () => {
  it('bare `dbcheck` is a usage error: usage on stderr, exit 2', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: dbcheck');
    expect(r.stdout).toBe('');
  });

  it("a reader that goes away (EPIPE) ends dbcheck quietly, with the audit's exit code", async () => {
    const dir = tempDir({ 'dbcheck.yml': storesYaml(), 'blocker.mjs': blockerPlugin });
    // `true` exits at once, so the report is written into a closed pipe.
    const r = spawnSync(
      'bash',
      [
        '-c',
        `node ${JSON.stringify(BIN)} audit --plugin blocker.mjs --only acme/blocker -f json 2>err.txt | true; echo "\${PIPESTATUS[0]}"`,
      ],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
        encoding: 'utf8',
      },
    );
    expect(r.stdout.trim()).toBe('1');
    expect(readFileSync(path.join(dir, 'err.txt'), 'utf8')).toBe('marker:blocker-ran\n');
  }, 120_000);

  it('driver and Node warnings stay off stderr (ioredis: a password the server does not need)', async () => {
    const dir = tempDir({
      'dbcheck.yml': storesYaml(PG_PORT, ', password: "not-needed-pw"'),
      'warns.mjs': `export default {
  meta: { id: 'acme/warns', title: 'Warns', requires: ['postgres'], codes: { x: { severity: 'info', message: () => 'x' } } },
  async run() { process.emitWarning('old API', 'DeprecationWarning', 'DEP0999'); process.emitWarning('something odd'); },
};
`,
    });
    const r = await runCli(['audit', '--plugin', 'warns.mjs', '--only', 'health,acme/warns', '-f', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  }, 120_000);
});
