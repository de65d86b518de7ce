/**
 * Flyway: `V<version>__<description>.sql` (up) and `U<version>__<description>.sql` (undo), in the
 * folder or below it; `flyway_schema_history(installed_rank, version, type, checksum, success)`.
 * Checksums are Flyway's CRC32 (see checksums.ts). A successful UNDO_SQL row un-applies its
 * version; a BASELINE row stands for every version up to it; repeatable (R__) migrations are skipped.
 */
import { flywayChecksum } from '../checksums.js';
import { compareDottedVersions, readFiles } from './files.js';
import { quoteTrackingTable } from './tracking.js';
import type { AppliedMigration, DiskMigration, MigrationTool } from './types.js';

const FILE = /(?:^|\/)([VU])(\d+(?:[._]\d+)*)__([^/]+)\.sql$/;

/** "1_2", "1.2", "01.2.0" are the same Flyway version: "1.2". */
export function normaliseFlywayVersion(v: string): string {
  const parts = v.split(/[._]/).map((p) => BigInt(p));
  while (parts.length > 1 && parts[parts.length - 1] === 0n) parts.pop();
  return parts.join('.');
}

/** Flyway versions are dotted numbers once normalised. */
export const compareFlywayVersions = compareDottedVersions;

export const flyway: MigrationTool = {
  id: 'flyway',
  title: 'Flyway',
  defaultTable: 'flyway_schema_history',
  hasDownScripts: true,
  recordsOrder: true,
  recognise: (files) => files.filter((f) => FILE.test(f)).length,
  tableLooksLikeMine: (columns) => columns.includes('installed_rank') && columns.includes('success'),
  async load(dir, files) {
    const matched = files.filter((f) => FILE.test(f));
    const contents = await readFiles(dir, matched);
    const byVersion = new Map<string, DiskMigration>();
    for (const f of matched) {
      const [, prefix, version, description] = FILE.exec(f)!;
      const id = normaliseFlywayVersion(version);
      const m = byVersion.get(id) ?? { id, label: `V${version}__${description}`, down: 'none' as const };
      const content = contents.get(f)!;
      if (prefix === 'V') Object.assign(m, { upFile: f, upSql: content.toString('utf8'), checksums: [String(flywayChecksum(content))] });
      else Object.assign(m, { downFile: f, downSql: content.toString('utf8'), down: 'sql' });
      byVersion.set(id, m);
    }
    return [...byVersion.values()].sort((a, b) => compareFlywayVersions(a.id, b.id));
  },
  async readHistory(db, table, _disk, _settings, signal) {
    const r = await db.query<{ version: string | null; type: string; checksum: string | null; success: boolean; installed_on: string | null }>(
      `SELECT version, type, checksum::text AS checksum, success, installed_on::text AS installed_on
         FROM ${quoteTrackingTable(table)} ORDER BY installed_rank`,
      [],
      { signal },
    );
    const byVersion = new Map<string, AppliedMigration>();
    let baselineId: string | undefined;
    let rank = 0;
    for (const row of r.rows) {
      if (row.version === null || row.type === 'SCHEMA' || row.type === 'DELETE') continue;
      const id = normaliseFlywayVersion(row.version);
      if (row.type === 'BASELINE') baselineId = id;
      else if (row.type.startsWith('UNDO')) {
        if (row.success) byVersion.delete(id);
      } else {
        byVersion.delete(id); // a re-run after repair supersedes the earlier row
        byVersion.set(id, {
          id,
          rank: rank++,
          state: row.success ? 'applied' : 'failed',
          ...(row.checksum !== null ? { checksum: row.checksum } : {}),
          ...(row.installed_on ? { appliedAt: row.installed_on } : {}),
        });
      }
    }
    return { applied: [...byVersion.values()], ...(baselineId ? { baselineId } : {}) };
  },
  compareIds: compareFlywayVersions,
};
