/**
 * Runs planned checks: `runsFirst` checks alone (health measures the stores before any scan loads
 * them), then shared checks concurrently (p-limit), then exclusive ones (load generators) alone. Each check gets its stores, a signal that fires on its timeout, the run's timeout or
 * Ctrl-C, and a finding collector. A failing store or check degrades the run; it never crashes it.
 */
import pLimit from 'p-limit';
import type { ResolvedConfig } from '../config/load.js';
import { isCoded } from '../errors.js';
import {
  SEVERITIES,
  type Check,
  type CheckContext,
  type CheckProgress,
  type ConfigProblem,
  type PreflightContext,
  type Severity,
} from '../plugin.js';
import { redact, redactDeep } from '../redact.js';
import type { StoreHandles, StoreKind, StoreStatus } from '../stores/types.js';
import { possiblyNewAtOrAbove } from './baseline.js';
import { FindingCollector, jsonSafe } from './findings.js';
import { addRunProblems } from './run-problems.js';
import type { PlannedCheck } from './plan.js';
import type { CheckResult, Report, RunSummary } from './result.js';
import { StoreManager } from './stores.js';
import { errorLine } from '../errors.js';

export type ProgressEvent =
  | { type: 'check-start'; checkId: string }
  | { type: 'check-progress'; checkId: string; progress: CheckProgress }
  | { type: 'check-end'; checkId: string; result: CheckResult };

export interface RunOptions {
  config: ResolvedConfig;
  plan: PlannedCheck[];
  /** Aborts the run (Ctrl-C / SIGTERM); its reason ('SIGINT' | 'SIGTERM') is recorded. */
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  log?: (line: string) => void;
  version?: string;
  /**
   * Errors nobody caught during the run (src/engine/stray-errors.ts), read once the checks end: the
   * report's summary and exit code include them, so every caller of runAudit sees them.
   */
  strays?: { readonly unattributed: readonly string[] };
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };

/** Once a check is aborted (timeout, Ctrl-C), how long it gets to stop by itself. */
const ABANDON_AFTER_MS = 3_000;

/**
 * Waits for a check's work, but after `signal` aborts at most ABANDON_AFTER_MS more: a check stuck
 * on a frozen connection (or ignoring its signal) must not hang the run. A late result is ignored.
 */
function untilAbandoned<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(new Error('check did not stop after its abort')), ABANDON_AFTER_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

export function atOrAbove(counts: { error: number; warn: number; info: number }, failOn: Severity): number {
  return (Object.keys(counts) as Severity[]).filter((s) => SEVERITY_RANK[s] >= SEVERITY_RANK[failOn]).reduce((n, s) => n + counts[s], 0);
}

export async function runAudit(opts: RunOptions): Promise<Report> {
  const { config } = opts;
  const startedAt = new Date();
  const t0 = performance.now();
  const runController = new AbortController();
  const onOuterAbort = () => runController.abort(opts.signal?.reason ?? 'SIGINT');
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const runTimer = config.run.timeoutMs ? setTimeout(() => runController.abort('timeout'), config.run.timeoutMs) : undefined;

  const stores = new StoreManager(config.stores, runController.signal);
  const results = new Map<string, CheckResult>();
  try {
    const runnable = opts.plan.filter((p) => !p.skipReason && !notInThisShard(p, config));
    const alone = async (list: PlannedCheck[]) => {
      for (const p of list) results.set(p.loaded.check.meta.id, await runOne(p, stores, runController.signal, opts));
    };
    await alone(runnable.filter((p) => p.loaded.check.meta.runsFirst && !p.loaded.check.meta.exclusive));
    const limit = pLimit(config.run.concurrency);
    await Promise.all(
      runnable
        .filter((p) => !p.loaded.check.meta.exclusive && !p.loaded.check.meta.runsFirst)
        .map((p) => limit(() => runOne(p, stores, runController.signal, opts).then((r) => results.set(r.id, r)))),
    );
    await alone(runnable.filter((p) => p.loaded.check.meta.exclusive));
  } finally {
    clearTimeout(runTimer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await stores.closeAll();
  }

  for (const p of opts.plan) {
    if (p.skipReason) results.set(p.loaded.check.meta.id, skipped(p.loaded.check, p.skipReason));
    else if (!results.has(p.loaded.check.meta.id) && notInThisShard(p, config))
      results.set(p.loaded.check.meta.id, skipped(p.loaded.check, NOT_SHARDABLE));
  }
  const checks = [...results.values()].sort((a, b) => a.id.localeCompare(b.id));
  const summary: RunSummary = {
    checks: { pass: 0, fail: 0, error: 0, skipped: 0 },
    findings: { error: 0, warn: 0, info: 0 },
    unreachableStores: (Object.values(stores.status) as Array<(typeof stores.status)[StoreKind]>)
      .filter((s) => s.connected === false)
      .map((s) => s.kind),
  };
  for (const c of checks) {
    summary.checks[c.status]++;
    for (const s of SEVERITIES) summary.findings[s] += c.counts[s];
  }
  addRunProblems(summary, checks, opts.strays?.unattributed ?? []);
  const reason = runController.signal.reason;
  if (runController.signal.aborted) summary.interrupted = reason === 'SIGTERM' ? 'SIGTERM' : reason === 'timeout' ? 'timeout' : 'SIGINT';

  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'dbcheck', version: opts.version ?? '0.0.0' },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    failOn: config.run.failOn,
    ...(config.run.shard ? { shard: config.run.shard } : {}),
    exitCode: 0,
    summary,
    stores: Object.values(stores.status),
    checks,
  };
  report.exitCode = exitCodeFor(report);
  return report;
}

