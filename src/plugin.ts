/**
 * The public check API: everything a check — built-in or third-party — may use.
 *
 * A check is a module whose default export is `defineCheck({ meta, run })`. `meta` declares what the
 * check is (id, stores it needs, options schema, finding codes); `run(ctx)` does the work through
 * `ctx` only: it reads stores, reports findings and records stats. A check never prints.
 * Built-in checks import from this file and nothing else in src/, exactly as a plugin would.
 */
import { z } from 'zod';
import { CheckError } from './errors.js';
import type { Shard } from './shard.js';
import type { StatShape, StatsOf } from './stats.js';
import type { RollbackTransactionRunner, StoreHandles, StoreKind, StoreStatus } from './stores/types.js';

export { z };
export type * from './stores/types.js';
export { REDIS_READ_COMMANDS, STORE_KINDS } from './stores/types.js';
export { storeLabel, storeProbe } from './stores/registry.js';
export { durationSchema, parseDurationMs } from './duration.js';
/** The shard rule of `--shard i/n` (src/shard.ts): the one every built-in check splits its keys by. */
export { isFirstShard, shardFilter, shardOf, shardSql, type Shard } from './shard.js';
/** Integer keys as text (the spelling every store prints) and the int64 range the shard rule and key types use. */
export { CANONICAL_INTEGER, INT64_MAX, INT64_MIN, isInt64Text } from './int64.js';
export type { StoreProbe } from './stores/descriptor.js';
export { CheckError, errorLine, type ErrorDetails } from './errors.js';
export { addStat, fact, maxStat, perName, type StatDecl, type StatRule, type StatShape, type StatsOf } from './stats.js';
export {
  isMilvusPathSyntax,
  MILVUS_DYNAMIC_FIELD,
  milvusPathText,
  milvusPathValue,
  resolveMilvusPath,
  type MilvusValuePath,
} from './stores/milvus/path.js';

