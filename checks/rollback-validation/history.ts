/**
 * Compares the migrations on disk with what the tracking table says was applied. Pure: the tool
 * adapters have already read both sides into the same shape.
 */
import type { DiskMigration, History, MigrationTool } from './tools/types.js';

export type HistoryFinding =
  | { code: 'missing-file'; id: string; state: string }
  | { code: 'pending'; id: string; label: string; reason?: string }
  | { code: 'out-of-order'; id: string; label: string; kind: 'applied-after-later' | 'pending-before-applied'; later: string }
  | { code: 'checksum-mismatch'; id: string; label: string; recorded: string; onDisk: string }
  | { code: 'dirty-state'; id: string; label: string; state: string }
  | { code: 'no-down-script'; id: string; label: string; reason: string };

type ToolFacts = Pick<MigrationTool, 'title' | 'compareIds' | 'recordsOrder' | 'hasDownScripts'>;

export function analyseHistory(tool: ToolFacts, disk: readonly DiskMigration[], history: History): HistoryFinding[] {
  const out: HistoryFinding[] = [];
  const onDisk = new Map(disk.map((m) => [m.id, m]));
  const applied = [...history.applied].sort((a, b) => a.rank - b.rank);
  const appliedIds = new Set(applied.map((a) => a.id));
  const labelOf = (id: string) => onDisk.get(id)?.label ?? id;

  // A folder where no migration has a down (Flyway community, ups-only folders) gets one summary
  // finding, not one per migration.
  const noDownsAtAll = tool.hasDownScripts && disk.filter((m) => !m.repeatable).every((m) => m.down === 'none');
  for (const a of applied) {
    if (a.state !== 'applied') out.push({ code: 'dirty-state', id: a.id, label: labelOf(a.id), state: a.state });
    const file = onDisk.get(a.id);
    if (!file) {
      // Java migrations live in compiled code, not in the folder.
      if (a.state !== 'rolled-back' && !a.inCode) out.push({ code: 'missing-file', id: a.id, state: a.state });
      continue;
    }
    const edited = a.checksum != null && file.checksums && a.state !== 'rolled-back' && !file.checksums.includes(a.checksum.trim());
    if (edited && file.repeatable) {
      // Editing a repeatable is how it is meant to be changed: the tool re-applies it.
      out.push({
        code: 'pending',
        id: a.id,
        label: file.label,
        reason: 'changed since it was last applied; it is re-applied on the next migrate',
      });
    } else if (edited) {
      out.push({ code: 'checksum-mismatch', id: a.id, label: file.label, recorded: a.checksum!.trim(), onDisk: file.checksums![0] });
    }
    if (tool.hasDownScripts && !noDownsAtAll && a.state === 'applied' && file.down === 'none' && !file.repeatable) {
      const reason =
        file.downProblem === 'not-exported'
          ? `a down function is defined but not exported, so ${tool.title} never sees it`
          : 'no down/undo script for this migration';
      out.push({ code: 'no-down-script', id: a.id, label: file.label, reason });
    }
  }

  // The newest migration applied before each one: anything older than it was applied out of order.
  // Repeatables have no version and always run after the versioned ones.
  let latest: string | undefined;
  for (const a of applied) {
    if (a.state === 'rolled-back' || a.repeatable) continue;
    if (tool.recordsOrder && latest !== undefined && tool.compareIds(a.id, latest) < 0) {
      out.push({ code: 'out-of-order', id: a.id, label: labelOf(a.id), kind: 'applied-after-later', later: latest });
    }
    if (latest === undefined || tool.compareIds(a.id, latest) > 0) latest = a.id;
  }

  for (const m of disk) {
    if (appliedIds.has(m.id)) continue;
    if (history.baselineId !== undefined && !m.repeatable && tool.compareIds(m.id, history.baselineId) <= 0) continue;
    // A pending migration older than the latest applied one is reported once, as out of order.
    if (latest !== undefined && !m.repeatable && tool.compareIds(m.id, latest) < 0) {
      out.push({ code: 'out-of-order', id: m.id, label: m.label, kind: 'pending-before-applied', later: latest });
    } else out.push({ code: 'pending', id: m.id, label: m.label });
  }

  const cleanlyApplied = applied.filter((a) => a.state === 'applied' && !a.repeatable).length;
  if (cleanlyApplied > 0 && (!tool.hasDownScripts || noDownsAtAll)) {
    out.push({
      code: 'no-down-script',
      id: '*',
      label: `all ${cleanlyApplied} applied migrations`,
      reason: !tool.hasDownScripts
        ? `${tool.title} has no down migrations: rolling back means writing and applying a new forward migration`
        : 'no migration in the folder has a down/undo script: rolling back means writing and applying a new forward migration',
    });
  }
  return out;
}
