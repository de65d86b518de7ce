import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigFlags } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/issues.js';
import { closest } from '../../src/config/suggest.js';
import { tempDir } from '../helpers/cli.js';
import { redact, secretsOf } from '../../src/redact.js';

function load(yaml: string, env: NodeJS.ProcessEnv = {}, flags: ConfigFlags = {}) {
  const dir = tempDir({ 'dbcheck.yml': yaml });
  return loadConfig({ cwd: dir, env, flags });
}

describe('config loader', () => {
  it('interpolates ${VAR} and ${VAR:-default}, and the interpolated password is one of the config secrets', () => {
    const { config, errors } = load('stores:\n  postgres:\n    host: ${H:-db.example}\n    password: ${PW}\n', { PW: 'pw-from-env-123' });
    expect(errors).toEqual([]);
    expect(config!.stores.postgres).toMatchObject({ host: 'db.example', password: 'pw-from-env-123' });
    expect(redact('connect failed for pw-from-env-123', secretsOf(config!.stores))).toBe('connect failed for ***');
  });

  it('names an unset variable with its key and line', () => {
    const { errors } = load('stores:\n  redis:\n    password: ${NOT_SET_ANYWHERE}\n');
    expect(errors.map(formatIssue)).toEqual([
      'dbcheck.yml:3:5: stores.redis.password: environment variable NOT_SET_ANYWHERE is not set (use ${NOT_SET_ANYWHERE:-default} for a default)',
    ]);
  });

  it('applies precedence: flags > DBCHECK_* env > file > defaults', () => {
    const yaml = 'stores:\n  redis: {}\nrun:\n  concurrency: 3\n  failOn: info\n  timeout: 2m\n';
    expect(load(yaml).config!.run).toMatchObject({ concurrency: 3, failOn: 'info', timeoutMs: 120_000, maxFindings: 100 });
    expect(load(yaml, { DBCHECK_CONCURRENCY: '5', DBCHECK_FAIL_ON: 'warn' }).config!.run).toMatchObject({ concurrency: 5, failOn: 'warn' });
    expect(load(yaml, { DBCHECK_CONCURRENCY: '5' }, { concurrency: '7' }).config!.run.concurrency).toBe(7);
    expect(load('stores: { redis: {} }').config!.run).toMatchObject({ concurrency: 4, failOn: 'error' });
  });

  it('without a file, audits the local defaults overridable by the usual env vars', () => {
    const dir = tempDir();
    const plain = loadConfig({ cwd: dir, env: {} }).config!;
    expect(plain.file).toBeUndefined();
    expect(plain.stores.postgres).toMatchObject({ host: '127.0.0.1', port: 5432 });
    expect(plain.stores.redis).toMatchObject({ host: '127.0.0.1', port: 6379 });
    expect(plain.stores.milvus).toMatchObject({ address: '127.0.0.1:19530' });
    const env = loadConfig({
      cwd: dir,
      env: { DATABASE_URL: 'postgres://a:b@h/d', REDIS_URL: 'redis://r:1', MILVUS_ADDRESS: 'm:2', MILVUS_TOKEN: 'tok-xyz-987' },
    }).config!;
    expect(env.stores).toMatchObject({
      postgres: { url: 'postgres://a:b@h/d' },
      redis: { url: 'redis://r:1' },
      milvus: { address: 'm:2', token: 'tok-xyz-987' },
    });
    expect(redact('token tok-xyz-987 leaked', secretsOf(env.stores))).not.toContain('tok-xyz-987');
  });

  it('with a file, configures exactly the stores it lists', () => {
    const { config } = load('stores:\n  redis: { port: 6380 }\n');
    expect(Object.keys(config!.stores)).toEqual(['redis']);
  });

  it('splits a check section into engine keys and the check options', () => {
    const { config } = load(
      'stores: { redis: {} }\nchecks:\n  cache-drift:\n    enabled: true\n    timeout: 90s\n    severity: { stale-entry: warn }\n    mappings: []\n',
    );
    expect(config!.checks['cache-drift']).toEqual({
      enabled: true,
      timeoutMs: 90_000,
      severity: { 'stale-entry': 'warn' },
      options: { mappings: [] },
      present: true,
    });
  });

  it('rejects wrong types with the path, and bad severities', () => {
    const { errors } = load('checks:\n  health:\n    severity: { slow-store: loud }\n');
    expect(errors.map(formatIssue)).toEqual(['dbcheck.yml:3:17: checks.health.severity.slow-store: must be error, warn, info or off']);
    const types = load('stores:\n  postgres:\n    port: "5432"\n');
    expect(types.errors.map(formatIssue)).toEqual(['dbcheck.yml:3:5: stores.postgres.port: expected number, received string']);
  });

  it('rejects empty-but-wrong documents and missing files clearly', () => {
    expect(load('').errors.map(formatIssue)).toEqual(['dbcheck.yml:1:1: the config file is empty (see docs/config.md)']);
    expect(load('run: { concurrency: 2 }\n').errors[0].message).toContain('no store is configured');
    expect(load('- a\n- b\n').errors[0].message).toContain('must be a mapping');
    const dir = tempDir();
    writeFileSync(`${dir}/big.yml`, `a: "${'x'.repeat(1024 * 1024 + 10)}"\n`);
    expect(loadConfig({ cwd: dir, file: 'big.yml', env: {} }).errors[0].message).toContain('at most 1 MiB');
    expect(loadConfig({ cwd: dir, file: 'nope.yml', env: {} }).errors[0].message).toBe('config file not found');
  });
});

