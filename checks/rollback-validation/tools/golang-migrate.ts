/**
 * golang-migrate: `<version>_<name>.up.sql` / `.down.sql`; `schema_migrations(version, dirty)`
 * holds ONE row, the current version. So every file up to that version counts as applied, the
 * order of application is not recorded, and `dirty = true` means that version failed midway.
 */
import { compareNumeric, readFiles } from './files.js';
import { quoteTrackingTable } from './tracking.js';
import type { AppliedMigration, DiskMigration, MigrationTool } from './types.js';

const FILE = /^(\d+)_([^/]*)\.(up|down)\.sql$/;

export const golangMigrate: MigrationTool = {
  id: 'golang-migrate',
  title: 'golang-migrate',
  defaultTable: 'schema_migrations',
  hasDownScripts: true,
  recordsOrder: false,
  recognise: (files) => files.filter((f) => FILE.test(f)).length,
  tableLooksLikeMine: (columns) => columns.includes('version') && columns.includes('dirty'),
  async load(dir, files) {
    const matched = files.filter((f) => FILE.test(f));
    const contents = await readFiles(dir, matched);
    const byVersion = new Map<string, DiskMigration>();
    for (const f of matched) {
      const [, version, name, direction] = FILE.exec(f)!;
      const id = BigInt(version).toString();
      const m = byVersion.get(id) ?? { id, label: `${version}_${name}`, down: 'none' as const };
      const sql = contents.get(f)!.toString('utf8');
      if (direction === 'up') Object.assign(m, { upFile: f, upSql: sql });
      else Object.assign(m, { downFile: f, downSql: sql, down: 'sql' });
      byVersion.set(id, m);
    }
    return [...byVersion.values()].sort((a, b) => compareNumeric(a.id, b.id));
  },
  async readHistory(db, table, disk, _settings, signal) {
    const r = await db.query<{ version: string; dirty: boolean }>(
      `SELECT version::text AS version, dirty FROM ${quoteTrackingTable(table)} LIMIT 2`,
      [],
      { signal },
    );
    if (r.rows.length === 0) return { applied: [] };
    const current = BigInt(r.rows[0].version).toString();
    const applied: AppliedMigration[] = disk
      .filter((m) => compareNumeric(m.id, current) < 0)
      .map((m, rank) => ({ id: m.id, rank, state: 'applied' as const }));
    applied.push({ id: current, rank: applied.length, state: r.rows[0].dirty ? 'dirty' : 'applied' });
    return { applied };
  },
  compareIds: compareNumeric,
};
