/**
 * Prisma Migrate: `<timestamp>_<name>/migration.sql`; `_prisma_migrations(migration_name,
 * checksum, finished_at, rolled_back_at, started_at)`. Checksums are SHA-256. Prisma has no down
 * migrations: a rollback is a new forward migration (e.g. made with `prisma migrate diff`).
 * A migration may have several rows (failed, marked rolled back, applied again): the best one counts;
 * one whose best row is marked rolled back counts as not applied, as Prisma counts it.
 */
import { prismaChecksum, prismaChecksumWithoutLeadingZeros } from '../checksums.js';
import { compareText, readFiles } from './files.js';
import { quoteTrackingTable } from './tracking.js';
import type { AppliedMigration, MigrationTool } from './types.js';

const FILE = /^([^/]+)\/migration\.sql$/;

const STATE_PREFERENCE: Record<AppliedMigration['state'], number> = { applied: 3, failed: 2, dirty: 2, 'rolled-back': 1 };

export const prisma: MigrationTool = {
  id: 'prisma',
  title: 'Prisma Migrate',
  defaultTable: '_prisma_migrations',
  hasDownScripts: false,
  recordsOrder: true,
  recognise: (files) => files.filter((f) => FILE.test(f)).length,
  tableLooksLikeMine: (columns) => columns.includes('migration_name') && columns.includes('finished_at'),
  async load(dir, files) {
    const matched = files.filter((f) => FILE.test(f));
    const contents = await readFiles(dir, matched);
    return matched
      .map((f) => {
        const content = contents.get(f)!;
        const text = content.toString('utf8');
        const lf = text.replace(/\r\n/g, '\n');
        // Prisma accepts the file with its line endings converted either way (git autocrlf).
        const variants = [content, lf, lf.replace(/\n/g, '\r\n')];
        // Older Prisma versions wrote the hex without leading zeros; Prisma accepts both forms.
        const checksums = [
          ...new Set([...variants.map((v) => prismaChecksum(v)), ...variants.map((v) => prismaChecksumWithoutLeadingZeros(v))]),
        ];
        return { id: FILE.exec(f)![1], label: FILE.exec(f)![1], upFile: f, upSql: text, down: 'none' as const, checksums };
      })
      .sort((a, b) => compareText(a.id, b.id));
  },
  async readHistory(db, table, _disk, _settings, signal) {
    const r = await db.query<{
      migration_name: string;
      checksum: string;
      finished: boolean;
      rolled_back: boolean;
      started_at: string | null;
    }>(
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back,
              started_at::text AS started_at
         FROM ${quoteTrackingTable(table)} ORDER BY started_at, migration_name`,
      [],
      { signal },
    );
    const byName = new Map<string, AppliedMigration>();
    let rank = 0;
    for (const row of r.rows) {
      const state: AppliedMigration['state'] = row.rolled_back ? 'rolled-back' : row.finished ? 'applied' : 'failed';
      const prev = byName.get(row.migration_name);
      if (prev && STATE_PREFERENCE[prev.state] > STATE_PREFERENCE[state]) continue;
      byName.set(row.migration_name, {
        id: row.migration_name,
        rank: prev?.rank ?? rank++,
        state,
        checksum: row.checksum,
        ...(row.started_at ? { appliedAt: row.started_at } : {}),
      });
    }
    // `prisma migrate resolve --rolled-back` marks a failed migration as not applied: Prisma applies
    // it again on the next deploy, so it is pending, not dirty.
    return { applied: [...byName.values()].filter((a) => a.state !== 'rolled-back').sort((a, b) => a.rank - b.rank) };
  },
  compareIds: compareText,
};
