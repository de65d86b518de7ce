/**
 * Runs one check through the real engine (config pipeline, plan, preflight, finding collector,
 * severity overrides, timeouts, result) with in-memory stores instead of servers.
 *
 * The engine connects stores itself; to hand it in-memory ones without a seam in src/, the check is
 * wrapped: the wrapper declares no stores (so the engine connects none) and gives the real check's
 * preflight and run the fixture's readers and store statuses. Everything else is the engine's.
 */
import { validateCheck } from '../../src/engine/load-checks.js';
import type { CheckResult, Report } from '../../src/engine/result.js';
import { DbcheckError } from '../../src/errors.js';
import type { Check, Severity, StoreHandles } from '../../src/plugin.js';
import { auditOneCheck, type CheckSectionOptions } from './audit-one-check.js';
import { memoryStores, type MemoryFixture, type MemoryStores } from './memory-stores/index.js';

export interface RunInMemoryOptions extends CheckSectionOptions {
  maxFindings?: number;
  failOn?: Severity;
}

export interface InMemoryRun {
  result: CheckResult;
  report: Report;
  /** The readers the check was given (their `calls` show what it read). */
  stores: MemoryStores;
}

/** Runs `check` against the fixture's in-memory stores; see runCheck for the real servers. */
export async function runCheckInMemory(check: Check, fixture: MemoryFixture, opts: RunInMemoryOptions = {}): Promise<InMemoryRun> {
  validateCheck(check, 'test');
  const stores = memoryStores(fixture);
  const absent = check.meta.requires.filter((kind) => !stores.handles[kind] && !stores.status[kind].error);
  if (absent.length) {
    throw new Error(
      `check ${check.meta.id} requires ${absent.join(' and ')}: give the fixture one (Redis, Milvus) or test it against the real servers (runCheck)`,
    );
  }
  const { result, report } = await auditOneCheck(
    withStores(check, stores),
    {
      // The config pipeline wants a store; this one is never connected (the wrapper declares none).
      stores: { redis: { host: 'memory.invalid' } },
      run: { maxFindings: opts.maxFindings ?? 1000, ...(opts.failOn ? { failOn: opts.failOn } : {}) },
    },
    opts,
  );
  return { result, report, stores };
}

/**
 * The check with the fixture's stores: its required stores must be in the fixture (or listed as
 * unreachable, which ends it as the engine would: status error, the store's error); the stores it
 * uses are given when the fixture has them.
 */
function withStores(check: Check, stores: MemoryStores): Check {
  const { meta } = check;
  const handlesFor = (): StoreHandles => {
    const handles: StoreHandles = {};
    for (const kind of meta.requires) {
      const status = stores.status[kind];
      if (status.error) throw new DbcheckError(status.error.code as 'STORE_UNREACHABLE', status.error.message);
      (handles as Record<string, unknown>)[kind] = stores.handles[kind];
    }
    for (const kind of meta.uses ?? []) if (stores.handles[kind]) (handles as Record<string, unknown>)[kind] = stores.handles[kind];
    return handles;
  };
  return {
    meta: { ...meta, requires: [], uses: [] },
    ...(check.preflight ? { preflight: (ctx) => check.preflight!({ ...ctx, stores: handlesFor(), storeStatus: stores.status }) } : {}),
    run: (ctx) => check.run({ ...ctx, stores: handlesFor(), storeStatus: stores.status }),
  };
}
