/** What a run produces: findings, per-check results, and the whole report. */
import type { FindingSubject, ResultSection, Severity } from '../plugin.js';
import type { StoreStatus } from '../stores/types.js';

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
  status: CheckStatus;
  durationMs: number;
  /** Exact totals, even when `findings` was truncated. */
  counts: SeverityCounts;
  countsByCode: Record<string, number>;
  /** N findings (N = --max-findings): the most severe first, then in report order. */
  findings: Finding[];
  truncated: boolean;
  stats: Record<string, unknown>;
  sections?: ResultSection[];
  /** Stopped early (cancelled, timed out, sampled): counts are a lower bound. */
  partial?: boolean;
  skipReason?: string;
  /** Clear, redacted reason when status is 'error'. */
  error?: { code: string; message: string; hint?: string };
  /** Mistakes of the configuration found by the check's preflight (then error.code is CONFIG). */
  configProblems?: Array<{ path?: string; message: string }>;
}

export interface RunSummary {
  checks: Record<CheckStatus, number>;
  findings: SeverityCounts;
  /** The stores a selected check needed that could not be reached. */
  unreachableStores: string[];
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
  exitCode: number;
  summary: RunSummary;
  stores: StoreStatus[];
  checks: CheckResult[];
}
