/**
 * node-pg-migrate: `<timestamp>_<name>.sql|js|ts` at the top of the folder; `pgmigrations(id, name,
 * run_on)` with one row per applied migration, `name` being the file name without its extension.
 * SQL files hold both directions, split by `-- Up Migration` / `-- Down Migration` comments.
 * JS/TS migrations are read (is there a `down`?) but never executed.
 */
import { compareText, codeDown, readFiles } from './files.js';
import { readNamedRows } from './tracking.js';
import type { DiskMigration, MigrationTool } from './types.js';
import { splitSqlStatements } from '../sql-split.js';

const FILE = /^(\d+)[_-]?([^/]*)\.(sql|js|cjs|mjs|ts)$/;
const UP_MARKER = /^\s*--[\s-]*up\s+migration/im;
const DOWN_MARKER = /^\s*--[\s-]*down\s+migration/im;

/** The up and down parts of a node-pg-migrate SQL file, with where each starts. */
export function splitUpDown(sql: string): { up: string; upStart: number; down?: string; downStart?: number } {
  const up = UP_MARKER.exec(sql);
  const down = DOWN_MARKER.exec(sql);
  const upStart = up ? up.index + up[0].length : 0;
  if (!down) return { up: sql.slice(upStart), upStart };
  const downStart = down.index + down[0].length;
  if (down.index < upStart) return { up: sql.slice(upStart), upStart, down: sql.slice(downStart, up!.index), downStart };
  return { up: sql.slice(upStart, down.index), upStart, down: sql.slice(downStart), downStart };
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Orders like node-pg-migrate: by the numeric prefix, then by name. */
function compareIds(a: string, b: string): number {
  const x = /^\d+/.exec(a)?.[0];
  const y = /^\d+/.exec(b)?.[0];
  if (x && y && x !== y) {
    const d = BigInt(x) - BigInt(y);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return compareText(a, b);
}

export const nodePgMigrate: MigrationTool = {
  id: 'node-pg-migrate',
  title: 'node-pg-migrate',
  defaultTable: 'pgmigrations',
  hasDownScripts: true,
  recordsOrder: true,
  recognise: (files) => files.filter((f) => FILE.test(f) && !f.endsWith('.d.ts')).length,
  tableLooksLikeMine: (columns) => columns.includes('name') && columns.includes('run_on'),
  async load(dir, files) {
    const matched = files.filter((f) => FILE.test(f) && !f.endsWith('.d.ts'));
    const contents = await readFiles(dir, matched);
    const out: DiskMigration[] = matched.map((f) => {
      const id = f.replace(/\.[^.]+$/, '');
      const text = contents.get(f)!.toString('utf8');
      if (!f.endsWith('.sql')) return { id, label: f, upFile: f, ...codeDown(text) };
      const { up, upStart, down, downStart } = splitUpDown(text);
      const hasDown = down !== undefined && splitSqlStatements(down).length > 0;
      return {
        id,
        label: f,
        upFile: f,
        upSql: up,
        upFirstLine: lineAt(text, upStart),
        ...(hasDown
          ? { downFile: f, downSql: down, downFirstLine: lineAt(text, downStart!), down: 'sql' as const }
          : { down: 'none' as const }),
      };
    });
    return out.sort((a, b) => compareIds(a.id, b.id));
  },
  readHistory: (db, table, _disk, _settings, signal) => readNamedRows(db, table, { time: 'run_on', orderBy: ['run_on', 'id'] }, signal),
  compareIds,
};