/**
 * Error codes that mean "the configuration is wrong": a retry cannot fix them. A table, column,
 * collection or field named in the config that a reachable store does not have is one. Refused,
 * timed out, lost and authentication failures are the store's side (a password may be rotated
 * back): 3. So is any store set-up step that fails (issue 11 item 1), even a Redis db index or a
 * Postgres database that does not exist: the store is unreachable.
 */
const CONFIG_ERROR_CODES = new Set(['CONFIG', 'STORE_MISSING_OBJECT']);

export function isConfigMistake(error: { code: string } | undefined): boolean {
  return error !== undefined && CONFIG_ERROR_CODES.has(error.code);
}

/**
 * Exit code precedence: interrupted (130/143), then a mistake of the configuration (2: retrying will
 * not help), then incomplete (3), then findings (1). A run in which no check ran is never 0.
 */
export function exitCodeFor(
  report: Pick<Report, 'summary' | 'failOn' | 'checks'> & { stores?: Report['stores']; baseline?: Report['baseline'] },
): number {
  const s = report.summary;
  if (s.interrupted === 'SIGINT') return 130;
  if (s.interrupted === 'SIGTERM') return 143;
  // A check that could not start because its store failed to set up carries the store's error: 3.
  const storeFailures = new Set((report.stores ?? []).flatMap((st) => (st.error ? [st.error.message] : [])));
  if (report.checks.some((c) => isConfigMistake(c.error) && !storeFailures.has(c.error!.message))) return 2;
  // The plan refuses to run nothing (src/engine/plan.ts); this guards callers that bypass it. A shard
  // whose checks all run whole in shard 0 has done its part: nothing of its own was left to run.
  const ranNone = s.checks.pass + s.checks.fail + s.checks.error === 0;
  if (ranNone && !report.checks.some((c) => c.skipReason === NOT_SHARDABLE)) return 2;
  if (s.checks.error > 0 || s.unreachableStores.length > 0 || s.uncaughtErrors?.length || s.interrupted === 'timeout') return 3;
  // --fail-on-new: only findings that may be new fail the run (src/engine/baseline.ts).
  if (report.baseline?.failOnNew) return possiblyNewAtOrAbove(report, report.failOn) > 0 ? 1 : 0;
  if (atOrAbove(s.findings, report.failOn) > 0) return 1;
  return 0;
}

const NOT_SHARDABLE = 'cannot split its work by --shard: it runs whole in shard 0 only';

/** A check that cannot split its work runs in shard 0 only, so a merge counts its findings once. */
function notInThisShard(p: PlannedCheck, config: ResolvedConfig): boolean {
  const shard = config.run.shard;
  return shard !== undefined && shard.index > 0 && !p.loaded.check.meta.shardable;
}

function skipped(check: Check, reason: string): CheckResult {
  return {
    id: check.meta.id,
    title: check.meta.title,
    ...(check.meta.description ? { description: check.meta.description } : {}),
    status: 'skipped',
    durationMs: 0,
    counts: { error: 0, warn: 0, info: 0 },
    countsByCode: {},
    findings: [],
    truncated: false,
    stats: {},
    skipReason: reason,
  };
}

