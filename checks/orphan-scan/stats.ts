/** Per-relation counters in ctx.stats.relations[name], kept even when the check fails midway. */
import { CheckError, type CheckContext, errorLine, fact, perName } from '../../src/plugin.js';
import { NOT_JUDGED_STAT } from '../lib/not-judged.js';
import type { Options } from './options.js';

/** The check's stats and how each merges across shards (meta.stats). */
export const STATS = {
  /** The relation scanned last, and the totals of all relations. */
  relation: 'text',
  rowsCompared: 'sum',
  lastKey: 'text',
  failedRelations: 'names',
  /** suggestRelations: *_id columns without a validated foreign key (shard 0 only). */
  unconstrainedColumns: 'sum',
  notJudged: NOT_JUDGED_STAT,
  relations: perName({
    kind: 'text',
    rowsCompared: 'sum',
    lastKey: 'text',
    error: fact<RelationError>(),
    // postgres
    foreignKey: 'text',
    skipped: 'text',
    childRows: 'sum',
    orphanValues: 'sum',
    orphanRows: 'sum',
    // milvus
    field: 'text',
    entities: 'sum',
    parentLookups: 'sum',
    withoutParentKey: 'sum',
    orphanParentKeys: 'sum',
    orphanEntities: 'sum',
    // redis
    glob: 'text',
    keysScanned: 'sum',
    keysIgnored: 'sum',
    orphanKeys: 'sum',
    stoppedAtMaxKeys: 'flag',
    batchSize: 'max',
  }),
} as const;

/** What the scans of orphan-scan get: the required Postgres and the declared stats. */
export type OrphanScanContext = CheckContext<Options, 'postgres', string, typeof STATS>;
type Relation = NonNullable<OrphanScanContext['stats']['relations']>[string];

export interface RelationStats {
  /** `n` keys compared (default 1), the last of them `key`. */
  compared(key: string, n?: number): void;
  add(counter: RelationCounter, n: number): void;
  set<K extends keyof Relation>(field: K, value: Relation[K]): void;
}
type RelationCounter = { [K in keyof Relation]-?: NonNullable<Relation[K]> extends number ? K : never }[keyof Relation];

export function relationStats(ctx: OrphanScanContext, name: string, kind: 'milvus' | 'redis' | 'postgres'): RelationStats {
  const s: Relation = { kind, rowsCompared: 0 };
  (ctx.stats.relations ??= {})[name] = s;
  ctx.stats.relation = name;
  ctx.stats.rowsCompared ??= 0;
  // Called per key: plain property updates (the generic addStat is much slower per call).
  return {
    compared(key, n = 1) {
      s.rowsCompared = (s.rowsCompared ?? 0) + n;
      s.lastKey = key;
      ctx.stats.rowsCompared = (ctx.stats.rowsCompared ?? 0) + n;
      ctx.stats.lastKey = key;
    },
    add(counter, n) {
      s[counter] = (s[counter] ?? 0) + n;
    },
    set(field, value) {
      s[field] = value;
    },
  };
}

export interface RelationError {
  code: string;
  message: string;
}

/** Records why one relation failed, in its stats (`relations[name].error`); the others go on. */
export function relationFailure(ctx: OrphanScanContext, name: string, err: unknown): void {
  const relations = (ctx.stats.relations ??= {});
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'INTERNAL';
  // The failure is shown after the relation's name: drop the name if the message starts with it.
  const line = errorLine(err);
  const prefix = `relation ${name}: `;
  const message = line.startsWith(prefix) ? line.slice(prefix.length) : line;
  const error: RelationError = { code, message };
  (relations[name] ??= {}).error = error;
  (ctx.stats.failedRelations ??= []).push(name);
}

/**
 * The check's error when relations failed, naming each with its reason; undefined when none did.
 * CONFIG when any failure is a configuration mistake (exit 2: retrying cannot fix the run).
 */
export function relationsFailed(ctx: OrphanScanContext): CheckError | undefined {
  const failed = ctx.stats.failedRelations ?? [];
  if (failed.length === 0) return undefined;
  const relations = ctx.stats.relations ?? {};
  const errors = failed.map((name) => ({ name, ...(relations[name].error as RelationError) }));
  const total = ctx.options.postgres.length + ctx.options.milvus.length + ctx.options.redis.length;
  const code = errors.some((e) => e.code === 'CONFIG') ? 'CONFIG' : errors[0].code;
  const reasons = errors.map((e) => `${e.name}: ${e.message}`).join('; ');
  const message =
    errors.length === 1 && total === 1
      ? `relation ${reasons}`
      : `${errors.length} of ${total} relations failed (the others reported): ${reasons}`;
  return new CheckError(code, message);
}
