/**
 * Flyway: `V<version>__<description>.sql` (up) and `U<version>__<description>.sql` (undo), in the
 * folder or below it; `flyway_schema_history(installed_rank, version, type, checksum, success)`.
 * Checksums are Flyway's CRC32 (see checksums.ts). A successful UNDO_SQL row un-applies its
 * version; a BASELINE row stands for every version up to it.
 *
 * Repeatable migrations (`R__<description>.sql`) have no version: Flyway records them with
 * version NULL and re-applies them, after the versioned ones, whenever their checksum changes. They
 * are keyed here as `R__<description>`, the newest row counting. Java migrations (rows of type JDBC
 * or SPRING_JDBC) live in compiled code, not in the SQL folder: no file is expected for them.
 */
import { flywayChecksum } from '../checksums.js';
import { compareDottedVersions, readFiles } from './files.js';
import { quoteTrackingTable } from './tracking.js';
import type { AppliedMigration, DiskMigration, MigrationTool } from './types.js';

const FILE = /(?:^|\/)([VU])(\d+(?:[._]\d+)*)__([^/]+)\.sql$/;
const REPEATABLE = /(?:^|\/)R__([^/]+)\.sql$/;
/** Row types of migrations written in Java (or resolved by a custom Java resolver). */
const CODE_TYPES = new Set(['JDBC', 'SPRING_JDBC', 'CUSTOM', 'JDBC_STATE_SCRIPT']);

/** Flyway stores the description with underscores shown as spaces: R__my_view.sql -> "my view". */
export const repeatableId = (description: string) => `R__${description.replace(/_/g, ' ')}`;

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
  recognise: (files) => files.filter((f) => FILE.test(f) || REPEATABLE.test(f)).length,
  tableLooksLikeMine: (columns) => columns.includes('installed_rank') && columns.includes('success'),
  async load(dir, files) {
    const matched = files.filter((f) => FILE.test(f) || REPEATABLE.test(f));
    const contents = await readFiles(dir, matched);
    const byVersion = new Map<string, DiskMigration>();
    const repeatables: DiskMigration[] = [];
    for (const f of matched) {
      const r = REPEATABLE.exec(f);
      if (r) {
        const content = contents.get(f)!;
        repeatables.push({
          id: repeatableId(r[1]),
          label: `R__${r[1]}`,
          upFile: f,
          upSql: content.toString('utf8'),
          down: 'none',
          repeatable: true,
          checksums: [String(flywayChecksum(content))],
        });
        continue;
      }
      const [, prefix, version, description] = FILE.exec(f)!;
      const id = normaliseFlywayVersion(version);
      const m = byVersion.get(id) ?? { id, label: `V${version}__${description}`, down: 'none' as const };
      const content = contents.get(f)!;
      if (prefix === 'V') Object.assign(m, { upFile: f, upSql: content.toString('utf8'), checksums: [String(flywayChecksum(content))] });
      else Object.assign(m, { downFile: f, downSql: content.toString('utf8'), down: 'sql' });
      byVersion.set(id, m);
    }
    // Flyway runs repeatables after every versioned migration, by description.
    return [
      ...[...byVersion.values()].sort((a, b) => compareFlywayVersions(a.id, b.id)),
      ...repeatables.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    ];
  },
  async readHistory(db, table, _disk, _settings, signal) {
    const r = await db.query<{
      version: string | null;
      description: string | null;
      type: string;
      script: string | null;
      checksum: string | null;
      success: boolean;
      installed_on: string | null;
    }>(
      `SELECT version, description, type, script, checksum::text AS checksum, success, installed_on::text AS installed_on
         FROM ${quoteTrackingTable(table)} ORDER BY installed_rank`,
      [],
      { signal },
    );
    const byVersion = new Map<string, AppliedMigration>();
    let baselineId: string | undefined;
    let rank = 0;
    for (const row of r.rows) {
      if (row.type === 'SCHEMA' || row.type === 'DELETE') continue;
      if (row.version === null) {
        // A repeatable: each re-application adds a row; the newest one says what is applied now.
        if (row.description === null || row.type.startsWith('UNDO')) continue;
        const id = repeatableId(row.description);
        byVersion.delete(id);
        byVersion.set(id, {
          id,
          rank: rank++,
          state: row.success ? 'applied' : 'failed',
          repeatable: true,
          ...(row.checksum !== null ? { checksum: row.checksum } : {}),
          ...(CODE_TYPES.has(row.type) ? { inCode: row.script ?? row.description } : {}),
        });
        continue;
      }
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
          ...(CODE_TYPES.has(row.type) ? { inCode: row.script ?? row.version } : {}),
        });
      }
    }
    return { applied: [...byVersion.values()], ...(baselineId ? { baselineId } : {}) };
  },
  compareIds: compareFlywayVersions,
};
