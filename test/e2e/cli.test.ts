/** End-to-end: spawns bin/dbcheck against the real servers and pins every exit code. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../src/report/schema.js';
import { runCli, startCli, tempDir } from '../helpers/cli.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { MILVUS_ADDRESS, PG_DATABASE, PG_HOST, PG_PORT, PG_USER } from '../helpers/stores.js';

const storesYaml = (redisPort = 6379, extraRedis = '') => `stores:
  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE} }
  redis: { host: 127.0.0.1, port: ${redisPort}${extraRedis} }
  milvus: { address: "${MILVUS_ADDRESS}" }
`;

// A plugin with no imports at all: a plain { meta, run } object is a valid check.
const pluginSource = `export default {
  meta: {
    id: 'acme/always-finds',
    title: 'Always finds one thing',
    requires: ['postgres'],
    codes: { 'found-it': { severity: 'error', message: (d) => 'found ' + d.what } },
  },
  async run(ctx) {
    const { rows } = await ctx.stores.postgres.query('SELECT 41 + 1 AS answer');
    ctx.report({ code: 'found-it', subject: { store: 'postgres', key: 'x' }, data: { what: String(rows[0].answer) } });
  },
};
`;

const waitingPlugin = `export default {
  meta: { id: 'acme/waits', title: 'Waits until cancelled', requires: ['postgres'], codes: { never: { severity: 'info', message: () => 'never' } } },
  async run(ctx) {
    process.stderr.write('waiting\\n');
    await ctx.stores.postgres.query('SELECT pg_sleep(30)', [], { signal: ctx.signal });
  },
};
`;

describe('dbcheck CLI', () => {
  it('--version and --help exit 0', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    const h = await runCli(['audit', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--fail-on');
    expect(h.stdout).toContain('Examples:');
  });

  it('a usage error exits 2, not 1', async () => {
    const r = await runCli(['audit', '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
    const f = await runCli(['audit', '--fail-on', 'sometimes']);
    expect(f.code).toBe(2);
  });

  it('health with every store up exits 0 and prints a table', async () => {
    const dir = tempDir({ 'dbcheck.yml': storesYaml() });
    const r = await runCli(['health'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/health\s*│\s*pass/);
    expect(r.stdout).toContain('milvus_lite');
  });

  it('a store that is down exits 3, names the store and still reports the others', async () => {
    const dir = tempDir({ 'dbcheck.yml': storesYaml(1) });
    const r = await runCli(['audit', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout);
    expect(report.summary.unreachableStores).toEqual(['redis']);
    const health = report.checks.find((c: { id: string }) => c.id === 'health');
    expect(health.findings[0].message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1\/0: connection refused/);
    expect(health.stats.postgres.version).toMatch(/^\d+/);
    expect(r.stderr).toContain('Redis at redis://127.0.0.1:1/0');
  });

  describe('with a password-protected Redis', () => {
    let server: Awaited<ReturnType<typeof startRedisServer>>;
    beforeAll(async () => {
      server = await startRedisServer({ requirepass: 'Sup3r-Secret-Pw' });
    });
    afterAll(async () => server.stop());

    it('a wrong password gives a clear auth error, exit 3, and never shows the password', async () => {
      const dir = tempDir({ 'dbcheck.yml': storesYaml(server.port, ', password: "${REDIS_PW}"') });
      for (const format of ['json', 'table']) {
        const r = await runCli(['audit', '--format', format], { cwd: dir, env: { REDIS_PW: 'Wr0ng-Passw0rd-Zz' } });
        expect(r.code).toBe(3);
        expect(r.stdout + r.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/0: authentication failed/);
        expect(r.stdout + r.stderr).not.toContain('Wr0ng-Passw0rd-Zz');
      }
      const ok = await runCli(['health'], { cwd: dir, env: { REDIS_PW: 'Sup3r-Secret-Pw' } });
      expect(ok.code).toBe(0);
      expect(ok.stdout).not.toContain('Sup3r-Secret-Pw');
    }, 120_000); // three CLI runs; a loaded shared machine takes 10 s+ each
  });

  it('bad YAML exits 2 with file, line and column', async () => {
    const dir = tempDir({ 'dbcheck.yml': 'stores:\n  postgres:\n    host: [unclosed\n' });
    const r = await runCli(['audit'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dbcheck\.yml:\d+:\d+/);
    expect(r.stderr).toContain('invalid YAML');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('an unknown key gets a did-you-mean, with its line', async () => {
    const dir = tempDir({ 'dbcheck.yml': `${storesYaml()}checks:\n  health:\n    latencyWarnMS: 5\n` });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dbcheck.yml:7:5: checks.health.latencyWarnMS: unknown key (did you mean "latencyWarnMs"?)');
    const typo = await runCli(['validate'], { cwd: tempDir({ 'dbcheck.yml': 'stores:\n  postgress: {}\n' }) });
    expect(typo.stderr).toContain('stores.postgress: unknown key (did you mean "postgres"?)');
    const check = await runCli(['audit', '--only', 'helth'], { cwd: dir });
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('unknown check "helth" (did you mean "health"?)');
  });

  it('validate exits 0 on a good config', async () => {
    const dir = tempDir({ 'dbcheck.yml': storesYaml() });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dbcheck.yml: valid');
  });

  it('JSON output matches its documented schema and nothing goes to stderr', async () => {
    const dir = tempDir({ 'dbcheck.yml': storesYaml() });
    const r = await runCli(['audit', '--format', 'json'], { cwd: dir });
    expect(r.stderr).toBe('');
    const parsed = reportSchema.safeParse(JSON.parse(r.stdout));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data?.exitCode).toBe(r.code);
  });

  it('a plugin from a temporary folder is listed and its findings reach the report (exit 1)', async () => {
    const dir = tempDir({ 'dbcheck.yml': storesYaml(), 'always.mjs': pluginSource });
    const list = await runCli(['checks', '--plugin', 'always.mjs', '--codes'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/acme\/always-finds\s+Always finds one thing\s+\[postgres\] \(plugin always\.mjs\)/);
    expect(list.stdout).toMatch(/error found-it/);
    const out = path.join(dir, 'report.json');
    const r = await runCli(['audit', '--plugin', 'always.mjs', '--only', 'acme/always-finds', '-f', 'json', '-o', out], { cwd: dir });
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.checks[0].findings[0]).toMatchObject({
      checkId: 'acme/always-finds',
      code: 'found-it',
      message: 'found 42',
      severity: 'error',
    });
    const warnOnly = await runCli(['audit', '--plugin', 'always.mjs', '--only', 'acme/always-finds', '-f', 'json'], {
      cwd: tempDir({
        'dbcheck.yml': `${storesYaml()}checks:\n  acme/always-finds:\n    severity: { found-it: warn }\n`,
        'always.mjs': pluginSource,
      }),
    });
    expect(warnOnly.code).toBe(0); // a warning is below the default --fail-on error
  });

  it('a plugin that does not load exits 2 with a clear message', async () => {
    const dir = tempDir({ 'bad.mjs': 'export default { meta: { id: "Bad Id" } }' });
    const r = await runCli(['checks', '--plugin', 'bad.mjs'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('plugin');
    const missing = await runCli(['checks', '--plugin', 'nope.mjs'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('plugin not found');
  });

  it('the whole-run --timeout ends the run with exit 3 and a partial report', async () => {
    const dir = tempDir({ 'dbcheck.yml': storesYaml(), 'waits.mjs': waitingPlugin });
    const r = await runCli(['audit', '--plugin', 'waits.mjs', '--only', 'acme/waits', '--timeout', '1s', '-f', 'json'], { cwd: dir });
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout);
    expect(report.summary.interrupted).toBe('timeout');
    expect(report.checks[0]).toMatchObject({ status: 'error', partial: true, error: { code: 'TIMEOUT' } });
  });

  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${sig} mid-run prints the partial report and exits ${code}`, async () => {
      const dir = tempDir({ 'dbcheck.yml': storesYaml(), 'waits.mjs': waitingPlugin });
      const { child, done } = startCli(['audit', '--plugin', 'waits.mjs', '--only', 'acme/waits', '-f', 'json'], { cwd: dir });
      await new Promise<void>((resolve) => child.stderr!.on('data', (d) => String(d).includes('waiting') && resolve()));
      child.kill(sig);
      const r = await done;
      expect(r.code).toBe(code);
      const report = JSON.parse(r.stdout);
      expect(report.summary.interrupted).toBe(sig);
      expect(report.checks[0].status).toBe('error');
    });
  }
});
