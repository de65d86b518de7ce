/**
 * A plain folder of paired SQL files, `<version>_<name>.up.sql` / `<version>_<name>.down.sql`,
 * with a tracking table of one row per applied version. Table and columns are configurable
 * (`table`, `plain.versionColumn`, `plain.orderColumn`); without an order column the order of
 * application is unknown and out-of-order is not judged for applied rows.
 */
import { compareDottedVersions, pairUpDownFiles } from './files.js';
import { quoteTrackingTable } from './tracking.js';
import type { MigrationTool } from './types.js';

const FILE = /^(\d+(?:\.\d+)*)[_-]([^/]*)\.(up|down)\.sql$/;

const normalise = (v: string) =>
  v
    .split('.')
    .map((p) => BigInt(p).toString())
    .join('.');
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const plain: MigrationTool = {
  id: 'plain',
  title: 'plain SQL folder',
  defaultTable: 'schema_migrations',
  hasDownScripts: true,
  recordsOrder: true,
  recognise: (files) => files.filter((f) => FILE.test(f)).length,
  tableLooksLikeMine: (columns, settings) => columns.includes(settings.versionColumn) && !columns.includes('dirty'),
  load: (dir, files) =>
    pairUpDownFiles(dir, files, (f) => FILE.exec(f)?.slice(1, 4) as [string, string, string] | undefined, normalise, compareDottedVersions),
  async readHistory(db, table, _disk, settings, signal) {
    const version = quote(settings.versionColumn);
    const order = settings.orderColumn && table.columns.includes(settings.orderColumn) ? `${quote(settings.orderColumn)}, ` : '';
    const r = await db.query<{ version: string }>(
      `SELECT ${version}::text AS version FROM ${quoteTrackingTable(table)} ORDER BY ${order}${version}`,
      [],
      { signal },
    );
    const applied = r.rows
      .filter((row) => /^\d+(\.\d+)*$/.test(row.version.trim()))
      .map((row, rank) => ({ id: normalise(row.version.trim()), rank, state: 'applied' as const }));
    return { applied };
  },
  compareIds: compareDottedVersions,
};
