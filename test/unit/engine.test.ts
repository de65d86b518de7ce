/**
 * The engine without servers: plan (what runs, what is a config error), run order, preflight and
 * exit codes, with tiny inline checks and no store configured or connected.
 */
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/config/issues.js';
import type { CheckSection, ResolvedConfig } from '../../src/config/load.js';
import health from '../../checks/health/index.js';
import { validateCheck, type LoadedCheck } from '../../src/engine/load-checks.js';
import { planAudit } from '../../src/engine/plan.js';
import type { CheckResult, RunSummary } from '../../src/engine/result.js';
import { exitCodeFor, preflightAudit, runAudit } from '../../src/engine/run.js';
import { CheckError, defineCheck, type Check, type CheckMeta } from '../../src/plugin.js';

function config(opts: { stores?: ResolvedConfig['stores']; checks?: Record<string, Partial<CheckSection>> } = {}): ResolvedConfig {
  const checks: Record<string, CheckSection> = {};
  for (const [id, s] of Object.entries(opts.checks ?? {})) checks[id] = { severity: {}, options: {}, present: true, ...s };
  return {
    baseDir: '/tmp',
    stores: opts.stores ?? {},
    plugins: [],
    run: { concurrency: 4, checkTimeoutMs: 10_000, failOn: 'error', maxFindings: 100 },
    checks,
    // A stand-in for the file's line lookup: every path is "found" at a line named after it.
    locate: (p) => `dbcheck.yml:${p.join('/')}`,
  };
}

function inline(
  id: string,
  meta: Partial<CheckMeta> = {},
  run: Check['run'] = async () => {},
  preflight?: Check['preflight'],
): LoadedCheck {
  const check = defineCheck({
    meta: { id, title: id, requires: [], codes: { bad: { severity: 'error', message: () => 'bad' } }, ...meta },
    run,
    ...(preflight ? { preflight } : {}),
  });
  return { check, source: 'test' };
}

const messages = (errors: Parameters<typeof formatIssue>[0][]) => errors.map(formatIssue);

describe('plan: a check the user asked for that cannot run is a config error, never a quiet skip', () => {
  const needsRedis = inline('needs-redis', { requires: ['redis'] });
  const free = inline('free');

  it('named by --only, its store not configured', () => {
    const { errors } = planAudit(config(), [needsRedis, free], { only: ['needs-redis'] });
    expect(messages(errors)).toEqual(['--only: needs-redis needs redis, which is not configured (add stores.redis)']);
  });

  it('given a section, its store not configured (pointing at the section); without a section it stays a quiet skip', () => {
    const asked = planAudit(config({ checks: { 'needs-redis': {} } }), [needsRedis, free], {});
    expect(messages(asked.errors)).toEqual([
      'dbcheck.yml:checks/needs-redis: checks.needs-redis: needs-redis needs redis, which is not configured (add stores.redis)',
    ]);
    const quiet = planAudit(config(), [needsRedis, free], {});
    expect(quiet.errors).toEqual([]);
    expect(quiet.plan.find((p) => p.loaded.check.meta.id === 'needs-redis')!.skipReason).toBe('needs redis, which is not configured');
  });

  it('a check that only uses stores, none configured, named by --only', () => {
    const usesAll = inline('uses-all', { uses: ['postgres', 'redis', 'milvus'] });
    expect(messages(planAudit(config(), [usesAll], { only: ['uses-all'] }).errors)).toEqual([
      '--only: uses-all cannot run: none of postgres, redis, milvus is configured',
    ]);
  });

  it('--only X --skip X', () => {
    expect(messages(planAudit(config(), [free], { only: ['free'], skip: ['free'] }).errors)).toEqual([
      '--skip: "free" is also named by --only: nothing would run it',
    ]);
  });

  it('a plan that runs no check at all (every check disabled)', () => {
    const { errors } = planAudit(config({ checks: { free: { enabled: false } } }), [free], {});
    expect(messages(errors)).toEqual(['checks: no check would run (free: disabled in config)']);
  });

  it('an opt-in check with a section but not enabled stays a quiet skip', () => {
    const optIn = inline('load', { optIn: true });
    const { plan, errors } = planAudit(config({ checks: { load: { options: {} } } }), [optIn, free], {});
    expect(errors).toEqual([]);
    expect(plan.find((p) => p.loaded.check.meta.id === 'load')!.skipReason).toMatch(/^opt-in/);
  });
});

