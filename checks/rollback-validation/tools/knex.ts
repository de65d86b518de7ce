/**
 * Knex: JS/TS migration files (`<timestamp>_<name>.js`); `knex_migrations(id, name, batch,
 * migration_time)`, `name` being the file name with its extension, in the order applied (id).
 * Knex migrations are code: dbcheck reads them as history (and looks for a `down`), never runs them.
 */
import { compareText, codeDown, readFiles } from './files.js';
import { readNamedRows } from './tracking.js';
import type { DiskMigration, MigrationTool } from './types.js';

const FILE = /^[^/]+\.(js|cjs|mjs|ts)$/;
const isMigration = (f: string) => FILE.test(f) && !f.endsWith('.d.ts') && !/^knexfile\./.test(f);

export const knex: MigrationTool = {
  id: 'knex',
  title: 'Knex',
  defaultTable: 'knex_migrations',
  hasDownScripts: true,
  recordsOrder: true,
  recognise: (files) => files.filter(isMigration).length,
  tableLooksLikeMine: (columns) => columns.includes('name') && columns.includes('batch'),
  async load(dir, files) {
    const matched = files.filter(isMigration);
    const contents = await readFiles(dir, matched);
    return matched
      .map((f): DiskMigration => ({ id: f, label: f, upFile: f, ...codeDown(contents.get(f)!.toString('utf8')) }))
      .sort((a, b) => compareText(a.id, b.id));
  },
  readHistory: (db, table, _disk, _settings, signal) => readNamedRows(db, table, { time: 'migration_time', orderBy: ['id'] }, signal),
  compareIds: compareText,
};
