/**
 * Compares the migrations on disk with what the tracking table says was applied. Pure: the tool
 * adapters have already read both sides into the same shape.
 */
import type { DiskMigration, History, MigrationTool } from './tools/types.js';

export type HistoryFinding =
  | { code: 'missing-file'; id: string; state: string }
  | { code: 'pending'; id: string; label: string }
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

  for (const a of applied) {
    if (a.state !== 'applied') out.push({ code: 'dirty-state', id: a.id, label: labelOf(a.id), state: a.state });
    const file = onDisk.get(a.id);
    if (!file) {
      if (a.state !== 'rolled-back') out.push({ code: 'missing-file', id: a.id, state: a.state });
      continue;
    }
    if (a.checksum != null && file.checksums && a.state !== 'rolled-back' && !file.checksums.includes(a.checksum.trim())) {
      out.push({ code: 'checksum-mismatch', id: a.id, label: file.label, recorded: a.checksum.trim(), onDisk: file.checksums[0] });
    }
    if (tool.hasDownScripts && a.state === 'applied' && file.down === 'none') {
      out.push({ code: 'no-down-script', id: a.id, label: file.label, reason: 'no down/undo script for this migration' });
    }
  }

  // The newest migration applied before each one: anything older than it was applied out of order.
  let latest: string | undefined;
  for (const a of applied) {
    if (a.state === 'rolled-back') continue;
    if (tool.recordsOrder && latest !== undefined && tool.compareIds(a.id, latest) < 0) {
      out.push({ code: 'out-of-order', id: a.id, label: labelOf(a.id), kind: 'applied-after-later', later: latest });
    }
    if (latest === undefined || tool.compareIds(a.id, latest) > 0) latest = a.id;
  }

  for (const m of disk) {
    if (appliedIds.has(m.id)) continue;
    if (history.baselineId !== undefined && tool.compareIds(m.id, history.baselineId) <= 0) continue;
    out.push({ code: 'pending', id: m.id, label: m.label });
    if (latest !== undefined && tool.compareIds(m.id, latest) < 0) {
      out.push({ code: 'out-of-order', id: m.id, label: m.label, kind: 'pending-before-applied', later: latest });
    }
  }

  if (!tool.hasDownScripts && applied.some((a) => a.state === 'applied')) {
    out.push({
      code: 'no-down-script',
      id: '*',
      label: `all ${applied.length} applied migrations`,
      reason: `${tool.title} has no down migrations: rolling back means writing and applying a new forward migration`,
    });
  }
  return out;
}
