/**
 * An audit of inline checks through the real engine (plan, run, report) with no store configured:
 * for unit tests of the engine, sharding, merging and stats.
 */
import { expect } from 'vitest';
import type { ResolvedConfig } from '../../src/config/load.js';
import type { LoadedCheck } from '../../src/engine/load-checks.js';
import { planAudit } from '../../src/engine/plan.js';
import type { Report } from '../../src/engine/result.js';
import { runAudit } from '../../src/engine/run.js';

export interface InlineAuditOptions {
  /** --shard: run one shard of a sharded run. */
  shard?: { index: number; count: number };
  /** Errors no check owns, as the CLI hands them to runAudit. */
  strays?: { unattributed: string[] };
  /** How many checks run at once (default 4). */
  concurrency?: number;
}

/** A resolved config with no stores and no check sections. */
function inlineConfig(opts: InlineAuditOptions = {}): ResolvedConfig {
  const { shard, concurrency = 4 } = opts;
  return {
    baseDir: '/tmp',
    stores: {},
    plugins: [],
    run: { concurrency, checkTimeoutMs: 10_000, failOn: 'error', maxFindings: 100, ...(shard ? { shard } : {}) },
    checks: {},
    locate: () => undefined,
  };
}

/** Plans (which must find no config error) and runs the checks; returns the report. */
export async function auditInline(checks: LoadedCheck[], opts: InlineAuditOptions = {}): Promise<Report> {
  const config = inlineConfig(opts);
  const { plan, errors } = planAudit(config, checks, {});
  expect(errors).toEqual([]);
  return runAudit({ config, plan, ...(opts.strays ? { strays: opts.strays } : {}) });
}
