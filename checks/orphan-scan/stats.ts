/** Per-relation counters in ctx.stats.relations[name], kept even when the check fails midway. */
import { CheckError, type CheckContext } from '../../src/plugin.js';
import type { Options } from './options.js';
import { errorLine } from '../../src/plugin.js';

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

export interface RelationError {
  code: string;
  message: string;
}

/** Records why one relation failed, in its stats (`relations[name].error`); the others go on. */
export function relationFailure(ctx: CheckContext<Options>, name: string, err: unknown): void {
  const relations = (ctx.stats.relations ??= {}) as Record<string, Record<string, unknown>>;
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'INTERNAL';
  // The failure is shown after the relation's name: drop the name if the message starts with it.
  const line = errorLine(err);
  const prefix = `relation ${name}: `;
  const message = line.startsWith(prefix) ? line.slice(prefix.length) : line;
  const error: RelationError = { code, message };
  (relations[name] ??= {}).error = error;
  ((ctx.stats.failedRelations ??= []) as string[]).push(name);
}

/**
 * The check's error when relations failed, naming each with its reason; undefined when none did.
 * CONFIG when any failure is a configuration mistake (exit 2: retrying cannot fix the run).
 */
export function relationsFailed(ctx: CheckContext<Options>): CheckError | undefined {
  const failed = (ctx.stats.failedRelations ?? []) as string[];
  if (failed.length === 0) return undefined;
  const relations = ctx.stats.relations as Record<string, { error: RelationError }>;
  const errors = failed.map((name) => ({ name, ...relations[name].error }));
  const total = ctx.options.postgres.length + ctx.options.milvus.length + ctx.options.redis.length;
  const code = errors.some((e) => e.code === 'CONFIG') ? 'CONFIG' : errors[0].code;
  const reasons = errors.map((e) => `${e.name}: ${e.message}`).join('; ');
  const message =
    errors.length === 1 && total === 1
      ? `relation ${reasons}`
      : `${errors.length} of ${total} relations failed (the others reported): ${reasons}`;
  return new CheckError(code, message);
}
