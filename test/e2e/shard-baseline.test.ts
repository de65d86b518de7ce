/**
 * The real CLI (bin/dbcheck -> dist/, run `npm run build` first): `--shard i/n` reports joined by
 * `dbcheck merge` equal one run; `--baseline` labels findings and `--fail-on-new` exits 0 when
 * nothing is new; bad --shard / --baseline / merge inputs are one line and exit 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { createPgSchema, testStoresConfig, type PgFixture } from '../helpers/stores.js';

describe('dbcheck --shard, merge and --baseline', () => {
  let pg: PgFixture;
  let dir: string;

  beforeAll(async () => {
    pg = await createPgSchema('e2e_shard');
    const s = `"${pg.schema}"`;
    await pg.client.query(`CREATE TABLE ${s}.docs (id bigint PRIMARY KEY)`);
    await pg.client.query(`INSERT INTO ${s}.docs SELECT generate_series(1, 20)`);
    await pg.client.query(`CREATE TABLE ${s}.chunks (id serial PRIMARY KEY, document_id bigint)`);
    await pg.client.query(`INSERT INTO ${s}.chunks (document_id) SELECT generate_series(15, 40)`); // 21..40 are orphans
    const config = {
      stores: { postgres: testStoresConfig().postgres },
      checks: {
        'orphan-scan': {
          postgres: [
            {
              name: 'chunks',
              child: { schema: pg.schema, table: 'chunks', column: 'document_id' },
              parent: { schema: pg.schema, table: 'docs', column: 'id' },
            },
          ],
        },
      },
    };
    dir = tempDir({ 'dbcheck.json': JSON.stringify(config) });
  }, 60_000);

  afterAll(async () => {
    await pg?.cleanup();
  });

  const run = (...args: string[]) => runCli(['audit', '--only', 'orphan-scan', '--format', 'json', ...args], { cwd: dir });
  const json = (name: string) => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));

  it('two shards merged equal one run; a baseline of that run finds nothing new', async () => {
    const [single, a, b] = await Promise.all([
      run('-o', 'all.json'),
      run('--shard', '0/2', '-o', 'a.json'),
      run('--shard', '1/2', '-o', 'b.json'),
    ]);
    expect([single.code, a.code, b.code]).toEqual([1, 1, 1]);
    const merged = await runCli(['merge', 'a.json', 'b.json', '--format', 'json'], { cwd: dir });
    expect(merged.code).toBe(1);
    const m = JSON.parse(merged.stdout);
    const all = json('all.json');
    expect(m.summary).toEqual(all.summary);
    const orphans = (r: any) => r.checks[0].findings.map((f: any) => f.subject.key).sort();
    expect(orphans(m)).toEqual(orphans(all));
    expect(orphans(all)).toHaveLength(20);
    expect(orphans(json('a.json')).length).toBeGreaterThan(0);
    expect(orphans(json('b.json')).length).toBeGreaterThan(0);
    // Stats merge by the rules each shard report carries: the counters are one run's.
    const rows = (r: any) => r.checks[0].stats.rowsCompared;
    expect(json('a.json').checks[0].statRules.rowsCompared).toBe('sum');
    expect(rows(m)).toBe(rows(all));
    expect(rows(json('a.json'))).toBeLessThan(rows(all));
    // Reports written before they carried rules merge by the built-in check's declaration.
    for (const f of ['a', 'b']) {
      const old = json(`${f}.json`);
      delete old.checks[0].statRules;
      writeFileSync(path.join(dir, `${f}-old.json`), JSON.stringify(old));
    }
    const fromOld = await runCli(['merge', 'a-old.json', 'b-old.json', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(fromOld.stdout).checks[0].stats).toEqual(m.checks[0].stats);

    const again = await runCli(['audit', '--only', 'orphan-scan', '--baseline', 'all.json', '--fail-on-new'], { cwd: dir });
    expect(again.stdout).toContain('baseline since');
    expect(again.stdout).toContain('0 new, 20 unchanged, 0 resolved');
    expect(again.code).toBe(0);
  }, 240_000);

  it('bad --shard, --baseline and merge inputs: one line each, exit 2', async () => {
    const [shard, baseline, alone, partial] = await Promise.all([
      run('--shard', '2/2'),
      run('--baseline', 'missing.json'),
      runCli(['audit', '--only', 'orphan-scan', '--fail-on-new'], { cwd: dir }),
      runCli(['merge', 'a.json'], { cwd: dir }),
    ]);
    expect(shard.code).toBe(2);
    expect(shard.stderr).toMatch(/--shard "2\/2": must be i\/n with 0 <= i < n/);
    expect(baseline.code).toBe(2);
    expect(baseline.stderr).toMatch(/--baseline .*missing\.json: cannot read it \(ENOENT\)/);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--fail-on-new needs --baseline FILE');
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain('missing shard 1/2');
    for (const r of [shard, baseline, alone, partial]) expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 240_000);
});
