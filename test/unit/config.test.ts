import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/issues.js';
import { closest } from '../../src/config/suggest.js';
import { tempDir } from '../helpers/cli.js';
import { redact } from '../../src/redact.js';

function load(yaml: string, env: NodeJS.ProcessEnv = {}, overrides = {}) {
  const dir = tempDir({ 'dbcheck.yml': yaml });
  return loadConfig({ cwd: dir, env, overrides });
}

describe('config loader', () => {
  it('interpolates ${VAR} and ${VAR:-default}, and registers secrets for redaction', () => {
    const { config, errors } = load('stores:\n  postgres:\n    host: ${H:-db.example}\n    password: ${PW}\n', { PW: 'pw-from-env-123' });
    expect(errors).toEqual([]);
    expect(config!.stores.postgres).toMatchObject({ host: 'db.example', password: 'pw-from-env-123' });
    expect(redact('connect failed for pw-from-env-123')).toBe('connect failed for ***');
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
    expect(load(yaml, { DBCHECK_CONCURRENCY: '5' }, { concurrency: 7 }).config!.run.concurrency).toBe(7);
    expect(load('stores: { redis: {} }').config!.run).toMatchObject({ concurrency: 4, failOn: 'error' });
  });

  it('without a file, audits the local defaults overridable by the usual env vars', () => {
    const dir = tempDir();
    const plain = loadConfig({ cwd: dir, env: {} }).config!;
    expect(plain.file).toBeUndefined();
    expect(plain.stores.postgres).toMatchObject({ host: '127.0.0.1', port: 5432 });
    expect(plain.stores.redis).toMatchObject({ host: '127.0.0.1', port: 6379 });
    expect(plain.stores.milvus).toMatchObject({ address: '127.0.0.1:19530' });
    const env = loadConfig({ cwd: dir, env: { DATABASE_URL: 'postgres://a:b@h/d', REDIS_URL: 'redis://r:1', MILVUS_ADDRESS: 'm:2', MILVUS_TOKEN: 'tok-xyz-987' } }).config!;
    expect(env.stores).toMatchObject({ postgres: { url: 'postgres://a:b@h/d' }, redis: { url: 'redis://r:1' }, milvus: { address: 'm:2', token: 'tok-xyz-987' } });
    expect(redact('token tok-xyz-987 leaked')).not.toContain('tok-xyz-987');
  });

  it('with a file, configures exactly the stores it lists', () => {
    const { config } = load('stores:\n  redis: { port: 6380 }\n');
    expect(Object.keys(config!.stores)).toEqual(['redis']);
  });

  it('splits a check section into engine keys and the check options', () => {
    const { config } = load('stores: { redis: {} }\nchecks:\n  cache-drift:\n    enabled: true\n    timeout: 90s\n    severity: { stale-entry: warn }\n    mappings: []\n');
    expect(config!.checks['cache-drift']).toEqual({ enabled: true, timeoutMs: 90_000, severity: { 'stale-entry': 'warn' }, options: { mappings: [] }, present: true });
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

describe('did-you-mean', () => {
  it('suggests close names and nothing for far ones', () => {
    expect(closest('helth', ['health', 'cache-drift'])).toBe('health');
    expect(closest('cache_drift', ['health', 'cache-drift'])).toBe('cache-drift');
    expect(closest('zzzzzz', ['health', 'cache-drift'])).toBeUndefined();
  });
});
