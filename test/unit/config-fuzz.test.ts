/**
 * Promise: whatever is in the config file, the loader answers with a config or with errors — it
 * never throws — and every error is one readable line. Property-based: fast-check feeds it
 * YAML-ish text built from YAML's own tokens and JSON-ish documents shaped like a real config,
 * through real temp files, and each check's options schema gets the random check sections too.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue, type ConfigIssue } from '../../src/config/issues.js';
import { loadConfig, type LoadResult } from '../../src/config/load.js';
import { builtinChecks } from '../../checks/index.js';
import { loadChecks, type LoadedCheck } from '../../src/engine/load-checks.js';
import { planAudit } from '../../src/engine/plan.js';

let dir: string;
let checks: LoadedCheck[];
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dbcheck-fuzz-'));
  checks = await loadChecks(builtinChecks, []);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes text to a fresh file and loads it; then validates check sections like `dbcheck validate`. */
function load(text: string | Buffer, ext = 'yml'): { result: LoadResult; issues: ConfigIssue[] } {
  const file = path.join(dir, `c${n++}.${ext}`);
  writeFileSync(file, text);
  const result = loadConfig({ file, cwd: dir, env: { SET: 'value', PORT: '5432' } });
  const issues = [...result.errors];
  if (result.config) issues.push(...planAudit(result.config, checks, {}).errors);
  return { result, issues };
}

/** One line, no stack trace, says where. */
function expectReadable(issues: ConfigIssue[]) {
  for (const issue of issues) {
    const line = formatIssue(issue);
    expect(typeof issue.message).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
    expect(line).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+|node:internal/);
    expect(line).not.toContain('[object Object]');
  }
}

function expectAnswer({ result, issues }: { result: LoadResult; issues: ConfigIssue[] }) {
  // Exactly one of: a config, or at least one error.
  expect(Boolean(result.config)).toBe(result.errors.length === 0);
  expectReadable(issues);
}

const YAML_TOKENS = [
  'stores:',
  'postgres:',
  'redis:',
  'milvus:',
  'checks:',
  'health:',
  'cache-drift:',
  'pool-stress:',
  'run:',
  'plugins:',
  'host:',
  'port:',
  'url:',
  'password:',
  'timeout:',
  'enabled:',
  'severity:',
  'mappings:',
  'key:',
  'table:',
  'address:',
  ' ',
  '  ',
  '    ',
  '\n',
  '\n  ',
  '\n    ',
  '\t',
  '- ',
  ':',
  ': ',
  ',',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '#',
  '|',
  '>',
  '? ',
  '!',
  '!!str ',
  '!!binary ',
  '!!map ',
  '!!set ',
  '&a ',
  '*a',
  '<<: *a',
  '---',
  '...',
  '%YAML 1.2',
  '%TAG ! tag:x,2000:',
  '${SET}',
  '${UNSET}',
  '${UNSET:-d}',
  '${',
  '$',
  'true',
  'no',
  'null',
  '~',
  '5432',
  '-1',
  '1e400',
  '0x1F',
  '.inf',
  '.nan',
  '30s',
  '5m',
  'banana',
  '\u0000',
  '\uFEFF',
  '\u2028',
  'é',
  '🙂',
  '\\',
];
const yamlish = fc
  .array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...YAML_TOKENS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), {
    maxLength: 60,
  })
  .map((t) => t.join(''));

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('5s', '10m', 'banana', '${SET}', '${UNSET}', '127.0.0.1', 'error', 'warn', 'off', 'public.t', '{id}'),
);
const KEYS = [
  'postgres',
  'redis',
  'milvus',
  'host',
  'port',
  'url',
  'user',
  'password',
  'database',
  'sslmode',
  'tls',
  'token',
  'address',
  'statementTimeout',
  'timeout',
  'enabled',
  'severity',
  'mappings',
  'key',
  'table',
  'schema',
  'strategy',
  'type',
  'collection',
  'mode',
  'migrations',
  'label',
  'poolSize',
  'concurrency',
  'failOn',
  'maxFindings',
  '__proto__',
  'constructor',
  '',
];
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), tie('v'), { maxKeys: 5 }),
  ),
})).v;
const CHECK_IDS = ['health', 'cache-drift', 'orphan-scan', 'pool-stress', 'reference-integrity', 'rollback-validation', 'helth', 'acme/x'];
const configish = fc.record(
  {
    stores: fc.oneof(value, fc.dictionary(fc.constantFrom('postgres', 'redis', 'milvus', 'postgress'), value, { maxKeys: 3 })),
    run: value,
    plugins: fc.oneof(value, fc.constant([])),
    checks: fc.oneof(value, fc.dictionary(fc.constantFrom(...CHECK_IDS), value, { maxKeys: 4 })),
  },
  { requiredKeys: [] },
);