describe('one pipeline: file, environment and flags obey the same schema', () => {
  const yaml = 'stores: { redis: {} }\n';
  const errorsOf = (env: NodeJS.ProcessEnv, flags: ConfigFlags = {}) => load(yaml, env, flags).errors.map(formatIssue);

  it('rejects bad environment values, naming the variable (they were ignored or misread before)', () => {
    expect(errorsOf({ DBCHECK_TIMEOUT_MS: 'abc' })).toEqual(['DBCHECK_TIMEOUT_MS="abc": a duration like 500ms, 30s, 5m or 1h']);
    expect(errorsOf({ DBCHECK_MAX_FINDINGS: '-4' })).toEqual(['DBCHECK_MAX_FINDINGS="-4": must be at least 0']);
    expect(errorsOf({ DBCHECK_CONCURRENCY: '0' })).toEqual(['DBCHECK_CONCURRENCY="0": must be at least 1']);
    expect(errorsOf({ DBCHECK_FAIL_ON: 'loud' })).toEqual(['DBCHECK_FAIL_ON="loud": must be error, warn or info']);
  });

  it("applies the file's limits to flags too, naming the flag", () => {
    expect(errorsOf({}, { concurrency: '100' })).toEqual(['--concurrency "100": must be at most 32']);
    expect(load('stores: { redis: {} }\nrun: { concurrency: 100 }\n').errors.map(formatIssue)).toEqual([
      'dbcheck.yml:2:8: run.concurrency: must be at most 32',
    ]);
    expect(errorsOf({}, { concurrency: '2.5', timeout: 'soon', maxFindings: 'x' })).toEqual([
      '--concurrency "2.5": must be a whole number',
      '--timeout "soon": a duration like 500ms, 30s, 5m or 1h',
      '--max-findings "x": expected number, received string',
    ]);
  });

  it('reads durations one way everywhere: bare numbers are milliseconds', () => {
    expect(load(yaml, { DBCHECK_TIMEOUT_MS: '1500' }).config!.run.timeoutMs).toBe(1500);
    expect(load(yaml, {}, { timeout: '2m', checkTimeout: '500' }).config!.run).toMatchObject({ timeoutMs: 120_000, checkTimeoutMs: 500 });
  });

  it('warns about a DBCHECK_ variable that is almost a known one', () => {
    const { warnings, config } = load(yaml, { DBCHECK_CONCURENCY: '2', DBCHECK_TEST_PGHOST: 'h' });
    expect(config!.run.concurrency).toBe(4);
    expect(warnings.map(formatIssue)).toEqual([
      'DBCHECK_CONCURENCY: is not a dbcheck setting and is ignored (did you mean "DBCHECK_CONCURRENCY"?)',
    ]);
  });

  it('validates the local defaults from PG* variables by the same store schema', () => {
    const dir = tempDir();
    expect(loadConfig({ cwd: dir, env: { PGPORT: 'abc' } }).errors.map(formatIssue)).toEqual(['PGPORT: expected number, received string']);
    expect(loadConfig({ cwd: dir, env: { PGPORT: '70000' } }).errors.map(formatIssue)).toEqual(['PGPORT: must be at most 65535']);
  });

  it('refuses store URLs the drivers would half-parse (a bad port in a URL is a config error, exit 2)', () => {
    expect(load('stores:\n  postgres:\n    url: postgres://h:99999/db\n').errors.map(formatIssue)).toEqual([
      'dbcheck.yml:3:5: stores.postgres.url: not a valid URL (expected postgres://host:port/...)',
    ]);
    expect(load('stores:\n  redis:\n    url: http://h:6379\n').errors[0].message).toBe('must start with redis:// or rediss://');
    expect(load('stores:\n  postgres:\n    url: postgres:///app?host=/var/run/postgresql\n').errors).toEqual([]);
    // A password that is not valid %-encoding is a config error for Postgres as for Redis, not swallowed.
    for (const url of ['postgres://u:50%@h/db', 'redis://u:50%@h:6379'])
      expect(load(`stores:\n  ${url.split(':')[0]}:\n    url: ${url}\n`).errors[0]?.message).toBe(
        'the user or password in the URL is not valid %-encoding (write % as %25)',
      );
  });

  it('a reserved character in a URL password gets the hint to percent-encode it, and the password is never shown', () => {
    const hint = 'if the user or password holds @ : / ? or #, percent-encode it (# as %23)';
    // Unparsable, or parsed with the password's tail taken for a fragment: both would connect wrong.
    for (const url of ['postgres://app:s3#cret@db.example:5432/app', 'postgres://app:12#cret@db.example/app', 'redis://:pa#ss@h:6379']) {
      const errors = load(`stores:\n  ${url.split(':')[0]}:\n    url: ${url}\n`).errors.map(formatIssue);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(hint);
      expect(errors[0]).not.toMatch(/cret|pa#ss/);
    }
    expect(load('stores:\n  postgres:\n    url: postgres://app:s3%23cret@db.example:5432/app\n').errors).toEqual([]);
  });

  it('check sections: engine keys validated by the schema, the rest handed to the check', () => {
    const { errors } = load('stores: { redis: {} }\nchecks:\n  health:\n    enabled: yes-please\n    timeout: soon\n');
    expect(errors.map(formatIssue)).toEqual([
      'dbcheck.yml:4:5: checks.health.enabled: must be true or false',
      'dbcheck.yml:5:5: checks.health.timeout: a duration like 500ms, 30s, 5m or 1h',
    ]);
  });
});

describe('YAML features', () => {
  it('a self-referencing alias is one clear line with its place, not a stack overflow', () => {
    const { errors } = load('stores: { redis: {} }\nchecks:\n  health: &h\n    loop: *h\n');
    expect(errors.map(formatIssue)).toEqual([
      'dbcheck.yml:4:5: checks.health.loop: a YAML alias refers to a node that contains it (a cycle); copy the values instead',
    ]);
  });

  it('merge keys (<<:) work, with anchors kept under a top-level x- key', () => {
    const { errors, config } = load('x-pg: &pg\n  host: db.internal\n  port: 5433\nstores:\n  postgres:\n    <<: *pg\n    database: app\n');
    expect(errors).toEqual([]);
    expect(config!.stores.postgres).toMatchObject({ host: 'db.internal', port: 5433, database: 'app' });
  });
});

describe('did-you-mean', () => {
  it('suggests close names and nothing for far ones', () => {
    expect(closest('helth', ['health', 'cache-drift'])).toBe('health');
    expect(closest('cache_drift', ['health', 'cache-drift'])).toBe('cache-drift');
    expect(closest('zzzzzz', ['health', 'cache-drift'])).toBeUndefined();
  });
});
