/**
 * `main()` without servers: usage errors, exit codes and where output goes, through an injected
 * CliIO and a plugin fixture check that needs no store (it reports what its options say).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/main.js';

let dir: string;
let plugin: string;

// A plugin as a user would write it: plain JS, no import of dbcheck. Options: { findings, fail }.
const PLUGIN = `
export default {
  meta: {
    id: 'demo/fixture',
    title: 'Fixture',
    requires: [],
    codes: {
      broken: { severity: 'error', message: (d) => 'row ' + d.key + ' is broken' },
      odd: { severity: 'warn', message: (d) => 'row ' + d.key + ' is odd' },
    },
    options: { safeParse: (input) => ({ success: true, data: input }) },
  },
  async run(ctx) {
    for (const f of ctx.options.findings ?? []) ctx.report({ code: f.code, data: { key: f.key } });
    if (ctx.options.fail) {
      const err = new Error(ctx.options.fail.message);
      err.code = ctx.options.fail.code;
      throw err;
    }
  },
};
`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dbcheck-main-'));
  plugin = path.join(dir, 'fixture.mjs');
  writeFileSync(plugin, PLUGIN);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Writes the config (its checks section is the fixture's options) and runs main with a captured CliIO. */
async function cli(argv: string[], fixtureOptions: Record<string, unknown> = {}, io: Partial<CliIO> = {}): Promise<Run> {
  const config = path.join(dir, `dbcheck-${Math.random().toString(36).slice(2)}.json`);
  // A store must be configured; the fixture check needs none, so it is never connected.
  writeFileSync(config, JSON.stringify({ stores: { redis: { host: 'memory.invalid' } }, checks: { 'demo/fixture': fixtureOptions } }));
  let stdout = '';
  let stderr = '';
  const code = await main(
    argv.map((a) => (a === '$CONFIG' ? config : a === '$PLUGIN' ? plugin : a)),
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
      cwd: dir,
      ...io,
    },
  );
  return { code, stdout, stderr };
}

const audit = ['audit', '-c', '$CONFIG', '--plugin', '$PLUGIN', '--only', 'demo/fixture'];

