/**
 * What went wrong in a run beyond findings, as the report states it: stores lost mid-run (the
 * engine records only failed connects) and uncaught errors no check could take (stray-errors.ts).
 */
import type { StoreKind } from '../stores/types.js';
import type { Report } from './result.js';

const KIND_BY_LABEL: Record<string, StoreKind> = { Postgres: 'postgres', Redis: 'redis', Milvus: 'milvus' };

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
 * `summary.uncaughtErrors`. Either makes the audit incomplete: exit 3, unless a code that
 * outranks it (130/143 interrupted, 2 configuration) is already set.
 */
export function addRunProblems(report: Report, uncaughtErrors: readonly string[]): Report {
  const s = report.summary;
  const unreachable = new Set([...s.unreachableStores, ...storesLostMidRun(report)]);
  s.unreachableStores = [...unreachable];
  if (uncaughtErrors.length) s.uncaughtErrors = [...uncaughtErrors];
  if ((s.unreachableStores.length || uncaughtErrors.length) && (report.exitCode === 0 || report.exitCode === 1)) report.exitCode = 3;
  return report;
}
