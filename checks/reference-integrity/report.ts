/**
 * Per-mapping counters and the one place findings are reported. Counters live in ctx.stats from
 * the start, so a run that fails midway still shows how far it got (rows compared, last key).
 */
import type { CheckContext } from '../../src/plugin.js';
import type { ResolvedMapping } from './mapping.js';
import type { Options } from './options.js';

export type KeyFindingCode = 'missing-vector' | 'orphan-vector' | 'duplicate-vector' | 'stale-vector' | 'pending';

const TOTAL_NAMES: Record<KeyFindingCode, string> = {
  'missing-vector': 'missing',
  'orphan-vector': 'orphans',
  'duplicate-vector': 'duplicateKeys',
  'stale-vector': 'stale',
  pending: 'pending',
};

export class MappingStats {
  /** The object in ctx.stats.mappings[name]; mutated in place. */
  readonly s: Record<string, unknown> & {
    rowsCompared: number;
    postgresRows: number;
    milvusEntities: number;
    /** Keys with at least one of missing/orphan/duplicate/stale (not pending): the consistency ratio's numerator. */
    inconsistentKeys: number;
    lastKey?: string;
  };
  private lastInconsistentKey?: string;
  private readonly top: Record<string, unknown>;

  constructor(ctx: CheckContext<Options>, m: ResolvedMapping) {
    this.top = ctx.stats;
    const mappings = (ctx.stats.mappings ??= {}) as Record<string, unknown>;
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
    this.top.rowsCompared = (this.top.rowsCompared as number) + 1;
    this.top.lastKey = key;
  }

  count(code: KeyFindingCode, key: string): void {
    const name = TOTAL_NAMES[code];
    (this.s[name] as number)++;
    // A key can be both duplicated and stale (or orphaned): counted once. Findings of one key are
    // reported together (keys arrive in order), so comparing with the last one is enough.
    if (code !== 'pending' && key !== this.lastInconsistentKey) {
      this.s.inconsistentKeys++;
      this.lastInconsistentKey = key;
    }
  }
}

export function reportFinding(
  ctx: CheckContext<Options>,
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