describe('config loader under fuzz', () => {
  it('random YAML-ish text: never throws, always a config or readable errors', () => {
    fc.assert(
      fc.property(yamlish, (text) => expectAnswer(load(text))),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
  });

  it('random config-shaped JSON (every check schema included): never throws, always a config or readable errors', () => {
    fc.assert(
      fc.property(configish, (doc) => expectAnswer(load(JSON.stringify(doc), 'json'))),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
  });

  it('random bytes: never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => expectAnswer(load(Buffer.from(bytes)))),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200) },
    );
  });
});

describe('odd files', () => {
  it('an empty (or blank, or comment-only) file is an error, not an audit of nothing', () => {
    for (const text of ['', '\n\n', '   \n# only a comment\n']) {
      const { result } = load(text);
      expect(result.config).toBeUndefined();
      expect(result.errors[0]?.message).toMatch(/the config file is empty|no store is configured/);
    }
  });

  it('a file over 1 MiB is refused with its size, before it is parsed', () => {
    const { result } = load(`# ${'x'.repeat(1024 * 1024 + 10)}\n`);
    expect(result.config).toBeUndefined();
    expect(result.errors[0]?.message).toMatch(/is \d+ bytes; a config file may be at most 1 MiB/);
  });

  it('an alias bomb ("billion laughs") is refused, not expanded', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const { result } = load(bomb.join('\n'));
    expect(result.config).toBeUndefined();
    expectReadable(result.errors);
  });

  it('deep nesting, duplicate keys, a top-level list or scalar, a directory, a missing file', () => {
    expectAnswer(load(`${'['.repeat(5000)}${']'.repeat(5000)}`));
    expectAnswer(load(`checks:\n${Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`));
    const dup = load('stores: {}\nstores: {}\n');
    expect(dup.result.errors[0]?.message).toMatch(/unique|duplicate/i);
    expect(load('- a\n- b\n').result.errors[0]?.message).toContain('must be a mapping');
    expect(load('"just a string"').result.errors[0]?.message).toContain('must be a mapping');
    const sub = path.join(dir, 'adir.yml');
    mkdirSync(sub);
    expect(loadConfig({ file: sub }).errors[0]?.message).toContain('is a directory');
    expect(loadConfig({ file: path.join(dir, 'nope.yml') }).errors[0]?.message).toBe('config file not found');
  });

  it('__proto__ and constructor keys do not pollute objects', () => {
    const { result } = load('{"stores": {}, "checks": {"__proto__": {"polluted": true}, "constructor": {"x": 1}}}', 'json');
    expectReadable(result.errors);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('${ENV} that is not set names the variable and where it is used', () => {
    const { result } = load('stores:\n  postgres:\n    password: ${DB_PASSWORD}\n');
    expect(result.errors.map(formatIssue)).toEqual([
      expect.stringMatching(/:3:\d+: stores\.postgres\.password: environment variable DB_PASSWORD is not set/),
    ]);
  });
});
