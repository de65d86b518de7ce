/**
 * `dbcheck merge r0.json ... rn.json`: the reports of a sharded run (`--shard i/n`, one per shard)
 * become one report, with the totals and findings a single run would have.
 *
 * Shards split keys by hash (checks/lib/shard.ts), so every key's findings are in exactly one
 * report: counts add up exactly and findings are the union. A check that cannot shard ran whole in
 * shard 0 (skipped elsewhere): its result is shard 0's. Stats of a sharded check are merged by the
 * rules the check declared in `meta.stats` (src/stats.ts: counters summed, peaks the largest,
 * settings the same in all); section cells are counters of keys and summed (rows per mapping by
 * their first cell). Each shard kept up to --max-findings findings per check: the merge keeps all
 * of them (most severe first) and is truncated when any shard was.
 *
 * The rules come from the reports (`statRules`, written by every sharded run), not from loading the
 * checks by id: merge needs no config and no plugin files, and a report is merged by the rules of
 * the very check version that wrote it. Reports written before `statRules` existed are merged by
 * the rules the caller knows for their check id (the CLI passes the built-ins').
 */
import type { Severity, StatDecl, StatShape } from '../plugin.js';
import { PER_NAME } from '../stats.js';
import type { CheckResult, Finding, Report, RunSummary, SeverityCounts } from './result.js';
import { exitCodeFor } from './run.js';

/** Reports that do not make one sharded run: the CLI prints it as one line and exits 2. */
export class MergeError extends Error {
  readonly code = 'CONFIG';
}

const RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };

export function mergeReports(
  reports: Report[],
  names: string[] = reports.map((_, i) => `report ${i + 1}`),
  /** Stat rules by check id, for reports that carry none (older ones). */
  knownRules: Readonly<Record<string, StatShape | undefined>> = {},
): Report {
  const shards = checkShards(reports, names);
  const first = shards[0];
  const checkIds = [...new Set(shards.flatMap((r) => r.checks.map((c) => c.id)))].sort();
  const checks = checkIds.map((id) =>
    mergeCheck(
      shards.map((r) => r.checks.find((c) => c.id === id)).filter((c): c is CheckResult => !!c),
      first.failOn,
      knownRules[id],
    ),
  );

  const summary: RunSummary = {
    checks: { pass: 0, fail: 0, error: 0, skipped: 0 },
    findings: { error: 0, warn: 0, info: 0 },
    unreachableStores: [...new Set(shards.flatMap((r) => r.summary.unreachableStores))],
  };
  for (const c of checks) {
    summary.checks[c.status]++;
    addCounts(summary.findings, c.counts);
  }
  const uncaught = shards.flatMap((r, i) => (r.summary.uncaughtErrors ?? []).map((u) => `shard ${i}: ${u}`));
  if (uncaught.length) summary.uncaughtErrors = uncaught;
  const interrupted = shards.find((r) => r.summary.interrupted)?.summary.interrupted;
  if (interrupted) summary.interrupted = interrupted;

  const merged: Report = {
    schemaVersion: 1,
    tool: first.tool,
    // The shards run side by side: the run began with the first and lasted as long as the longest.
    startedAt: shards.map((r) => r.startedAt).sort()[0],
    durationMs: Math.max(...shards.map((r) => r.durationMs)),
    failOn: first.failOn,
    exitCode: 0,
    summary,
    // A store is reported down when any shard could not reach it.
    stores: first.stores.map((st) => shards.map((r) => r.stores.find((x) => x.kind === st.kind)).find((x) => x?.error) ?? st),
    checks,
  };
  merged.exitCode = exitCodeFor(merged);
  return merged;
}

