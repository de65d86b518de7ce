/**
 * --baseline FILE: compares a run with an earlier JSON report by finding fingerprint (check, code
 * and subject: never the message, whose numbers move). Each kept finding is labelled new,
 * unchanged or unknown; the baseline's findings gone from this run are listed as resolved.
 *
 * A report keeps only --max-findings findings per check, so honesty needs two rules:
 * - a finding absent from a truncated baseline check may be beyond its N: 'unknown', not 'new';
 * - a baseline finding absent from this run is 'resolved' only where this run saw everything:
 *   the check finished, was not truncated and not partial, and covers the same keys (same shard).
 * --fail-on-new: the exit code is 1 only for findings at or above --fail-on that may be new
 * (new, unknown, or beyond this run's N): never a false all-clear.
 */
import { readFileSync } from 'node:fs';
import type { Severity } from '../plugin.js';
import type { BaselineSummary, CheckResult, Finding, Report } from './result.js';

/** A baseline file that cannot be used: the CLI prints it as one line and exits 2. */
export class BaselineError extends Error {
  readonly code = 'CONFIG';
}

type BaselineReport = Pick<Report, 'startedAt' | 'shard'> & {
  checks: Array<Pick<CheckResult, 'id' | 'status' | 'truncated' | 'partial'> & { findings: Finding[] }>;
};

/** Reads and sanity-checks an earlier JSON report (the fields the comparison needs). */
export function readBaseline(file: string): BaselineReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BaselineError(`--baseline ${file}: cannot read it (${(err as { code?: string }).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new BaselineError(`--baseline ${file}: not JSON (write it with --format json)`);
  }
  const r = doc as Partial<BaselineReport> & { schemaVersion?: unknown };
  const wellFormed =
    r?.schemaVersion === 1 &&
    typeof r.startedAt === 'string' &&
    Array.isArray(r.checks) &&
    r.checks.every(
      (c) => typeof c?.id === 'string' && Array.isArray(c.findings) && c.findings.every((f) => typeof f?.fingerprint === 'string'),
    );
  if (!wellFormed) throw new BaselineError(`--baseline ${file}: not a dbcheck JSON report (schemaVersion 1)`);
  return r as BaselineReport;
}

const RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };
const LABEL_ORDER: Record<NonNullable<Finding['baseline']>, number> = { new: 0, unknown: 1, unchanged: 2 };

/**
 * Labels the report's findings (new ones first within each check, so the table shows them first),
 * adds `report.baseline`, and with `failOnNew` lets only possibly-new findings fail the run
 * (the exit code is recomputed by the caller through exitCodeFor).
 */
export function applyBaseline(report: Report, baseline: BaselineReport, opts: { failOnNew: boolean }): BaselineSummary {
  const summary: BaselineSummary = {
    startedAt: baseline.startedAt,
    failOnNew: opts.failOnNew,
    new: 0,
    unchanged: 0,
    unknown: 0,
    notCompared: 0,
    resolved: [],
    resolvedUnknown: [],
  };
  const before = new Map(baseline.checks.map((c) => [c.id, c]));
  const sameKeys = sameShard(report.shard, baseline.shard);
  for (const check of report.checks) {
    const old = before.get(check.id);
    const oldPrints = new Set((old?.findings ?? []).map((f) => f.fingerprint));
    for (const f of check.findings) {
      f.baseline = oldPrints.has(f.fingerprint) ? 'unchanged' : old?.truncated ? 'unknown' : 'new';
      summary[f.baseline]++;
    }
    // Array.prototype.sort is stable: severity order, then report order, stay within each label.
    check.findings.sort((a, b) => LABEL_ORDER[a.baseline!] - LABEL_ORDER[b.baseline!]);
    summary.notCompared += total(check.counts) - check.findings.length;

    if (!old || old.findings.length === 0) continue;
    const why = resolvedUnknowable(check, sameKeys);
    if (why) {
      summary.resolvedUnknown.push({ checkId: check.id, reason: why });
      continue;
    }
    const now = new Set(check.findings.map((f) => f.fingerprint));
    for (const f of old.findings) {
      if (!now.has(f.fingerprint))
        summary.resolved.push({ checkId: f.checkId, code: f.code, severity: f.severity, message: f.message, fingerprint: f.fingerprint });
    }
  }
  report.baseline = summary;
  return summary;
}

/** Why this run cannot say which of a check's baseline findings are gone; undefined when it can. */
function resolvedUnknowable(check: CheckResult, sameKeys: boolean): string | undefined {
  if (check.status === 'skipped') return 'skipped in this run';
  if (check.status === 'error' || check.partial) return 'did not finish (or sampled) in this run';
  if (check.truncated) return 'this run kept only --max-findings findings: raise it to list resolved ones';
  if (!sameKeys) return 'the reports cover different shards: compare merged reports';
  return undefined;
}

function sameShard(a: Report['shard'], b: Report['shard']): boolean {
  return (a?.index ?? 0) === (b?.index ?? 0) && (a?.count ?? 1) === (b?.count ?? 1);
}

function total(c: { error: number; warn: number; info: number }): number {
  return c.error + c.warn + c.info;
}

/**
 * --fail-on-new: findings at or above `failOn` that may be new. Kept findings labelled new or
 * unknown count one each; findings beyond this run's N cannot be compared, so they count too.
 */
export function possiblyNewAtOrAbove(report: Pick<Report, 'checks'>, failOn: Severity): number {
  const counts = (sev: Severity) => RANK[sev] >= RANK[failOn];
  let n = 0;
  for (const c of report.checks) {
    const kept = c.findings.filter((f) => counts(f.severity));
    n += kept.filter((f) => f.baseline !== 'unchanged').length;
    const all = (Object.keys(c.counts) as Severity[]).filter(counts).reduce((sum, s) => sum + c.counts[s], 0);
    n += all - kept.length;
  }
  return n;
}