async function runOne(p: PlannedCheck, stores: StoreManager, runSignal: AbortSignal, opts: RunOptions): Promise<CheckResult> {
  const { check } = p.loaded;
  const meta = check.meta;
  const t0 = performance.now();
  opts.onProgress?.({ type: 'check-start', checkId: meta.id });
  const { secrets } = stores;
  const collector = new FindingCollector(check, p.section.severity, opts.config.run.maxFindings, secrets);
  const stats: Record<string, unknown> = {};
  const controller = new AbortController();
  const timeoutMs = p.section.timeoutMs ?? opts.config.run.checkTimeoutMs;
  const timer = setTimeout(() => controller.abort('check-timeout'), timeoutMs);
  const onRunAbort = () => controller.abort(runSignal.reason);
  if (runSignal.aborted) onRunAbort();
  runSignal.addEventListener('abort', onRunAbort, { once: true });

  const finish = (partial: Partial<CheckResult>): CheckResult => {
    const result: CheckResult = {
      id: meta.id,
      title: meta.title,
      ...(meta.description ? { description: meta.description } : {}),
      status: 'pass',
      durationMs: Math.round(performance.now() - t0),
      counts: collector.counts,
      countsByCode: collector.countsByCode,
      findings: collector.findings,
      truncated: collector.truncated,
      stats: redactDeep(jsonSafe(stats) as Record<string, unknown>, secrets),
      // Only a shard's report is merged: others stay as they were.
      ...(opts.config.run.shard && meta.stats ? { statRules: meta.stats } : {}),
      ...partial,
    };
    if (result.status === 'pass' && atOrAbove(result.counts, opts.config.run.failOn) > 0) result.status = 'fail';
    opts.onProgress?.({ type: 'check-end', checkId: meta.id, result });
    return result;
  };

  try {
    const connected = await connectStores(meta, stores);
    // A store that did not connect because the run was interrupted is no store error: cancelled.
    if ('error' in connected && controller.signal.aborted) throw abortError(controller.signal);
    if ('error' in connected) return finish({ status: 'error', error: connected.error });
    const { handles, rollback } = connected;
    if (controller.signal.aborted) throw abortError(controller.signal);

    const log = (line: string) => opts.log?.(`[${meta.id}] ${redact(line, stores.secrets)}`);
    const problems = await runPreflight(p, handles, stores, controller.signal, log, opts.config);
    if (problems.length) {
      const first = problems[0];
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
      return finish({
        status: 'error',
        error: { code: 'CONFIG', message: `${first.path ? `${first.path}: ` : ''}${first.message}${more}` },
        configProblems: problems,
      });
    }

    const ctx: CheckContext<unknown> = {
      checkId: meta.id,
      options: p.options,
      stores: handles,
      storeStatus: stores.status,
      signal: controller.signal,
      rollback: rollback as CheckContext['rollback'],
      report: (f) => collector.report(f),
      stats,
      progress: (progress) => opts.onProgress?.({ type: 'check-progress', checkId: meta.id, progress }),
      log,
      baseDir: opts.config.baseDir,
      ...(meta.shardable && opts.config.run.shard ? { shard: opts.config.run.shard } : {}),
    };
    const outcome = await untilAbandoned(check.run(ctx), controller.signal);
    if (controller.signal.aborted) throw abortError(controller.signal);
    return finish({
      ...(outcome?.sections ? { sections: redactDeep(jsonSafe(outcome.sections) as CheckResult['sections'], secrets) } : {}),
      ...(outcome?.partial ? { partial: true } : {}),
    });
  } catch (err) {
    if (controller.signal.aborted) {
      const e = abortError(controller.signal);
      return finish({ status: 'error', partial: true, error: { code: e.code, message: e.message } });
    }
    if (isCoded(err) && err.code !== 'INTERNAL') {
      return finish({
        status: 'error',
        partial: true,
        error: { code: err.code, message: redact(err.message, secrets), ...(err.hint ? { hint: err.hint } : {}) },
      });
    }
    const message = redact(errorLine(err), secrets);
    return finish({
      status: 'error',
      partial: true,
      error: { code: 'INTERNAL', message: `internal error: ${message}` },
    });
  } finally {
    clearTimeout(timer);
    runSignal.removeEventListener('abort', onRunAbort);
  }
}

/** The handles a check gets: its required stores (each must connect) and the used ones that are up. */
async function connectStores(
  meta: Check['meta'],
  stores: StoreManager,
): Promise<{ handles: StoreHandles; rollback?: unknown } | { error: { code: string; message: string } }> {
  const handles: StoreHandles = {};
  let rollback: unknown;
  for (const kind of meta.requires) {
    const store = await stores.get(kind);
    if (!store) {
      const err = stores.status[kind].error;
      return { error: { code: err?.code ?? 'STORE_UNREACHABLE', message: err?.message ?? `${kind} is not reachable` } };
    }
    (handles as Record<string, unknown>)[kind] = store.reader;
    // Only a store that can roll back offers `rollback` (Postgres today); a check declares it needs one.
    if (meta.access === 'rollback-txn' && store.rollback) rollback = store.rollback;
  }
  for (const kind of meta.uses ?? []) {
    if (handles[kind] || !stores.configured(kind)) continue;
    const store = await stores.get(kind);
    if (store) (handles as Record<string, unknown>)[kind] = store.reader;
  }
  return { handles, rollback };
}

