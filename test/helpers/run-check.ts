import { validateCheck } from '../../src/engine/load-checks.js';
import type { CheckResult } from '../../src/engine/result.js';
import type { Check, StoreKind } from '../../src/plugin.js';
import { auditOneCheck, type CheckSectionOptions } from './audit-one-check.js';
import { testStoresConfig } from './stores.js';

export interface RunCheckOptions extends CheckSectionOptions {
  /** Store config overrides (config-file format); false removes a store. Default: local test servers. */
  stores?: Partial<Record<StoreKind, object | false>>;
  maxFindings?: number;
  /** --shard "i/n": run one shard of a sharded run. */
  shard?: string;
}

/** Runs one check through the real engine against real stores; returns its CheckResult. */
export async function runCheck(check: Check, opts: RunCheckOptions = {}): Promise<CheckResult> {
  validateCheck(check, 'test');
  const stores: Record<string, unknown> = { ...testStoresConfig() };
  for (const [kind, cfg] of Object.entries(opts.stores ?? {})) {
    if (cfg === false) delete stores[kind];
    else stores[kind] = cfg;
  }
  const { result } = await auditOneCheck(
    check,
    { stores, run: { maxFindings: opts.maxFindings ?? 1000, ...(opts.shard ? { shard: opts.shard } : {}) } },
    opts,
  );
  return result;
}
