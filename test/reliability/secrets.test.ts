/**
 * Promise: secrets never appear in any output. Distinctive passwords, tokens and URL credentials
 * go into the config (directly, through ${ENV}, inside URLs), then every output format and every
 * error path we can reach runs — table, JSON, --output file, --verbose debug lines, validate
 * errors, connection errors of each store (refused, wrong password), a plugin that puts a secret
 * into its log, its finding, its stats and its error, and a check's `sensitive` column — and all
 * that was written is searched for every secret.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import cacheDrift from '../../checks/cache-drift/index.js';
import { runCheck } from '../helpers/check-tester.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { freePort, startRedisServer } from '../helpers/redis-server.js';
import { createPgSchema, createRedisPrefix, MILVUS_ADDRESS, PG_DATABASE, PG_HOST, PG_PORT, PG_USER } from '../helpers/stores.js';
import { FAULT_PLUGINS } from './fault-plugins.js';
import { checkOf, jsonReport } from './support.js';

const SECRETS = {
  pgPassword: 'PgPass-Zx81-secret',
  pgUrlPassword: 'PgUrl-Qw62-secret',
  redisPassword: 'RedisPass-Lm47-secret',
  redisUrlPassword: 'RedisUrl-Vb39-secret',
  milvusToken: 'MilvusTok-Hy25-secret',
  milvusPassword: 'MilvusPw-Jk13-secret',
  milvusUrlPassword: 'MilvusUrl-Df57-secret',
};

/** A plugin that tries every way a check could leak the Postgres password it was configured with. */
const LEAKY_PLUGIN = `
export default {
  meta: {
    id: 'acme/leaky', title: 'Leaky', requires: ['postgres'],
    codes: { leak: { severity: 'error', message: (d) => 'leaked ' + d.value } },
  },
  async run(ctx) {
    const s = process.env.LEAK;
    ctx.log('debug line with ' + s + ' and postgres://u:' + s + '@h/db');
    ctx.stats.leak = s;
    ctx.stats.nested = { deeper: ['x ' + s] };
    ctx.report({ code: 'leak', subject: { store: 'postgres', key: s }, data: { value: s } });
    ctx.report({ code: 'leak', message: 'custom message ' + s, data: { value: 'x' } });
    throw new Error('failed while connecting with password=' + s + ' to ' + s);
  },
};
`;

let redisServer: Awaited<ReturnType<typeof startRedisServer>>;

beforeAll(async () => {
  redisServer = await startRedisServer({ requirepass: SECRETS.redisPassword });
});
afterAll(async () => redisServer?.stop());

/** Every secret, and its URL-encoded form, must be absent. */
function expectNoSecret(label: string, text: string) {
  for (const [name, s] of Object.entries(SECRETS)) {
    expect(text, `${label} shows ${name}`).not.toContain(s);
    expect(text, `${label} shows ${name} (encoded)`).not.toContain(encodeURIComponent(s));
  }
}

