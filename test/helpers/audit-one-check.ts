/**
 * The engine's path for one check, shared by runCheck (real servers) and runCheckInMemory: the
 * config pipeline with the check's section, a plan of that check alone, the run, its result, and
 * the codes it produced recorded for the conformance rule "every declared code is produced by a test".
 */
import { resolveConfig } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/issues.js';
import { planAudit } from '../../src/engine/plan.js';
import type { CheckResult, Report } from '../../src/engine/result.js';
import { type ProgressEvent, runAudit } from '../../src/engine/run.js';
import { DbcheckError } from '../../src/errors.js';
import type { Check, Severity } from '../../src/plugin.js';
import './conformance-hook.js';
import { recordProduced } from './produced-codes.js';

export interface CheckSectionOptions {
  /** The check's config section (what a user writes under checks.<id>). */
  options?: Record<string, unknown>;
  severity?: Record<string, Severity | 'off'>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** What the engine tells a progress display (check start, progress, end). */
  onProgress?: (e: ProgressEvent) => void;
  /** Folder relative option paths resolve against (default cwd). */
  baseDir?: string;
}

/**
 * Runs `planned` (the check itself, or a wrapper with its id) with the config's `stores` and `run`
 * sections; a config or plan mistake throws a CONFIG DbcheckError.
 */
export async function auditOneCheck(
  planned: Check,
  raw: { stores: Record<string, unknown>; run: Record<string, unknown> },
  opts: CheckSectionOptions,
): Promise<{ result: CheckResult; report: Report }> {
  const id = planned.meta.id;
  const section = {
    ...(opts.options ?? {}),
    ...(opts.severity ? { severity: opts.severity } : {}),
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
  };
  const { config, errors } = resolveConfig({ ...raw, checks: { [id]: section } }, { baseDir: opts.baseDir ?? process.cwd(), env: {} });
  if (!config) throw new DbcheckError('CONFIG', errors.map(formatIssue).join('\n'));
  const { plan, errors: planErrors } = planAudit(config, [{ check: planned, source: 'test' }], { only: [id] });
  if (planErrors.length) throw new DbcheckError('CONFIG', planErrors.map(formatIssue).join('\n'));
  const report = await runAudit({ config, plan, signal: opts.signal, onProgress: opts.onProgress });
  const result = report.checks.find((c) => c.id === id);
  if (!result) throw new Error(`check ${id} produced no result`);
  recordProduced(id, result.countsByCode);
  return { result, report };
}