/** Most severe first; the one list every schema, option and counter takes its severities from. */
export const SEVERITIES = ['error', 'warn', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface FindingCode<D = any> {
  /** Default severity; users can override it per code in config (or turn it 'off'). */
  severity: Severity;
  /** One line describing a finding, from its data. Output is redacted by the engine. */
  message: (data: D) => string;
  /** What the code means, for docs and `dbcheck checks --codes`. */
  description?: string;
}

export interface CheckMeta<O = unknown, R extends StoreKind = StoreKind, C extends string = string> {
  /** kebab-case and stable; third-party checks use 'namespace/id'. */
  id: string;
  title: string;
  description?: string;
  /**
   * Stores the check cannot run without: not configured -> skipped; configured but down -> error.
   * With defineCheck they are typed as present in `ctx.stores` (no `!`).
   */
  requires: R[];
  /** Stores the check uses when they are configured (health); their failures do not stop it. */
  uses?: StoreKind[];
  /** 'read' (default) or 'rollback-txn': only the latter gets ctx.rollback. */
  access?: 'read' | 'rollback-txn';
  /** Load generators: run alone, after every other check. */
  exclusive?: boolean;
  /** Runs alone, before every other check, so it sees the stores unloaded (health's latency). */
  runsFirst?: boolean;
  /** Runs only when enabled in config (`enabled: true`) or named with --only. */
  optIn?: boolean;
  /**
   * Splits its work by `ctx.shard` (`--shard i/n`, checks/lib/shard.ts). A check without it runs
   * whole in shard 0 only, and is skipped in the others, so a merge counts its findings once.
   */
  shardable?: boolean;
  /**
   * Options schema (zod or anything with a compatible `safeParse`). Options are the check's config
   * section minus the keys the engine owns (enabled, severity, timeout). Validated before any store
   * is touched. A check whose schema rejects `{}` needs configuration and is skipped without it.
   */
  options?: { safeParse(input: unknown): { success: true; data: O } | { success: false; error: unknown } };
  /**
   * Every finding code the check can report. With defineCheck, `ctx.report` accepts only these
   * (a compile error in TypeScript); the engine still rejects an undeclared code at run time, for
   * plain-object plugins.
   */
  codes: Record<C, FindingCode>;
  /**
   * The stats the check records and how each merges across shards (src/stats.ts): with defineCheck,
   * `ctx.stats` is typed by it. Without it `ctx.stats` is an untyped bag, and `dbcheck merge` keeps
   * a number only when every shard has the same (else lists it in `stats.unmerged`).
   */
  stats?: StatShape;
}

export interface FindingSubject {
  store?: StoreKind;
  /** Table, collection or key pattern. */
  object?: string;
  /** The row key, entity key or Redis key. */
  key?: string;
}

export interface FindingInput<C extends string = string> {
  code: C;
  subject?: FindingSubject;
  /** Structured details; also the input of the code's message function. */
  data?: Record<string, unknown>;
  /** Overrides the code's message for this finding. */
  message?: string;
}

/** A table of numbers the check wants shown (e.g. pool-stress phases); JSON gets it verbatim. */
export interface ResultSection {
  title: string;
  columns: string[];
  rows: Array<Array<string | number | null>>;
}

export interface CheckProgress {
  done: number;
  total?: number;
  note?: string;
}

/** The store handles a check gets: those in `requires` (R) are always there, the others maybe. */
export type RequiredStores<R extends StoreKind = never> = StoreHandles & { readonly [K in R]-?: NonNullable<StoreHandles[K]> };

/**
 * What `run` gets. R: the kinds in meta.requires (their handles are present); C: the declared
 * finding codes (what `report` accepts); S: meta.stats (what `stats` holds). Helpers of a check take
 * `CheckContext<Options, 'postgres'>`, or `CheckContext<Options, 'postgres', string, typeof STATS>` to use its stats.
 */
export interface CheckContext<
  O = unknown,
  R extends StoreKind = never,
  C extends string = string,
  S extends StatShape | undefined = undefined,
> {
  readonly checkId: string;
  readonly options: O;
  /** Connected handles for the stores in `requires` (always present) and `uses` (when up). */
  readonly stores: RequiredStores<R>;
  /** Every store the run knows about, configured or not, connected or not. */
  readonly storeStatus: Readonly<Record<StoreKind, StoreStatus>>;
  /** Aborted on timeout or Ctrl-C; pass it to every store call and stop promptly. */
  readonly signal: AbortSignal;
  /** Only for access: 'rollback-txn'. */
  readonly rollback?: RollbackTransactionRunner;
  /** Reports one finding. Cheap: the engine keeps exact counts and only the first N findings. */
  report(finding: FindingInput<C>): void;
  /**
   * Counters and facts the check records as it goes; kept even when the check fails midway. Typed by
   * `meta.stats` (S) when declared; bump counters with `addStat`, peaks with `maxStat`.
   */
  readonly stats: StatsOf<S>;
  progress(p: CheckProgress): void;
  /** Debug line on stderr with --verbose. */
  log(message: string): void;
  /** Folder that relative paths in options resolve against: the config file's folder, else cwd. */
  readonly baseDir: string;
  /** Set for a `shardable` check in a sharded run; undefined means every key is this run's. */
  readonly shard?: Shard;
}

export interface CheckOutcome {
  sections?: ResultSection[];
  /** True when the check stopped early (e.g. a sample, a limit); findings are then a lower bound. */
  partial?: boolean;
}

/** A mistake of the configuration that a check finds against the live stores (exit 2, not 3). */
export interface ConfigProblem {
  /** Where in the check's section, e.g. 'relations.chunks.column'. */
  path?: string;
  message: string;
}

/**
 * What `preflight` gets: the run context without findings. It may describe tables, collections and
 * key types, never read rows or entities.
 */
export type PreflightContext<O = unknown, R extends StoreKind = never> = Pick<
  CheckContext<O, R>,
  'checkId' | 'options' | 'stores' | 'storeStatus' | 'signal' | 'log' | 'baseDir'
> & {
  /** Records one mistake; every problem of every check is reported together, in one round. */
  problem(problem: ConfigProblem): void;
};

/** A loaded check, as the engine sees it: stores and codes untyped (any plugin fits). */
export interface Check<O = any> {
  meta: CheckMeta<O>;
  /**
   * Optional. Resolves every table, column, collection, field and key type the options name against
   * the live stores, reading no data, and records each mistake with `ctx.problem`. The engine runs
   * it before the check's scan (a check with problems does not run: status 'error', code CONFIG,
   * exit 2) and `dbcheck validate --connect` runs it alone. Store failures are thrown as usual.
   */
  preflight?(ctx: PreflightContext<O>): Promise<void>;
  run(ctx: CheckContext<O>): Promise<CheckOutcome | void>;
}

/** What defineCheck type-checks: `run` and `preflight` see the required stores, declared codes and stats. */
export interface CheckDefinition<O, R extends StoreKind, C extends string, S extends StatShape | undefined> {
  meta: Omit<CheckMeta<O, R, C>, 'stats'> & { stats?: S };
  preflight?(ctx: PreflightContext<O, R>): Promise<void>;
  run(ctx: CheckContext<O, R, C, S>): Promise<CheckOutcome | void>;
}

/**
 * Identity helper that gives a check its types: O is inferred from `meta.options`, R from
 * `meta.requires`, C from the keys of `meta.codes`, S from `meta.stats` (pass no type argument, or
 * all four). Plugins may also export a plain object.
 */
export function defineCheck<
  O,
  const R extends StoreKind = never,
  C extends string = string,
  const S extends StatShape | undefined = undefined,
>(check: CheckDefinition<O, R, C, S>): Check<O> {
  // Sound: the engine runs a check only with every store in meta.requires connected, it rejects an
  // undeclared code at run time, and every declared stat is typed optional (the bag starts empty).
  return check as unknown as Check<O>;
}

/**
 * The error a check throws when the configuration is wrong (a missing column, incompatible key
 * types): the run exits 2, the "fix the config" code, never 3, the "retry" code.
 */
export function configError(message: string, hint?: string): CheckError {
  return new CheckError('CONFIG', message, hint);
}
