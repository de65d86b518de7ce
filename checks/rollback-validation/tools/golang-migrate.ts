/**
 * golang-migrate: `<version>_<name>.up.sql` / `.down.sql`; `schema_migrations(version, dirty)`
 * holds ONE row, the current version. So every file up to that version counts as applied, the
 * order of application is not recorded, and `dirty = true` means that version failed midway.
 */
import { compareNumeric, pairUpDownFiles } from './files.js';
import { quoteTrackingTable } from './tracking.js';
import type { AppliedMigration, MigrationTool } from './types.js';

const FILE = /^(\d+)_([^/]*)\.(up|down)\.sql$/;

export const golangMigrate: MigrationTool = {
  id: 'golang-migrate',
  title: 'golang-migrate',
  defaultTable: 'schema_migrations',
  hasDownScripts: true,
  recordsOrder: false,
  recognise: (files) => files.filter((f) => FILE.test(f)).length,
  tableLooksLikeMine: (columns) => columns.includes('version') && columns.includes('dirty'),
  load: (dir, files) =>
    pairUpDownFiles(
      dir,
      files,
      (f) => FILE.exec(f)?.slice(1, 4) as [string, string, string] | undefined,
      (v) => BigInt(v).toString(),
      compareNumeric,
    ),
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
