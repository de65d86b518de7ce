/**
 * Declared stats: a check names, in `meta.stats`, each stat it records and how that stat combines
 * across the shards of a run (`dbcheck merge`). The declaration is plain data (it travels in a
 * sharded run's JSON report, so merge needs no plugin); `defineCheck` infers the type of
 * `ctx.stats` from it.
 *
 *   stats: { rowsCompared: 'sum', lastKey: 'text', maxLagMs: 'max', relations: perName({ orphans: 'sum' }) }
 *
 * Every declared stat is optional (the engine starts from `{}` and reports what the check set), so
 * counters are bumped with `addStat`, which starts them at zero (or, in a loop over millions of keys,
 * by a plain property update: a generic helper is a slow call there, bench/stats-counters.ts).
 */

/** How one stat merges across shards; the rule also gives its type. */
export type StatRule =
  /** number: a counter of keys, rows or work, each counted in exactly one shard. Summed. */
  | 'sum'
  /** number: a peak, a duration, a batch size. The largest (the smallest with 'min'). */
  | 'max'
  | 'min'
  /** number: a setting or a version, equal in every shard; when shards differ it is listed in `stats.unmerged`. */
  | 'same'
  /** string: a mode, a key, a timestamp. Shard 0's. */
  | 'text'
  /** boolean: raised when raised in any shard. */
  | 'flag'
  /** string[]: names (failed relations): every shard's, once. */
  | 'names'
  /** any JSON value, typed with `fact<T>()`: shard 0's. */
  | 'fact';

export const STAT_RULES = ['sum', 'max', 'min', 'same', 'text', 'flag', 'names', 'fact'] as const satisfies readonly StatRule[];

declare const factType: unique symbol;
/** 'fact' carrying the TypeScript type of its value (nothing at run time). */
export type Fact<T> = 'fact' & { readonly [factType]?: T };

/** The key that marks an object of entries named at run time (mappings, relations): `perName(...)`. */
export const PER_NAME = '*';
export interface PerName<D extends StatDecl = StatDecl> {
  readonly [PER_NAME]: D;
}

/** A stat's declaration: a rule, a nested object of stats, or entries named at run time. */
export type StatDecl = StatRule | StatShape | PerName;
export interface StatShape {
  readonly [name: string]: StatDecl;
}

/** A stat whose value is any JSON (an object of facts, a list): merged as shard 0's. */
export function fact<T>(): Fact<T> {
  return 'fact' as Fact<T>;
}

/** An object keyed by names chosen at run time, each entry declared by `entry`: `perName({ rowsCompared: 'sum' })`, `perName('sum')`. */
export function perName<const D extends StatDecl>(entry: D): PerName<D> {
  return { [PER_NAME]: entry } as PerName<D>;
}

/** The type of `ctx.stats` for a declaration; without one, the untyped bag of plain-object plugins. */
export type StatsOf<S> = [S] extends [StatShape] ? { -readonly [K in keyof S]?: StatValue<S[K]> } : Record<string, unknown>;

type StatValue<D> = D extends 'sum' | 'max' | 'min' | 'same'
  ? number
  : D extends 'text'
    ? string
    : D extends 'flag'
      ? boolean
      : D extends 'names'
        ? string[]
        : D extends Fact<infer T>
          ? T
          : D extends 'fact'
            ? unknown
            : D extends PerName<infer E>
              ? Record<string, NonNullable<StatValue<E>>>
              : D extends StatShape
                ? StatsOf<D>
                : never;

type NumberStat<T> = { [K in keyof T]-?: NonNullable<T[K]> extends number ? K : never }[keyof T] & string;

/** Adds `n` to a counter (from zero when unset); returns its new value. */
export function addStat<T extends object>(stats: T, name: NumberStat<T>, n = 1): number {
  const s = stats as Record<string, number | undefined>;
  return (s[name] = (s[name] ?? 0) + n);
}

/** Keeps the larger of a peak and `value`; returns the peak. */
export function maxStat<T extends object>(stats: T, name: NumberStat<T>, value: number): number {
  const s = stats as Record<string, number | undefined>;
  return (s[name] = Math.max(s[name] ?? value, value));
}

/** Why a declaration is not one (for plugins written in plain JavaScript); undefined when it is. */
export function statShapeProblem(shape: unknown, path = 'stats'): string | undefined {
  if (!isObject(shape)) return `${path} must be an object of stats`;
  if (PER_NAME in shape && Object.keys(shape).length > 1) return `${path}: perName(...) cannot sit beside other stats`;
  for (const [name, decl] of Object.entries(shape)) {
    const at = name === PER_NAME ? `${path}[name]` : `${path}.${name}`;
    if (isObject(decl)) {
      const problem = statShapeProblem(decl, at);
      if (problem) return problem;
    } else if (!(STAT_RULES as readonly unknown[]).includes(decl)) {
      return `${at}: ${JSON.stringify(decl)} is not one of ${STAT_RULES.join(', ')} (nor an object of stats)`;
    }
  }
  return undefined;
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);