describe('usage errors are exit 2 with a message on stderr, nothing on stdout', () => {
  it('no command', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: dbcheck/);
  });

  it('an unknown option, with a suggestion', async () => {
    const r = await cli(['audit', '--fail-onn', 'warn']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/unknown option '--fail-onn'[\s\S]*--fail-on/);
  });

  it('a bad choice for --format', async () => {
    const r = await cli([...audit, '--format', 'xml']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/--format.*xml/);
  });

  it('an unknown check in --only names the known ones', async () => {
    const r = await cli(['audit', '-c', '$CONFIG', '--plugin', '$PLUGIN', '--only', 'demo/fixtur']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('unknown check "demo/fixtur"');
  });

  it('an empty --only or --skip (or only commas) is refused in one line, not read as "every check" / "skip nothing"', async () => {
    for (const flag of ['--only', '--skip']) {
      for (const value of ['', ' , ']) {
        const r = await cli(['audit', '-c', '$CONFIG', '--plugin', '$PLUGIN', flag, value], { findings: [{ code: 'broken', key: 1 }] });
        expect(r).toMatchObject({ code: 2, stdout: '' });
        expect(r.stderr).toContain(`${flag} ${JSON.stringify(value)} names no check`);
        expect(r.stderr).not.toContain('broken');
      }
    }
  });

  it('a bad store setting and a bad check section are listed in one round, not one after the other', async () => {
    const config = path.join(dir, 'two-problems.json');
    writeFileSync(
      config,
      JSON.stringify({
        stores: { redis: { host: 'memory.invalid', port: 'six' } },
        checks: { 'demo/fixture': { severity: { brokn: 'warn' } }, 'cache-drft': {} },
      }),
    );
    for (const command of ['validate', 'audit']) {
      const r = await cli([command, '-c', config, '--plugin', '$PLUGIN']);
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toMatch(/stores\.redis\.port/);
      expect(r.stderr).toMatch(/checks\.demo\/fixture\.severity\.brokn: unknown finding code \(did you mean "broken"\?\)/);
      expect(r.stderr).toMatch(/checks\.cache-drft: unknown check "cache-drft"/);
    }
    // A problem in the checks section itself stays the only round (nothing to judge the sections by).
    writeFileSync(
      config,
      JSON.stringify({ stores: { redis: { host: 'memory.invalid', port: 'six' } }, checks: { 'demo/fixture': { enabled: 'yes' } } }),
    );
    const r = await cli(['validate', '-c', config, '--plugin', '$PLUGIN']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stores\.redis\.port/);
    expect(r.stderr).toMatch(/checks\.demo\/fixture\.enabled/);
  });

  it('a plugin that does not exist', async () => {
    const r = await cli(['audit', '-c', '$CONFIG', '--plugin', path.join(dir, 'nope.mjs')]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('plugin not found');
  });

  it('a plugin that exists but imports a package it cannot resolve says which package, not "not found"', async () => {
    const file = path.join(dir, 'imports-missing.mjs');
    writeFileSync(file, "import { defineCheck } from 'dbcheck-no-such-package';\nexport default defineCheck({});\n");
    const r = await cli(['audit', '-c', '$CONFIG', '--plugin', file]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).not.toContain('plugin not found');
    expect(r.stderr).toContain(`plugin ${file} failed to load: Cannot find package 'dbcheck-no-such-package'`);
  });

  it('--version is 0 on stdout', async () => {
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('exit codes of an audit', () => {
  it('0: clean; the JSON report on stdout, stderr quiet', async () => {
    const r = await cli([...audit, '--format', 'json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 0, checks: [{ id: 'demo/fixture', status: 'pass' }] });
  });

  it('1: an error finding; the table names it', async () => {
    const r = await cli(audit, { findings: [{ code: 'broken', key: 42 }] });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error broken\s+row 42 is broken/);
    expect(r.stderr).toBe('');
  });

  it('a warning is 0 by default and 1 with --fail-on warn', async () => {
    const options = { findings: [{ code: 'odd', key: 7 }] };
    expect((await cli(audit, options)).code).toBe(0);
    expect((await cli([...audit, '--fail-on', 'warn'], options)).code).toBe(1);
  });

  it('2: the check says the configuration is wrong (CONFIG), one line on stderr', async () => {
    const r = await cli(audit, { fail: { code: 'CONFIG', message: 'column chunks.doc_id does not exist' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('dbcheck: check demo/fixture: column chunks.doc_id does not exist\n');
  });

  it('3: a store failure mid-check, even with findings; the report still printed', async () => {
    const r = await cli([...audit, '--format', 'json'], {
      findings: [{ code: 'broken', key: 1 }],
      fail: { code: 'STORE_TIMEOUT', message: 'Redis at redis://cache:6379: no answer in 2000 ms' },
    });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).checks[0]).toMatchObject({ status: 'error', partial: true, countsByCode: { broken: 1 } });
    expect(r.stderr).toContain('dbcheck: check demo/fixture: Redis at redis://cache:6379: no answer in 2000 ms');
  });

  it('0: a shard other than 0 whose checks all run whole in shard 0 did its part (nothing), not "no check would run"', async () => {
    const r = await cli([...audit, '--shard', '1/2', '--format', 'json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout).checks.find((c: { id: string }) => c.id === 'demo/fixture')).toMatchObject({ status: 'skipped' });
  });

  it('130: interrupted (SIGINT) before the check could finish', async () => {
    const r = await cli([...audit, '--format', 'json'], {}, { signal: AbortSignal.abort('SIGINT') });
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout).summary.interrupted).toBe('SIGINT');
  });
});

describe('output routing', () => {
  it('validate names a config outside the working folder by its absolute path, not ../../..', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'dbcheck-outside-'));
    const config = path.join(outside, 'dbcheck.json');
    writeFileSync(config, JSON.stringify({ stores: { redis: { host: 'memory.invalid' } } }));
    try {
      const r = await cli(['validate', '-c', config], {}, { cwd: path.join(dir) });
      expect(r).toMatchObject({ code: 0, stdout: `${config}: valid\n` });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('merge of a shard report that does not exist names the file in words, not an errno code', async () => {
    const r = await cli(['merge', path.join(dir, 'missing-shard.json')]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`dbcheck: cannot merge\n  ${path.join(dir, 'missing-shard.json')}: no such file\n`);
  });

  it('merge --output into a folder that does not exist: exit 2, one line naming --output, like audit', async () => {
    const shard = path.join(dir, 'shard.json');
    writeFileSync(shard, '{}');
    const r = await cli(['merge', shard, '--output', path.join(dir, 'no-such-folder', 'merged.json')]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      `dbcheck: invalid option\n  --output ${path.join(dir, 'no-such-folder', 'merged.json')}: folder ${path.join(dir, 'no-such-folder')} does not exist\n`,
    );
  });

  it('--output writes the report to the file and nothing to stdout', async () => {
    const out = path.join(dir, 'report.json');
    const r = await cli([...audit, '--format', 'json', '--output', out], { findings: [{ code: 'broken', key: 3 }] });
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: '' });
    expect(JSON.parse(readFileSync(out, 'utf8')).summary.findings.error).toBe(1);
  });

  it('--output into a folder that does not exist is refused before the audit (2)', async () => {
    const r = await cli([...audit, '--output', path.join(dir, 'no/such/dir/report.json')]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('invalid option');
  });

  it('a config section for a check nobody has is exit 2, pointing at the section', async () => {
    const config = path.join(dir, 'typo.json');
    writeFileSync(config, JSON.stringify({ stores: { redis: { host: 'memory.invalid' } }, checks: { 'cache-drfit': {} } }));
    const r = await cli(['audit', '-c', config, '--plugin', '$PLUGIN', '--only', 'demo/fixture']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/invalid config[\s\S]*unknown check "cache-drfit".*cache-drift/);
  });

  it('`checks` lists built-in and plugin checks on stdout', async () => {
    const r = await cli(['checks', '-c', '$CONFIG', '--plugin', '$PLUGIN']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('demo/fixture');
    expect(r.stdout).toContain('cache-drift');
    // meta.description, on the line under its check.
    expect(r.stdout).toMatch(/^health .*\n\s+Reachability, server version, round-trip latency and capacity of each configured store\.$/m);
  });
});