/** The reports ordered by shard index; one line of error when they are not the n shards of one run. */
function checkShards(reports: Report[], names: string[]): Report[] {
  if (reports.length === 0) throw new MergeError('merge: give the JSON reports of every shard');
  const missing = reports.findIndex((r) => !r?.shard || !Array.isArray(r.checks) || !r.summary);
  if (missing >= 0) throw new MergeError(`merge: ${names[missing]} is not a shard's report (run it with --shard i/n)`);
  const n = reports[0].shard!.count;
  const byIndex = new Map<number, number>();
  for (const [i, r] of reports.entries()) {
    if (r.shard!.count !== n)
      throw new MergeError(`merge: ${names[i]} is shard ${r.shard!.index}/${r.shard!.count}, ${names[0]} is of ${n} shards`);
    if (byIndex.has(r.shard!.index))
      throw new MergeError(`merge: ${names[byIndex.get(r.shard!.index)!]} and ${names[i]} are both shard ${r.shard!.index}/${n}`);
    if (r.failOn !== reports[0].failOn)
      throw new MergeError(`merge: ${names[i]} ran with --fail-on ${r.failOn}, ${names[0]} with ${reports[0].failOn}`);
    byIndex.set(r.shard!.index, i);
  }
  const absent = Array.from({ length: n }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (absent.length)
    throw new MergeError(`merge: missing shard ${absent.map((i) => `${i}/${n}`).join(', ')}: a merge without every shard would undercount`);
  return Array.from({ length: n }, (_, i) => reports[byIndex.get(i)!]);
}

function mergeCheck(parts: CheckResult[], failOn: Severity, knownRules: StatShape | undefined): CheckResult {
  const [first] = parts;
  // A check that cannot shard ran whole in shard 0 and was skipped in the others.
  const ran = parts.filter((p) => p.status !== 'skipped');
  if (ran.length <= 1) return ran[0] ?? first;

  const counts: SeverityCounts = { error: 0, warn: 0, info: 0 };
  const countsByCode: Record<string, number> = {};
  for (const p of ran) {
    addCounts(counts, p.counts);
    for (const [code, n] of Object.entries(p.countsByCode)) countsByCode[code] = (countsByCode[code] ?? 0) + n;
  }
  const findings: Finding[] = ran.flatMap((p) => p.findings).sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  const errored = ran.find((p) => p.status === 'error');
  const result: CheckResult = {
    ...ran[0],
    status: errored ? 'error' : Object.entries(counts).some(([s, n]) => n > 0 && RANK[s as Severity] >= RANK[failOn]) ? 'fail' : 'pass',
    durationMs: Math.max(...ran.map((p) => p.durationMs)),
    counts,
    countsByCode,
    findings,
    truncated: ran.some((p) => p.truncated),
    stats: mergeStats(
      ran.map((p) => p.stats),
      ran[0].statRules ?? knownRules,
    ),
  };
  if (errored?.error) result.error = errored.error;
  if (ran.some((p) => p.partial)) result.partial = true;
  if (ran[0].sections) result.sections = ran[0].sections.map((sec) => ({ ...sec, rows: mergeRows(sec.title, ran) }));
  return result;
}

/** Rows of one section across shards, matched by their first cell; numeric cells summed. */
function mergeRows(title: string, parts: CheckResult[]): Array<Array<string | number | null>> {
  const rows = new Map<string, Array<string | number | null>>();
  for (const p of parts) {
    for (const row of p.sections?.find((s) => s.title === title)?.rows ?? []) {
      const key = String(row[0]);
      const had = rows.get(key);
      rows.set(key, had ? had.map((v, i) => (typeof v === 'number' && typeof row[i] === 'number' ? v + (row[i] as number) : v)) : [...row]);
    }
  }
  return [...rows.values()];
}

/**
 * Merges the stats of the shards that ran (shard order) by the check's declared rules (see
 * src/stats.ts). An undeclared stat keeps the safe default: a number only when every shard has the
 * same (else dropped and listed in `stats.unmerged`, never summed into a wrong total), a flag raised
 * anywhere, lists of names united, anything else shard 0's.
 */
export function mergeStats(parts: Array<Record<string, unknown>>, rules?: StatShape): Record<string, unknown> {
  const unmerged: string[] = [];
  const out = (mergeValue(parts, '', rules, unmerged) ?? {}) as Record<string, unknown>;
  if (unmerged.length) out.unmerged = unmerged;
  return out;
}

function mergeValue(values: unknown[], path: string, decl: StatDecl | undefined, unmerged: string[]): unknown {
  const present = values.filter((v) => v !== undefined);
  if (present.length === 0) return undefined;
  if (decl === 'fact' || decl === 'text') return present[0];
  if (present.every((v) => typeof v === 'number')) {
    const nums = present as number[];
    switch (decl) {
      case 'sum':
        return nums.reduce((a, b) => a + b, 0);
      case 'max':
        return Math.max(...nums);
      case 'min':
        return Math.min(...nums);
      default:
        if (nums.every((n) => n === nums[0])) return nums[0];
        unmerged.push(path);
        return undefined;
    }
  }
  if (present.every((v) => typeof v === 'boolean')) return present.some(Boolean); // a flag raised in any shard
  if (present.every(isPlainObject)) {
    const out: Record<string, unknown> = {};
    const shape = typeof decl === 'object' ? decl : undefined;
    for (const key of new Set(present.flatMap((o) => Object.keys(o as object)))) {
      const childDecl = shape && (PER_NAME in shape ? shape[PER_NAME] : Object.hasOwn(shape, key) ? shape[key] : undefined);
      const merged = mergeValue(
        present.map((o) => (o as Record<string, unknown>)[key]),
        path ? `${path}.${key}` : key,
        childDecl,
        unmerged,
      );
      if (merged !== undefined) out[key] = merged;
    }
    return out;
  }
  // Lists of names (failed mappings or relations): every shard's, once.
  if (present.every((v) => Array.isArray(v) && v.every((x) => typeof x !== 'object'))) return [...new Set(present.flat())];
  return present[0]; // text (modes, timestamps, last keys): shard 0's
}

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

function addCounts(into: SeverityCounts, c: SeverityCounts): void {
  into.error += c.error;
  into.warn += c.warn;
  into.info += c.info;
}