describe('run order', () => {
  it('a runsFirst check runs alone before the shared checks; exclusive ones run last', async () => {
    const events: string[] = [];
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const traced = (id: string, meta: Partial<CheckMeta> = {}) =>
      inline(id, meta, async () => {
        events.push(`${id}:start`);
        await tick();
        events.push(`${id}:end`);
      });
    const checks = [traced('a-shared'), traced('b-load', { exclusive: true }), traced('z-health', { runsFirst: true }), traced('c-shared')];
    const cfg = config();
    const report = await runAudit({ config: cfg, plan: planAudit(cfg, checks, {}).plan });
    expect(report.exitCode).toBe(0);
    expect(events.slice(0, 2)).toEqual(['z-health:start', 'z-health:end']);
    expect(events.slice(2, 4).sort()).toEqual(['a-shared:start', 'c-shared:start']); // shared ones overlap
    expect(events.slice(-2)).toEqual(['b-load:start', 'b-load:end']);
  });
});

describe('check validation at load (exit 2 before any store, not a crash mid-run)', () => {
  const base = { id: 'acme/x', title: 'x', requires: [], codes: { c: { severity: 'error', message: () => 'c' } } };
  const load = (meta: Record<string, unknown>) => () => validateCheck({ meta: { ...base, ...meta }, run: async () => {} }, 'x.mjs');

  it('refuses unknown stores in uses, an unknown access, and non-boolean flags', () => {
    expect(load({ uses: ['mysql'] })).toThrow('plugin x.mjs: check acme/x: uses must list postgres, redis, milvus');
    expect(load({ access: 'write' })).toThrow("plugin x.mjs: check acme/x: access must be 'read' or 'rollback-txn'");
    expect(load({ runsFirst: 'yes' })).toThrow('plugin x.mjs: check acme/x: runsFirst must be true or false');
    expect(load({ runsFirst: true, exclusive: true })).toThrow('runsFirst and exclusive cannot both be set');
    expect(load({ uses: ['redis'], access: 'read', runsFirst: true })).not.toThrow();
  });

  it('health runs first, so its latency is measured before the scans load the stores', () => {
    expect(health.meta.runsFirst).toBe(true);
    expect(() => validateCheck(health, 'builtin')).not.toThrow();
  });
});

describe('preflight', () => {
  it('problems end the check before its scan: status error, code CONFIG, every problem kept, exit 2', async () => {
    let scanned = false;
    const check = inline(
      'typo',
      {},
      async () => {
        scanned = true;
      },
      async (ctx) => {
        ctx.problem({ path: 'relations[0].table', message: 'table public.chunkz does not exist (did you mean "chunks"?)' });
        ctx.problem({ message: 'collection docs has no field parent_id' });
      },
    );
    const cfg = config();
    const report = await runAudit({ config: cfg, plan: planAudit(cfg, [check], {}).plan });
    const r = report.checks[0];
    expect(scanned).toBe(false);
    expect(r.status).toBe('error');
    expect(r.error).toEqual({
      code: 'CONFIG',
      message: 'relations[0].table: table public.chunkz does not exist (did you mean "chunks"?) (and 1 more)',
    });
    expect(r.configProblems).toHaveLength(2);
    expect(report.exitCode).toBe(2);
  });

  it("preflightAudit (validate --connect) gathers every check's problems with their config location", async () => {
    const one = inline(
      'one',
      {},
      async () => {},
      async (ctx) => ctx.problem({ path: 'relations[0].table', message: 'no such table' }),
    );
    const two = inline(
      'two',
      {},
      async () => {},
      async (ctx) => ctx.problem({ path: 'collection', message: 'no such collection' }),
    );
    const none = inline('three');
    const cfg = config();
    const { results, exitCode } = await preflightAudit({ config: cfg, plan: planAudit(cfg, [one, two, none], {}).plan });
    expect(exitCode).toBe(2);
    expect(results).toEqual([
      {
        checkId: 'one',
        problems: [{ path: 'relations[0].table', message: 'no such table', location: 'dbcheck.yml:checks/one/relations/0/table' }],
      },
      { checkId: 'two', problems: [{ path: 'collection', message: 'no such collection', location: 'dbcheck.yml:checks/two/collection' }] },
    ]);
  });

  it('preflightAudit: a store failure is exit 3 (retry), a missing object exit 2 (fix the config), none 0', async () => {
    const cfg = config();
    const throwing = (code: string) =>
      inline(
        't',
        {},
        async () => {},
        async () => {
          throw new CheckError(code, `${code} happened`);
        },
      );
    expect((await preflightAudit({ config: cfg, plan: planAudit(cfg, [throwing('STORE_TIMEOUT')], {}).plan })).exitCode).toBe(3);
    expect((await preflightAudit({ config: cfg, plan: planAudit(cfg, [throwing('STORE_MISSING_OBJECT')], {}).plan })).exitCode).toBe(2);
    const clean = inline(
      'clean',
      {},
      async () => {},
      async () => {},
    );
    expect(await preflightAudit({ config: cfg, plan: planAudit(cfg, [clean], {}).plan })).toMatchObject({
      results: [{ checkId: 'clean', problems: [] }],
      exitCode: 0,
    });
  });
});