/** Runs a check's preflight (when it has one) and returns the configuration problems it recorded. */
async function runPreflight(
  p: PlannedCheck,
  handles: StoreHandles,
  stores: StoreManager,
  signal: AbortSignal,
  log: (line: string) => void,
  config: ResolvedConfig,
): Promise<ConfigProblem[]> {
  const { check } = p.loaded;
  const problems: ConfigProblem[] = [];
  if (!check.preflight) return problems;
  const pre: PreflightContext<unknown> = {
    checkId: check.meta.id,
    options: p.options,
    stores: handles,
    storeStatus: stores.status,
    signal,
    log,
    baseDir: config.baseDir,
    problem: (problem) =>
      problems.push({ ...(problem.path ? { path: problem.path } : {}), message: redact(problem.message, stores.secrets) }),
  };
  await untilAbandoned(check.preflight(pre), signal);
  if (signal.aborted) throw abortError(signal);
  return problems;
}

export interface PreflightResult {
  checkId: string;
  /** Mistakes of the configuration (exit 2), with the file:line of their option when known. */
  problems: Array<ConfigProblem & { location?: string }>;
  /** The preflight could not finish: a store unreachable (exit 3) or a config-class store error. */
  error?: { code: string; message: string };
}

/**
 * `dbcheck validate --connect`: connects the stores every planned check needs (lazily, as an audit
 * would) and runs each check's preflight, reading no data. Every problem comes back together.
 * Exit code: 2 for mistakes of the configuration, 3 when a store is unreachable, else 0.
 */
export async function preflightAudit(opts: {
  config: ResolvedConfig;
  plan: PlannedCheck[];
  signal?: AbortSignal;
  log?: (line: string) => void;
}): Promise<{
  results: PreflightResult[];
  stores: StoreStatus[];
  exitCode: number;
}> {
  const { config } = opts;
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(opts.signal?.reason ?? 'SIGINT');
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => controller.abort('check-timeout'), config.run.timeoutMs ?? config.run.checkTimeoutMs);
  const stores = new StoreManager(config.stores, controller.signal);
  const results: PreflightResult[] = [];
  try {
    for (const p of opts.plan.filter((p) => !p.skipReason)) {
      const { meta } = p.loaded.check;
      const log = (line: string) => opts.log?.(`[${meta.id}] ${redact(line, stores.secrets)}`);
      try {
        // Connected even without a preflight: "valid against the live stores" means they answer.
        const connected = await connectStores(meta, stores);
        if ('error' in connected) {
          if (p.loaded.check.preflight) results.push({ checkId: meta.id, problems: [], error: connected.error });
          continue;
        }
        if (!p.loaded.check.preflight) continue;
        const problems = await runPreflight(p, connected.handles, stores, controller.signal, log, config);
        results.push({
          checkId: meta.id,
          problems: problems.map((pr) => ({ ...pr, location: config.locate(['checks', meta.id, ...splitPath(pr.path)]) })),
        });
      } catch (err) {
        const firstLine = redact(errorLine(err), stores.secrets);
        const e = controller.signal.aborted
          ? abortError(controller.signal)
          : isCoded(err)
            ? { code: err.code, message: redact(err.message, stores.secrets) }
            : { code: 'INTERNAL', message: `internal error: ${firstLine}` };
        results.push({ checkId: meta.id, problems: [], error: e });
      }
    }
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await stores.closeAll();
  }
  const statuses = Object.values(stores.status);
  const reason = controller.signal.reason;
  if (controller.signal.aborted && (reason === 'SIGINT' || reason === 'SIGTERM'))
    return { results, stores: statuses, exitCode: reason === 'SIGTERM' ? 143 : 130 };
  const storeFailures = new Set(statuses.flatMap((st) => (st.error ? [st.error.message] : [])));
  const mistakes = results.some((r) => r.problems.length > 0 || (isConfigMistake(r.error) && !storeFailures.has(r.error!.message)));
  const incomplete = results.some((r) => r.error) || statuses.some((st) => st.connected === false);
  return { results, stores: statuses, exitCode: mistakes ? 2 : incomplete ? 3 : 0 };
}

/** 'relations.chunks[0].column' -> ['relations', 'chunks', 0, 'column'] (for config.locate). */
function splitPath(path: string | undefined): Array<string | number> {
  if (!path) return [];
  return [...path.matchAll(/[^.[\]]+|\[(\d+)\]/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[0]));
}

function abortError(signal: AbortSignal): { code: string; message: string } {
  const r = signal.reason;
  if (r === 'check-timeout') return { code: 'TIMEOUT', message: 'check timed out (raise checks.<id>.timeout or --check-timeout)' };
  if (r === 'timeout') return { code: 'TIMEOUT', message: 'the run timed out (--timeout) before this check finished' };
  return { code: 'CANCELLED', message: `cancelled (${typeof r === 'string' ? r : 'interrupted'})` };
}
