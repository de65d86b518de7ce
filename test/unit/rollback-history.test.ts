import { describe, expect, it } from 'vitest';
import { analyseHistory } from '../../checks/rollback-validation/history.js';
import { compareNumeric } from '../../checks/rollback-validation/tools/files.js';
import type { AppliedMigration, DiskMigration } from '../../checks/rollback-validation/tools/types.js';

const tool = { title: 'test tool', compareIds: compareNumeric, recordsOrder: true, hasDownScripts: true };
const file = (id: string, extra: Partial<DiskMigration> = {}): DiskMigration => ({
  id,
  label: `${id}_m`,
  down: 'sql',
  downSql: 'SELECT 1',
  ...extra,
});
const row = (id: string, rank: number, extra: Partial<AppliedMigration> = {}): AppliedMigration => ({
  id,
  rank,
  state: 'applied',
  ...extra,
});
const codes = (fs: Array<{ code: string; id: string }>) => fs.map((f) => `${f.code}:${f.id}`).sort();

describe('analyseHistory', () => {
  it('a clean history has no findings', () => {
    expect(analyseHistory(tool, [file('1'), file('2')], { applied: [row('1', 0), row('2', 1)] })).toEqual([]);
  });

  it('finds missing files, pending migrations and pending ones older than the latest applied (once)', () => {
    const f = analyseHistory(tool, [file('1'), file('2'), file('4'), file('5')], { applied: [row('1', 0), row('3', 1), row('4', 2)] });
    // 2 is pending AND older than 4: one out-of-order finding, not also a pending one (failed before).
    expect(codes(f)).toEqual(['missing-file:3', 'out-of-order:2', 'pending:5']);
    expect(f.find((x) => x.code === 'out-of-order')).toMatchObject({ kind: 'pending-before-applied', later: '4' });
  });

  it('finds a migration applied after a newer one', () => {
    const f = analyseHistory(tool, [file('1'), file('2'), file('3')], { applied: [row('1', 0), row('3', 1), row('2', 2)] });
    expect(f).toEqual([{ code: 'out-of-order', id: '2', label: '2_m', kind: 'applied-after-later', later: '3' }]);
  });

  it('does not judge the order when the tool does not record it', () => {
    const f = analyseHistory({ ...tool, recordsOrder: false }, [file('1'), file('2')], { applied: [row('2', 0), row('1', 1)] });
    expect(f).toEqual([]);
  });

  it('finds checksum mismatches and dirty states', () => {
    const f = analyseHistory(tool, [file('1', { checksums: ['111'] }), file('2', { checksums: ['222'] })], {
      applied: [row('1', 0, { checksum: '999' }), row('2', 1, { checksum: '222', state: 'failed' })],
    });
    expect(codes(f)).toEqual(['checksum-mismatch:1', 'dirty-state:2']);
  });

  it('finds applied migrations without a down script; Prisma-like tools get one finding', () => {
    const f = analyseHistory(tool, [file('1', { down: 'none', downSql: undefined }), file('2', { down: 'code', downSql: undefined })], {
      applied: [row('1', 0), row('2', 1)],
    });
    expect(codes(f)).toEqual(['no-down-script:1']);
    const p = analyseHistory({ ...tool, hasDownScripts: false }, [file('1', { down: 'none' }), file('2', { down: 'none' })], {
      applied: [row('1', 0), row('2', 1)],
    });
    expect(codes(p)).toEqual(['no-down-script:*']);
  });

  it('a folder where no migration has a down gets one summary finding, not one per migration', () => {
    const none = (id: string) => file(id, { down: 'none', downSql: undefined });
    const f = analyseHistory(tool, [none('1'), none('2'), none('3')], {
      applied: [row('1', 0), row('2', 1), row('3', 2, { state: 'failed' })],
    });
    // Failed before: one no-down-script per migration. The summary counts only cleanly applied ones.
    expect(f.filter((x) => x.code === 'no-down-script')).toEqual([expect.objectContaining({ id: '*', label: 'all 2 applied migrations' })]);
  });

  it('Java migrations (in code) are not missing files; repeatables are re-applied, not edited', () => {
    const rep = file('R__views', { repeatable: true, down: 'none', checksums: ['42'] });
    const f = analyseHistory(tool, [file('1'), rep], {
      applied: [
        row('1', 0),
        row('2', 1, { inCode: 'db.migration.V2__Backfill' }),
        row('R__views', 2, { repeatable: true, checksum: '41' }),
      ],
    });
    expect(codes(f)).toEqual(['pending:R__views']);
    expect(f[0]).toMatchObject({ reason: expect.stringMatching(/re-applied/) });
  });

  it('counts versions at or below a baseline as applied', () => {
    const f = analyseHistory(tool, [file('1'), file('2'), file('3')], { applied: [row('3', 0)], baselineId: '2' });
    expect(f).toEqual([]);
  });
});
