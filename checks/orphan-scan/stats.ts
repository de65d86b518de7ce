/** Per-relation counters in ctx.stats.relations[name], kept even when the check fails midway. */
import type { CheckContext } from '../../src/plugin.js';
import type { Options } from './options.js';

export interface RelationStats {
  compared(key: string): void;
  add(counter: string, n: number): void;
  set(field: string, value: unknown): void;
}

export function relationStats(ctx: CheckContext<Options>, name: string, kind: 'milvus' | 'redis' | 'postgres'): RelationStats {
  const relations = (ctx.stats.relations ??= {}) as Record<string, Record<string, unknown>>;
  const s: Record<string, unknown> = { kind, rowsCompared: 0 };
  relations[name] = s;
  ctx.stats.relation = name;
  ctx.stats.rowsCompared ??= 0;
  return {
    compared(key) {
      (s.rowsCompared as number)++;
      s.lastKey = key;
      ctx.stats.rowsCompared = (ctx.stats.rowsCompared as number) + 1;
      ctx.stats.lastKey = key;
    },
    add(counter, n) {
      s[counter] = ((s[counter] as number | undefined) ?? 0) + n;
    },
    set(field, value) {
      s[field] = value;
    },
  };
}
