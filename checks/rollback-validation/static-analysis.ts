/**
 * Up/down analysis from the files alone, with no database: does each down script undo what its up
 * script creates? Pure (the tool adapters have read the folder); runs for every migration, applied
 * or not, so faults are found before anything is deployed, and even where no dry-run can run.
 */
import { isTransactionControl } from './sql-classify.js';
import { addEarlier, downMustRemove, isDroppedBy, scriptEffects, type EarlierMigrations } from './sql-objects.js';
import { splitSqlStatements } from './sql-split.js';
import type { DiskMigration, History, MigrationTool } from './tools/types.js';

export type StaticFinding =
  | { code: 'down-incomplete'; label: string; object: string; file: string }
  | { code: 'empty-down'; label: string; file: string }
  | { code: 'invalid-migration'; label: string; reason: string };

const codesOf = (sql: string | undefined) =>
  splitSqlStatements(sql ?? '')
    .map((s) => s.code)
    .filter((c) => !isTransactionControl(c));

export function analyseUpDown(
  tool: Pick<MigrationTool, 'id' | 'title'>,
  disk: readonly DiskMigration[],
  history: History | undefined,
  defaultSchema: string,
): StaticFinding[] {
  const out: StaticFinding[] = [];
  // What earlier migrations could have created, for objects an up "may" create (see downMustRemove).
  const earlier: EarlierMigrations = { words: new Set(), hasCode: false };
  for (const m of disk) {
    if (m.repeatable) continue;
    const file = m.downFile ?? m.upFile ?? m.label;
    if (m.down === 'code' && m.downProblem === 'empty') out.push({ code: 'empty-down', label: m.label, file });
    if (m.down === 'sql') {
      const down = codesOf(m.downSql);
      if (down.length === 0) out.push({ code: 'empty-down', label: m.label, file });
      else if (m.upSql !== undefined) {
        const up = scriptEffects(codesOf(m.upSql), defaultSchema);
        const undo = scriptEffects(down, defaultSchema);
        // A DO block or function call may drop anything: no verdict rather than a false alarm.
        if (!up.opaque && !undo.opaque) {
          for (const obj of up.created) {
            if (!isDroppedBy(obj, undo.dropped) && downMustRemove(obj, earlier)) {
              out.push({ code: 'down-incomplete', label: m.label, object: obj.key, file });
            }
          }
        }
      }
    }
    addEarlier(earlier, m.upSql);
  }

  // Knex validates every pending migration before running any: one without a down stops `migrate:latest`.
  if (tool.id === 'knex' && history) {
    const applied = new Set(history.applied.map((a) => a.id));
    for (const m of disk) {
      if (applied.has(m.id) || m.down !== 'none') continue;
      const why = m.downProblem === 'not-exported' ? 'its down function is not exported' : 'it exports no down function';
      out.push({
        code: 'invalid-migration',
        label: m.label,
        reason: `${why}; Knex refuses to run any pending migration until it has both up and down`,
      });
    }
  }
  return out;
}
