/**
 * A plain folder of paired SQL files, `<version>_<name>.up.sql` / `<version>_<name>.down.sql`,
 * with a tracking table of one row per applied version. Table and columns are configurable
 * (`table`, `plain.versionColumn`, `plain.orderColumn`); without an order column the order of
 * application is unknown and out-of-order is not judged for applied rows.
 */
import { readFiles } from './files.js';
import { quoteTrackingTable } from './tracking.js';
import type { DiskMigration, MigrationTool } from './types.js';

const FILE = /^(\d+(?:\.\d+)*)[_-]([^/]*)\.(up|down)\.sql$/;

/** Numeric versions ("0007", "1.10") compare part by part as integers. */
function compareVersions(a: string, b: string): number {
  const x = a.split('.').map((p) => BigInt(p));
  const y = b.split('.').map((p) => BigInt(p));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0n) - (y[i] ?? 0n);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return 0;
}

const normalise = (v: string) => v.split('.').map((p) => BigInt(p).toString()).join('.');
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const plain: MigrationTool = {
  id: 'plain',
  title: 'plain SQL folder',
  defaultTable: 'schema_migrations',
  hasDownScripts: true,
  recordsOrder: true,
  recognise: (files) => files.filter((f) => FILE.test(f)).length,
  tableLooksLikeMine: (columns, settings) => columns.includes(settings.versionColumn) && !columns.includes('dirty'),
  async load(dir, files) {
    const matched = files.filter((f) => FILE.test(f));
    const contents = await readFiles(dir, matched);
    const byVersion = new Map<string, DiskMigration>();
    for (const f of matched) {
      const [, version, name, direction] = FILE.exec(f)!;
      const id = normalise(version);
      const m = byVersion.get(id) ?? { id, label: `${version}_${name}`, down: 'none' as const };
      const sql = contents.get(f)!.toString('utf8');
      if (direction === 'up') Object.assign(m, { upFile: f, upSql: sql });
      else Object.assign(m, { downFile: f, downSql: sql, down: 'sql' });
      byVersion.set(id, m);
    }
    return [...byVersion.values()].sort((a, b) => compareVersions(a.id, b.id));
  },
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
  compareIds: compareVersions,
};
