/**
 * What went wrong in a run beyond findings, as the report states it: stores lost mid-run (the
 * engine records only failed connects) and uncaught errors no check could take (stray-errors.ts).
 */
import { STORE_DESCRIPTORS } from '../stores/registry.js';
import type { StoreKind } from '../stores/types.js';
import type { Report, RunSummary } from './result.js';

const KIND_BY_LABEL: Record<string, StoreKind> = Object.fromEntries(STORE_DESCRIPTORS.map((d) => [d.label, d.kind]));

/**
 * Stores a check lost while it read them: its error is "connection refused or lost", worded by
 * the connector as "<Store> at <address>: …" (src/errors.ts storeError). A timeout is not a lost
 * store (a statement timeout is the server answering).
 */
export function storesLostMidRun(report: Pick<Report, 'checks'>): StoreKind[] {
  const lost = new Set<StoreKind>();
  for (const c of report.checks) {
    if (c.error?.code !== 'STORE_UNREACHABLE') continue;
    const kind = KIND_BY_LABEL[/^(\w+) at /.exec(c.error.message)?.[1] ?? ''];
    if (kind) lost.add(kind);
  }
  return [...lost];
}

/**
 * Adds the stores lost mid-run to `summary.unreachableStores` and the uncaught errors to
 * `summary.uncaughtErrors`. runAudit calls it before it computes the exit code, in which either
 * makes the audit incomplete (3) unless a code that outranks it (130/143, 2) applies.
 */
export function addRunProblems(summary: RunSummary, checks: Pick<Report, 'checks'>['checks'], uncaughtErrors: readonly string[]): void {
  summary.unreachableStores = [...new Set([...summary.unreachableStores, ...storesLostMidRun({ checks })])];
  if (uncaughtErrors.length) summary.uncaughtErrors = [...uncaughtErrors];
}
