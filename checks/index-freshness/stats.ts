/** Per-entry counters in ctx.stats.documents[name], kept even when the check fails midway. */
import type { CheckContext } from '../../src/plugin.js';
import { notJudged } from '../lib/not-judged.js';

export type Counter =
  /** Source documents and index records (or entities) judged; the consistency ratio's denominator. */
  | 'compared'
  | 'stale'
  | 'unindexed'
  | 'orphanRecords'
  /** Changed within the grace window: not judged yet (a silence explained). */
  | 'withinGrace'
  /** Source rows with no timestamp / hash, index rows without one: nothing to compare. */
  | 'notComparable'
  /** Milvus entities without a document key. */
  | 'withoutDocumentKey'
  /** Milvus: entities of stale or orphaned documents. */
  | 'staleEntities'
  | 'orphanEntities';

/** The counters that explain a silence, as the table says them. */
const NOT_JUDGED: Partial<Record<Counter, string>> = {
  withinGrace: 'documents changed within the grace window',
  notComparable: 'documents or entities without a timestamp or hash to compare',
  withoutDocumentKey: 'entities without a document key',
};

export interface EntryStats {
  add(counter: Counter, n?: number): void;
  set(field: string, value: unknown): void;
}

export function entryStats(ctx: CheckContext<unknown>, name: string, kind: 'recordManager' | 'docstore' | 'milvus'): EntryStats {
  const all = (ctx.stats.documents ??= {}) as Record<string, Record<string, unknown>>;
  const s: Record<string, unknown> = { kind, compared: 0, stale: 0, unindexed: 0, orphanRecords: 0, withinGrace: 0 };
  all[name] = s;
  return {
    add(counter, n = 1) {
      s[counter] = ((s[counter] as number | undefined) ?? 0) + n;
      const reason = NOT_JUDGED[counter];
      if (reason) notJudged(ctx.stats, `${reason} (${name})`, n);
    },
    set(field, value) {
      s[field] = value;
    },
  };
}
