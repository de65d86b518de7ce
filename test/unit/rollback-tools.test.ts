import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flywayChecksum } from '../../checks/rollback-validation/checksums.js';
import { listFiles } from '../../checks/rollback-validation/tools/files.js';
import { chooseTool, toolById } from '../../checks/rollback-validation/tools/index.js';
import { normaliseFlywayVersion } from '../../checks/rollback-validation/tools/flyway.js';
import { splitUpDown } from '../../checks/rollback-validation/tools/node-pg-migrate.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function folder(files: Record<string, string>): Promise<string[]> {
  dir = await mkdtemp(path.join(tmpdir(), 'rv-unit-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return listFiles(dir);
}

const settings = { versionColumn: 'version' };
const table = (name: string, columns: string[]) => [name, { schema: 'public', name, columns }] as const;

describe('migration tool detection', () => {
  it('picks the tool whose files are there and whose tracking table exists', async () => {
    const files = await folder({ '1_a.up.sql': '', '1_a.down.sql': '' });
    expect(chooseTool(files, new Map(), settings)?.tool.id).toBe('golang-migrate');
    expect(chooseTool(files, new Map([table('schema_migrations', ['version', 'dirty'])]), settings)?.tool.id).toBe('golang-migrate');
    expect(chooseTool(files, new Map([table('schema_migrations', ['version', 'applied_at'])]), settings)?.tool.id).toBe('plain');
  });

  it('recognises Flyway, Prisma and Knex layouts', async () => {
    expect(chooseTool(await folder({ 'V1__init.sql': '' }), new Map(), settings)?.tool.id).toBe('flyway');
    expect(
      chooseTool(await folder({ '20240101000000_init/migration.sql': '', 'migration_lock.toml': '' }), new Map(), settings)?.tool.id,
    ).toBe('prisma');
    const js = await folder({ '20240101_init.js': 'exports.up = () => {}' });
    expect(chooseTool(js, new Map([table('knex_migrations', ['id', 'name', 'batch', 'migration_time'])]), settings)?.tool.id).toBe('knex');
    expect(chooseTool(js, new Map([table('pgmigrations', ['id', 'name', 'run_on'])]), settings)?.tool.id).toBe('node-pg-migrate');
  });

  it('returns undefined when nothing is recognised, and obeys a forced tool', async () => {
    const files = await folder({ 'README.md': '' });
    expect(chooseTool(files, new Map(), settings)).toBeUndefined();
    expect(chooseTool(files, new Map(), settings, { tool: 'knex' })?.tool.id).toBe('knex');
  });
});

describe('migration tool loading', () => {
  it('golang-migrate pairs up and down files by version, in numeric order', async () => {
    const files = await folder({ '10_b.up.sql': 'B', '2_a.up.sql': 'A', '2_a.down.sql': 'a', 'notes.txt': '' });
    const ms = await toolById('golang-migrate').load(dir, files);
    expect(ms.map((m) => [m.id, m.down, m.upSql, m.downSql])).toEqual([
      ['2', 'sql', 'A', 'a'],
      ['10', 'none', 'B', undefined],
    ]);
  });

  it('node-pg-migrate splits SQL files on the Up/Down markers and reads JS downs', async () => {
    expect(splitUpDown('-- Up Migration\nCREATE TABLE t();\n-- Down Migration\nDROP TABLE t;\n')).toMatchObject({
      up: '\nCREATE TABLE t();\n',
      down: '\nDROP TABLE t;\n',
    });
    const files = await folder({
      '1700000000000_a.sql': '-- Up Migration\nCREATE TABLE t();\n-- Down Migration\n',
      '1700000000001_b.js': 'exports.up = (pgm) => {}; exports.down = (pgm) => {};',
      '1700000000002_c.js': 'exports.up = (pgm) => {}; exports.down = false;',
    });
    const ms = await toolById('node-pg-migrate').load(dir, files);
    expect(ms.map((m) => [m.id, m.down])).toEqual([
      ['1700000000000_a', 'none'],
      ['1700000000001_b', 'code'],
      ['1700000000002_c', 'none'],
    ]);
  });

  it('Flyway reads V and U files (also in subfolders) with Flyway checksums', async () => {
    const files = await folder({
      'V1_1__init.sql': 'CREATE TABLE t();',
      'sub/U1_1__init.sql': 'DROP TABLE t;',
      'V2__more.sql': 'SELECT 1;',
    });
    const ms = await toolById('flyway').load(dir, files);
    expect(ms.map((m) => [m.id, m.down, m.downFile])).toEqual([
      ['1.1', 'sql', 'sub/U1_1__init.sql'],
      ['2', 'none', undefined],
    ]);
    expect(ms[0].checksums).toEqual([String(flywayChecksum('CREATE TABLE t();'))]);
    expect(normaliseFlywayVersion('01_2_0')).toBe('1.2');
  });

  it('Prisma reads one folder per migration and has no down scripts', async () => {
    const files = await folder({ '20240102000000_b/migration.sql': 'B', '20240101000000_a/migration.sql': 'A' });
    const ms = await toolById('prisma').load(dir, files);
    expect(ms.map((m) => [m.id, m.down, m.upSql])).toEqual([
      ['20240101000000_a', 'none', 'A'],
      ['20240102000000_b', 'none', 'B'],
    ]);
  });
});