describe('exit codes', () => {
  const summary = (checks: Partial<RunSummary['checks']>, extra: Partial<RunSummary> = {}): RunSummary => ({
    checks: { pass: 0, fail: 0, error: 0, skipped: 0, ...checks },
    findings: { error: 0, warn: 0, info: 0 },
    unreachableStores: [],
    ...extra,
  });
  const errored = (code: string) => [{ id: 'x', status: 'error', error: { code, message: code } } as CheckResult];

  it('config mistakes are 2, store-side failures 3', () => {
    expect(exitCodeFor({ summary: summary({ error: 1 }), failOn: 'error', checks: errored('CONFIG') })).toBe(2);
    expect(exitCodeFor({ summary: summary({ error: 1 }), failOn: 'error', checks: errored('STORE_MISSING_OBJECT') })).toBe(2);
    for (const code of ['STORE_UNREACHABLE', 'STORE_TIMEOUT', 'STORE_AUTH', 'TIMEOUT', 'INTERNAL']) {
      expect(exitCodeFor({ summary: summary({ error: 1 }), failOn: 'error', checks: errored(code) }), code).toBe(3);
    }
  });

  it('a store set-up failure is 3 even when the store says "not found" (a Redis db index), and so is the check it stopped', () => {
    const message = 'Redis at redis://h:6379/16: object not found (cannot switch to database 16)';
    const stores = [{ kind: 'redis' as const, configured: true, connected: false, error: { code: 'STORE_MISSING_OBJECT', message } }];
    const checks = [{ id: 'x', status: 'error', error: { code: 'STORE_MISSING_OBJECT', message } } as CheckResult];
    expect(exitCodeFor({ summary: summary({ error: 1 }, { unreachableStores: ['redis'] }), failOn: 'error', checks, stores })).toBe(3);
    // The same code from a reachable store (a table the config names) is the config's mistake.
    const table = [
      { id: 'x', status: 'error', error: { code: 'STORE_MISSING_OBJECT', message: 'relation "chunkz" does not exist' } } as CheckResult,
    ];
    expect(exitCodeFor({ summary: summary({ error: 1 }), failOn: 'error', checks: table, stores: [] })).toBe(2);
  });

  it('a run in which no check ran is never 0; an interrupt still wins', () => {
    expect(exitCodeFor({ summary: summary({ skipped: 3 }), failOn: 'error', checks: [] })).toBe(2);
    expect(exitCodeFor({ summary: summary({}, { interrupted: 'SIGINT' }), failOn: 'error', checks: [] })).toBe(130);
    expect(exitCodeFor({ summary: summary({ pass: 1 }), failOn: 'error', checks: [] })).toBe(0);
  });
});
