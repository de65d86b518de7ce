/** What a run produces: findings, per-check results, and the whole report. */
import type { FindingSubject, ResultSection, Severity, StatShape } from '../plugin.js';
import type { StoreKind, StoreStatus } from '../stores/types.js';

export interface Finding {
  checkId: string;
  code: string;
  severity: Severity;
  /** One line, redacted. */
  message: string;
  subject?: FindingSubject;
  data?: Record<string, unknown>;
  /** Stable hash of check, code and subject: the same problem keeps its fingerprint across runs. */
  fingerprint: string;
  /**
   * With --baseline: 'new' (not in the baseline), 'unchanged' (in it), or 'unknown' (not among the
   * findings the baseline kept, which was truncated: it may be beyond its --max-findings).
   */
  baseline?: 'new' | 'unchanged' | 'unknown';
}

export type CheckStatus = 'pass' | 'fail' | 'error' | 'skipped';

export interface SeverityCounts {
  error: number;
  warn: number;
  info: number;
}

export interface CheckResult {
  id: string;
  title: string;
  /** The check's meta.description, when it has one. */
  description?: string;
  status: CheckStatus;
  durationMs: number;
  /** Exact totals, even when `findings` was truncated. */
  counts: SeverityCounts;
  countsByCode: Record<string, number>;
  /** N findings (N = --max-findings): the most severe first, then in report order. */
  findings: Finding[];
  truncated: boolean;
  stats: Record<string, unknown>;
  /**
   * In a sharded run (--shard), the check's `meta.stats`: how `dbcheck merge` combines each stat,
   * carried in the report so a merge needs only the reports (src/engine/merge.ts).
   */
  statRules?: StatShape;
  sections?: ResultSection[];
  /** Stopped early (cancelled, timed out, sampled): counts are a lower bound. */
  partial?: boolean;
  skipReason?: string;
  /** Clear, redacted reason when status is 'error'. */
  error?: { code: string; message: string; hint?: string };
  /** Mistakes of the configuration found by the check's preflight (then error.code is CONFIG). */
  configProblems?: Array<{ path?: string; message: string }>;
  /** Per mapping or relation, from exact counts in `stats` (src/report/consistency.ts). */
  consistency?: Consistency[];
}

/** How consistent one mapping or relation is: (compared - inconsistent) / compared. */
export interface Consistency {
  name: string;
  kind: 'mapping' | 'relation';
  /** What was counted: 'keys', 'entities'. */
  unit: string;
  /** What the inconsistent ones are: 'inconsistent', 'orphaned'. */
  problem: string;
  compared: number;
  inconsistent: number;
  /** 0..1 */
  ratio: number;
  /** From a sample: an estimate. */
  sampled?: true;
  /** Below --min-consistency: the check fails. */
  belowMinimum?: true;
}

export interface RunSummary {
  checks: Record<CheckStatus, number>;
  findings: SeverityCounts;
  /** The stores a selected check needed that could not be reached. */
  unreachableStores: StoreKind[];
  /** Errors thrown outside every check (or after their check ended), one redacted line each. */
  uncaughtErrors?: string[];
  interrupted?: 'SIGINT' | 'SIGTERM' | 'timeout';
}

export interface Report {
  schemaVersion: 1;
  tool: { name: 'dbcheck'; version: string };
  startedAt: string;
  durationMs: number;
  failOn: Severity;
  /** --shard i/n: this report covers shard `index` of `count` (merge them with `dbcheck merge`). */
  shard?: { index: number; count: number };
  /** --baseline: what changed since an earlier report (src/engine/baseline.ts). */
  baseline?: BaselineSummary;
  /** --min-consistency, in percent, when given. */
  minConsistency?: number;
  exitCode: number;
  summary: RunSummary;
  stores: StoreStatus[];
  checks: CheckResult[];
}

export interface BaselineSummary {
  /** The earlier report's startedAt. */
  startedAt: string;
  /** --fail-on-new: only new (or unknown) findings at or above failOn make the exit code 1. */
  failOnNew: boolean;
  new: number;
  unchanged: number;
  /** Kept findings the baseline cannot place (it was truncated): counted as possibly new. */
  unknown: number;
  /** Findings beyond this run's --max-findings: counted, never compared. */
  notCompared: number;
  /** Baseline findings gone from this run, for the checks where "gone" can be known. */
  resolved: Array<Pick<Finding, 'checkId' | 'code' | 'severity' | 'message' | 'fingerprint'>>;
  /** Checks whose resolved findings cannot be known, each with the reason. */
  resolvedUnknown: Array<{ checkId: string; reason: string }>;
}
