/**
 * The check's stats, per-mapping counters and the one place findings are reported. Counters live in
 * ctx.stats from the start, so a run that fails midway still shows how far it got (rows compared,
 * last key).
 */
import { type CheckContext, fact, perName } from '../../src/plugin.js';
import type { ResolvedMapping } from './mapping.js';
import type { Options } from './options.js';

/** The check's stats and how each merges across shards (meta.stats). */
export const STATS = {
  /** The mapping compared last, and the totals of all mappings. */
  mapping: 'text',
  rowsCompared: 'sum',
  lastKey: 'text',
  failedMappings: 'names',
  mappings: perName({
    mode: 'text',
    keyType: 'text',
    rowsCompared: 'sum',
    postgresRows: 'sum',
    milvusEntities: 'sum',
    /** Keys with at least one of missing/orphan/duplicate/stale (not pending): the consistency ratio's numerator. */
    inconsistentKeys: 'sum',
    missing: 'sum',
    orphans: 'sum',
    duplicateKeys: 'sum',
    stale: 'sum',
    pending: 'sum',
    lastKey: 'text',
    /** full: what each side sent, before the shard filter. */
    postgresRowsRead: 'sum',
    milvusEntitiesRead: 'sum',
    postgresSnapshotAt: 'text',
    milvusReadStartedAt: 'text',
    milvusReadFinishedAt: 'text',
    /** counts mode (shard 0 only): per key range. */
    ranges: 'sum',
    rangesDiffering: 'sum',
    missingAtLeast: 'sum',
    extraEntitiesAtLeast: 'sum',
    note: 'text',
    sample: fact<SampleStats>(),
    error: fact<{ code: string; message: string }>(),
  }),
} as const;

export interface SampleStats {
  sampled: number;
  pendingRows: number;
  confidence: number;
  missingUpperBound: number;
  staleUpperBound?: number;
  statements: string[];
}

/** What the modes of reference-integrity get: both stores required, the declared stats. */
export type ReferenceIntegrityContext = CheckContext<Options, 'postgres' | 'milvus', string, typeof STATS>;
type Mapping = NonNullable<ReferenceIntegrityContext['stats']['mappings']>[string];
/** The counters a mapping starts with at 0: bumped per key in place (a direct increment: the generic addStat is much slower per call). */
type KeyCounters = Required<Pick<Mapping, 'rowsCompared' | 'postgresRows' | 'milvusEntities' | 'inconsistentKeys' | TotalName>>;
type TotalName = 'missing' | 'orphans' | 'duplicateKeys' | 'stale' | 'pending';

export type KeyFindingCode = 'missing-vector' | 'orphan-vector' | 'duplicate-vector' | 'stale-vector' | 'pending';

const TOTAL_NAMES: Record<KeyFindingCode, TotalName> = {
  'missing-vector': 'missing',
  'orphan-vector': 'orphans',
  'duplicate-vector': 'duplicateKeys',
  'stale-vector': 'stale',
  pending: 'pending',
};

export class MappingStats {
  /** The object in ctx.stats.mappings[name]; mutated in place. */
  readonly s: Mapping & KeyCounters;
  private lastInconsistentKey?: string;
  private readonly top: ReferenceIntegrityContext['stats'];

  constructor(ctx: ReferenceIntegrityContext, m: ResolvedMapping) {
    this.top = ctx.stats;
    const mappings = (ctx.stats.mappings ??= {});
    this.s = {
      mode: m.mode,
      keyType: m.keyType,
      rowsCompared: 0,
      postgresRows: 0,
      milvusEntities: 0,
      inconsistentKeys: 0,
      missing: 0,
      orphans: 0,
      duplicateKeys: 0,
      stale: 0,
      pending: 0,
    };
    mappings[m.name] = this.s;
    ctx.stats.mapping = m.name;
    ctx.stats.rowsCompared ??= 0;
  }

  /** One distinct key merged: `rows` Postgres rows and `entities` Milvus entities carry it. */
  compared(key: string, rows: number, entities: number): void {
    const s = this.s;
    s.rowsCompared++;
    s.postgresRows += rows;
    s.milvusEntities += entities;
    s.lastKey = key;
    this.top.rowsCompared = (this.top.rowsCompared ?? 0) + 1;
    this.top.lastKey = key;
  }

  count(code: KeyFindingCode, key: string): void {
    this.s[TOTAL_NAMES[code]]++;
    // A key can be both duplicated and stale (or orphaned): counted once. Findings of one key are
    // reported together (keys arrive in order), so comparing with the last one is enough.
    if (code !== 'pending' && key !== this.lastInconsistentKey) {
      this.s.inconsistentKeys++;
      this.lastInconsistentKey = key;
    }
  }
}

export function reportFinding(
  ctx: ReferenceIntegrityContext,
  m: ResolvedMapping,
  stats: MappingStats,
  code: KeyFindingCode,
  key: string,
  data: Record<string, unknown>,
): void {
  stats.count(code, key);
  const onPostgres = code === 'missing-vector' || code === 'pending';
  ctx.report({
    code,
    subject: onPostgres ? { store: 'postgres', object: m.table, key } : { store: 'milvus', object: m.collection, key },
    data: { mapping: m.name, key, table: m.table, collection: m.collection, ...data },
  });
}