describe('secrets never appear in output', () => {
  it('in every format and error path of audit, health and validate', async () => {
    const closed = await freePort();
    // Up: Postgres (trust auth carries the password unused), the password Redis, Milvus with a token.
    const upConfig = `stores:
  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE}, password: "\${PG_PW}" }
  redis: { host: 127.0.0.1, port: ${redisServer.port}, password: "\${REDIS_PW}" }
  milvus: { address: "${MILVUS_ADDRESS}", token: "${SECRETS.milvusToken}", username: root, password: "${SECRETS.milvusPassword}" }
plugins: [leaky.mjs]
`;
    // Down or refused: secrets inside URLs, a wrong Redis password, an unreachable Milvus with credentials.
    const downConfig = `stores:
  postgres: { url: "postgres://app:${SECRETS.pgUrlPassword}@127.0.0.1:${closed}/app" }
  redis: { url: "redis://default:${SECRETS.redisUrlPassword}@127.0.0.1:${redisServer.port}/0" }
  milvus: { address: "http://root:${SECRETS.milvusUrlPassword}@127.0.0.1:${closed}", token: "${SECRETS.milvusToken}", connectTimeout: 1500 }
plugins: [leaky.mjs]
`;
    // Invalid: the same secrets next to config errors.
    const badConfig = `stores:
  postgres: { url: "postgres://app:${SECRETS.pgUrlPassword}@db/app", sslmode: sometimes, password: ${SECRETS.pgPassword} }
  redis: { password: "${SECRETS.redisPassword}", port: "${SECRETS.redisUrlPassword}" }
  milvus: { address: "x", token: "${SECRETS.milvusToken}", tokn: "${SECRETS.milvusPassword}" }
checks:
  health: { latencyWarnMs: "${SECRETS.milvusUrlPassword}" }
`;
    const dir = tempDir({ 'up.yml': upConfig, 'down.yml': downConfig, 'bad.yml': badConfig, 'leaky.mjs': LEAKY_PLUGIN });
    const env = { PG_PW: SECRETS.pgPassword, REDIS_PW: SECRETS.redisPassword, LEAK: SECRETS.pgPassword };
    let everything = '';
    let runs = 0;
    const run = async (args: string[]) => {
      const r = await runCli(args, { cwd: dir, env });
      runs++;
      expectNoSecret(`dbcheck ${args.join(' ')}`, r.stdout + r.stderr);
      everything += r.stdout + r.stderr;
      return r;
    };

    for (const config of ['up.yml', 'down.yml']) {
      for (const format of ['table', 'json']) {
        const r = await run(['audit', '-c', config, '-f', format, '--verbose', '--only', 'health,acme/leaky']);
        expect(r.code).toBe(3); // the leaky check errors (and in down.yml every store is down)
        const out = path.join(dir, `report-${config}.${format}`);
        await run(['audit', '-c', config, '-f', format, '-o', out, '--only', 'health,acme/leaky']);
        const file = readFileSync(out, 'utf8');
        expectNoSecret(out, file);
        everything += file;
      }
      await run(['health', '-c', config, '-f', 'json']);
    }
    const bad = await run(['validate', '-c', 'bad.yml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('sslmode');
    await run(['audit', '-c', 'bad.yml']);

    // The searches above are only worth something if these paths really ran: the plugin's
    // redacted secret, each store's failure and the config errors are all in the output.
    expect(everything).toContain('leaked ***');
    expect(everything).toContain('password=***');
    expect(everything).toContain('debug line with ***'); // --verbose
    expect(everything).toMatch(/Postgres at postgres:\/\/app@127\.0\.0\.1:\d+\/app: connection refused/);
    expect(everything).toMatch(/Redis at redis:\/\/default@127\.0\.0\.1:\d+\/0: authentication failed/);
    expect(everything).toMatch(/Milvus at http:\/\/127\.0\.0\.1:\d+: (connection refused or lost|timed out)/);
    expect(everything).toContain('tokn: unknown key (did you mean "token"?)');
    expect(runs).toBeGreaterThanOrEqual(12);
  }, 300_000); // 13+ CLI runs: generous for a loaded machine, asserts nothing about speed

  it("a cache-drift column marked sensitive never shows the row's or the cache's value", async () => {
    const pg = await createPgSchema('secrets');
    const redis = await createRedisPrefix('secrets');
    try {
      await pg.client.query(`CREATE TABLE "${pg.schema}".users (id int PRIMARY KEY, name text, api_token text)`);
      await pg.client.query(`INSERT INTO "${pg.schema}".users VALUES (1, 'ann', 'RowToken-Pq44-secret')`);
      await redis.redis.set(`${redis.prefix}user:1`, JSON.stringify({ id: 1, name: 'ann', api_token: 'CacheToken-Rt88-secret' }));
      const result = await runCheck(cacheDrift, {
        options: {
          mappings: [
            { key: `${redis.prefix}user:{id}`, table: `${pg.schema}.users`, strategy: { type: 'write-through' }, sensitive: ['api_token'] },
          ],
        },
      });
      expect(result.countsByCode.mismatch).toBe(1); // the tokens differ, and that is reported...
      const text = JSON.stringify(result);
      expect(text).toContain('api_token');
      expect(text).not.toContain('RowToken-Pq44-secret'); // ...without either value
      expect(text).not.toContain('CacheToken-Rt88-secret');
    } finally {
      await redis.cleanup();
      await pg.cleanup();
    }
  });
});

describe('the last-resort paths: uncaught errors and plugin-load errors', () => {
  // Known only from the config's Postgres URL: never registered by a connector before these paths run.
  const PW = 'StrayPw-Kk71-secret';
  const MESSAGE = `lost conn postgres://auditor:${PW}@db.internal/app; retry with ${PW}`;
  const config = (options: Record<string, unknown>) => `stores:
  postgres: { url: "postgres://${PG_USER}:${PW}@${PG_HOST}:${PG_PORT}/${PG_DATABASE}" }
  redis: { host: 127.0.0.1, port: 6379 }
plugins: [faults.mjs]
checks:
  fault/stray-timer: ${JSON.stringify({ message: MESSAGE, ...options })}
`;
  const noSecret = (label: string, text: string) => {
    expect(text, label).not.toContain(PW);
    expect(text, label).not.toContain(encodeURIComponent(PW));
  };

  for (const [label, options] of [
    ['an error thrown from its timer', {}],
    ['an unhandled rejection', { rejection: true }],
  ] as const) {
    it(`${label} fails that check alone; the report is printed with the others' results; no secret`, async () => {
      const dir = tempDir({ 'dbcheck.yml': config(options), 'faults.mjs': FAULT_PLUGINS });
      for (const format of ['json', 'table']) {
        const r = await runCli(['audit', '--only', 'health,fault/stray-timer', '-f', format], { cwd: dir });
        noSecret(`${label} ${format}`, r.stdout + r.stderr);
        expect(r.code, r.stderr).toBe(3);
        expect(r.stderr).toContain(
          'dbcheck: check fault/stray-timer: internal error: uncaught error: lost conn postgres://auditor:***@db.internal/app; retry with ***',
        );
        expect(r.stderr).not.toContain('internal error: lost conn'); // not the crash line
        if (format === 'table') {
          expect(r.stdout).toMatch(/health\s*│\s*pass/);
          continue;
        }
        const report = jsonReport(r);
        expect(checkOf(report, 'health').status).toBe('pass');
        expect(checkOf(report, 'fault/stray-timer')).toMatchObject({ status: 'error', error: { code: 'INTERNAL' } });
      }
    }, 60_000);
  }

  it('an uncaught error no check owns is recorded for the run (exit 3, summary.uncaughtErrors); the report is printed', async () => {
    const dir = tempDir({ 'dbcheck.yml': config({ unowned: true }), 'faults.mjs': FAULT_PLUGINS });
    const r = await runCli(['audit', '--only', 'health,fault/stray-timer', '-f', 'json'], { cwd: dir });
    noSecret('unowned', r.stdout + r.stderr);
    expect(r.code, r.stderr).toBe(3);
    const report = jsonReport(r);
    expect(report.summary.uncaughtErrors).toEqual(['uncaught error: lost conn postgres://auditor:***@db.internal/app; retry with ***']);
    expect(checkOf(report, 'health').status).toBe('pass');
    expect(r.stderr).toContain('dbcheck: uncaught error: lost conn postgres://auditor:***@');
  }, 60_000);

  it("outside an audit the crash line is redacted of the config's secrets; a plugin-load error too", async () => {
    const dir = tempDir({
      'dbcheck.yml': config({}),
      'faults.mjs': FAULT_PLUGINS,
      'rejects.mjs': `Promise.reject(new Error('init lost ${PW}'));\nexport default [];\n`,
      'throws.mjs': `throw new Error('cannot init with ${PW}');\n`,
    });
    const crash = await runCli(['checks', '--plugin', 'rejects.mjs'], { cwd: dir });
    noSecret('crash', crash.stdout + crash.stderr);
    expect(crash.code).toBe(2);
    expect(crash.stderr).toContain('dbcheck: internal error: init lost ***');
    const load = await runCli(['checks', '--plugin', 'throws.mjs'], { cwd: dir });
    noSecret('plugin load', load.stdout + load.stderr);
    expect(load.code).toBe(2);
    expect(load.stderr).toContain('cannot init with ***');
  }, 60_000);
});
