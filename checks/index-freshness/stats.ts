/** Per-entry counters in ctx.stats.documents[name], kept even when the check fails midway. */
import { type CheckContext, fact, perName } from '../../src/plugin.js';
import { NOT_JUDGED_STAT, notJudged } from '../lib/not-judged.js';
import type { Options } from './options.js';

/** The check's stats and how each merges across shards (meta.stats). */
export const STATS = {
  documents: perName({
    kind: 'text',
    /** What is compared: 'hash' or 'updatedAt'. */
    compares: 'text',
    compared: 'sum',
    stale: 'sum',
    unindexed: 'sum',
    orphanRecords: 'sum',
    withinGrace: 'sum',
    notComparable: 'sum',
    withoutDocumentKey: 'sum',
    staleEntities: 'sum',
    orphanEntities: 'sum',
    error: fact<{ code: string; message: string }>(),
  }),
  notJudged: NOT_JUDGED_STAT,
} as const;

/** What the scans of index-freshness get: Postgres required, the declared stats. */
export type IndexFreshnessContext = CheckContext<Options, 'postgres', string, typeof STATS>;
type Entry = NonNullable<IndexFreshnessContext['stats']['documents']>[string];

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
  set<K extends keyof Entry>(field: K, value: Entry[K]): void;
}

export function entryStats(ctx: IndexFreshnessContext, name: string, kind: 'recordManager' | 'docstore' | 'milvus'): EntryStats {
  const s: Entry = { kind, compared: 0, stale: 0, unindexed: 0, orphanRecords: 0, withinGrace: 0 };
  (ctx.stats.documents ??= {})[name] = s;
  return {
    add(counter, n = 1) {
      s[counter] = (s[counter] ?? 0) + n; // per document: a plain update, not the generic addStat
      const reason = NOT_JUDGED[counter];
      if (reason) notJudged(ctx.stats, `${reason} (${name})`, n);
    },
    set(field, value) {
      s[field] = value;
    },
  };
}
