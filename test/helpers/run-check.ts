import { resolveConfig } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/issues.js';
import { validateCheck } from '../../src/engine/load-checks.js';
import { planAudit } from '../../src/engine/plan.js';
import type { CheckResult } from '../../src/engine/result.js';
import { runAudit } from '../../src/engine/run.js';
import { DbcheckError } from '../../src/errors.js';
import type { Check, Severity, StoreKind } from '../../src/plugin.js';
import './conformance-hook.js';
import { recordProduced } from './produced-codes.js';
import { testStoresConfig } from './stores.js';

export interface RunCheckOptions {
  /** The check's config section (what a user writes under checks.<id>). */
  options?: Record<string, unknown>;
  /** Store config overrides (config-file format); false removes a store. Default: local test servers. */
  stores?: Partial<Record<StoreKind, object | false>>;
  severity?: Record<string, Severity | 'off'>;
  maxFindings?: number;
  /** --shard "i/n": run one shard of a sharded run. */
  shard?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Folder relative option paths resolve against (default cwd). */
  baseDir?: string;
}

/** Runs one check through the real engine against real stores; returns its CheckResult. */
export async function runCheck(check: Check, opts: RunCheckOptions = {}): Promise<CheckResult> {
  validateCheck(check, 'test');
  const stores: Record<string, unknown> = { ...testStoresConfig() };
  for (const [kind, cfg] of Object.entries(opts.stores ?? {})) {
    if (cfg === false) delete stores[kind];
    else stores[kind] = cfg;
  }
  const raw = {
    stores,
    run: { maxFindings: opts.maxFindings ?? 1000, ...(opts.shard ? { shard: opts.shard } : {}) },
    checks: {
      [check.meta.id]: {
        ...(opts.options ?? {}),
        ...(opts.severity ? { severity: opts.severity } : {}),
        ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
      },
    },
  };
  const { config, errors } = resolveConfig(raw, { baseDir: opts.baseDir ?? process.cwd(), env: {} });
  if (!config) throw new DbcheckError('CONFIG', errors.map(formatIssue).join('\n'));
  const { plan, errors: planErrors } = planAudit(config, [{ check, source: 'test' }], { only: [check.meta.id] });
  if (planErrors.length) throw new DbcheckError('CONFIG', planErrors.map(formatIssue).join('\n'));
  const report = await runAudit({ config, plan, signal: opts.signal });
  const result = report.checks.find((c) => c.id === check.meta.id);
  if (!result) throw new Error(`check ${check.meta.id} produced no result`);
  // What the check reported, for the conformance rule "every declared code is produced by a test".
  recordProduced(check.meta.id, result.countsByCode);
  return result;
}
