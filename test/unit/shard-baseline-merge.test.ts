/**
 * Sharding, merging and baselines without servers: the key split, the engine's shard-0-only rule,
 * the merge's refusals, the baseline's honesty about truncated reports, and runAudit counting
 * uncaught errors itself (exit code and summary, for every caller, not only the CLI).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { applyBaseline, BaselineError, readBaseline } from '../../src/engine/baseline.js';
import type { LoadedCheck } from '../../src/engine/load-checks.js';
import { mergeReports } from '../../src/engine/merge.js';
import type { CheckResult, Finding, Report } from '../../src/engine/result.js';
import { exitCodeFor } from '../../src/engine/run.js';
import { defineCheck, type CheckMeta } from '../../src/plugin.js';
import { keyHash, shardFilter, shardOf, shardSql } from '../../src/shard.js';
import { auditInline } from '../helpers/inline-audit.js';

/** A check that reports one finding per key it owns, of keys 0..99. */
function keyed(id: string, meta: Partial<CheckMeta> = {}): LoadedCheck {
  const check = defineCheck({
    meta: {
      id,
      title: id,
      requires: [],
      codes: { bad: { severity: 'error', message: (d: { key?: string }) => `key ${d.key} is bad` } },
      ...meta,
    },
    async run(ctx) {
      const mine = shardFilter(ctx.shard);
      for (let k = 0; k < 100; k++) if (mine(String(k))) ctx.report({ code: 'bad', subject: { key: String(k) }, data: { key: String(k) } });
    },
  });
  return { check, source: 'test' };
}

const audit = (checks: LoadedCheck[], shard?: { index: number; count: number }, strays?: { unattributed: string[] }) =>
  auditInline(checks, { shard, strays });

describe('checks/lib/shard', () => {
  it('is the first 32 bits of MD5 on every machine, and a Redis key as bytes hashes like its text', () => {
    expect(keyHash('')).toBe(0xd41d8cd9); // md5('') = d41d8cd98f00b204e9800998ecf8427e (RFC 1321)
    expect(keyHash('a')).toBe(0x0cc175b9); // md5('a') = 0cc175b9c0f1b6a831c399e269772661
    expect(keyHash(Buffer.from('doc:9007199254740993'))).toBe(keyHash('doc:9007199254740993'));
  });

  it('says the same in SQL: no condition for a whole run; integer columns by value mod n, text by pattern then MD5', () => {
    expect(shardSql(undefined, { text: '"id"::text' })).toBeUndefined();
    expect(shardSql({ index: 0, count: 1 }, { integer: '"id"' })).toBeUndefined();
    expect(shardSql({ index: 2, count: 3 }, { integer: '"id"' })).toBe('((("id") % 3) + 3) % 3 = 2');
    expect(shardSql({ index: 2, count: 3 }, { text: 't' })).toContain(`(('x' || substr(md5(t), 1, 8))::bit(32)::bigint % 3)`);
  });

  it('an int64 key is its value mod n in every spelling a store gives it; other text is hashed', () => {
    expect([-7, -1, 0, 1, 2, 5].map((v) => shardOf(String(v), 3))).toEqual([2, 2, 0, 1, 2, 2]);
    expect(shardOf('9007199254740993', 3)).toBe(Number(9007199254740993n % 3n)); // 2^53 + 1: exact, not through a double
    expect(shardOf('-9223372036854775808', 3)).toBe(1);
    expect(shardOf('9223372036854775807', 3)).toBe(1);
    expect(shardOf('9223372036854775808', 3)).toBe(keyHash('9223372036854775808') % 3); // beyond int64: text
    expect(shardOf('042', 3)).toBe(keyHash('042') % 3); // not canonical: text
    expect(shardOf(Buffer.from('-7'), 3)).toBe(2); // a Redis key's bytes like its text
    expect(shardOf(Buffer.from('doc:7'), 3)).toBe(keyHash('doc:7') % 3);
  });

  it('puts every key in exactly one of n shards, spread evenly', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => (i % 2 ? `k-${i}'😀` : String(9007199254740992n + BigInt(i))));
    const filters = [0, 1, 2].map((index) => shardFilter({ index, count: 3 }));
    for (const k of keys) expect(filters.filter((f) => f(k)).length).toBe(1);
    const sizes = [0, 1, 2].map((i) => keys.filter((k) => shardOf(k, 3) === i).length);
    for (const n of sizes) expect(n).toBeGreaterThan(800);
  });
});

describe('--shard in the engine', () => {
  it('a shardable check splits its keys; one that is not runs whole in shard 0 and is skipped elsewhere', async () => {
    const checks = () => [keyed('split', { shardable: true }), keyed('whole')];
    const single = await audit(checks());
    const shards = [
      await audit(checks(), { index: 0, count: 3 }),
      await audit(checks(), { index: 1, count: 3 }),
      await audit(checks(), { index: 2, count: 3 }),
    ];
    const whole = shards.map((r) => r.checks.find((c) => c.id === 'whole')!);
    expect(whole.map((c) => c.status)).toEqual(['fail', 'skipped', 'skipped']);
    expect(whole[1].skipReason).toMatch(/shard 0 only/);
    expect(shards.map((r) => r.checks.find((c) => c.id === 'split')!.counts.error).reduce((a, b) => a + b)).toBe(100);
    expect(shards[1].shard).toEqual({ index: 1, count: 3 });

    const merged = mergeReports(shards);
    expect(merged.summary).toEqual(single.summary);
    for (const id of ['split', 'whole']) {
      const [m, s] = [merged, single].map((r) => r.checks.find((c) => c.id === id)!);
      expect(m.counts).toEqual(s.counts);
      expect(m.findings.map((f) => f.fingerprint).sort()).toEqual(s.findings.map((f) => f.fingerprint).sort());
    }
    expect(merged.exitCode).toBe(1);
  });

  it('--shard is validated like any run key', () => {
    const bad = (shard: string) =>
      resolveConfig({ stores: { redis: {} }, run: { shard } }, { baseDir: '/tmp', env: {} }).errors.map((e) => e.message);
    expect(bad('3/3')).toEqual([expect.stringMatching(/0 <= i < n/)]);
    expect(bad('one')).toEqual([expect.stringMatching(/must be i\/n/)]);
    const { config: ok } = resolveConfig({ stores: { redis: {} } }, { baseDir: '/tmp', env: { DBCHECK_SHARD: '2/4' } });
    expect(ok!.run.shard).toEqual({ index: 2, count: 4 });
  });
});

describe('merge refuses reports that are not the n shards of one run', () => {
  const shard = (index: number, count = 3) =>
    ({ shard: { index, count }, failOn: 'error', checks: [], summary: { unreachableStores: [] }, stores: [] }) as unknown as Report;
  it.each([
    [[shard(0), shard(1)], /missing shard 2\/3/],
    [[shard(0), shard(1), shard(1)], /both shard 1\/3/],
    [[shard(0), shard(1, 2)], /is of 3 shards/],
    [[{ ...shard(0), shard: undefined }], /not a shard's report/],
  ])('%#', (reports, message) => {
    expect(() =>
      mergeReports(
        reports as Report[],
        reports.map((_, i) => `r${i}.json`),
      ),
    ).toThrow(message);
  });
});

describe('baselines', () => {
  const f = (key: string, severity: Finding['severity'] = 'error'): Finding => ({
    checkId: 'c',
    code: 'bad',
    severity,
    message: `key ${key}`,
    fingerprint: key.padStart(16, '0'),
  });
  const check = (findings: Finding[], extra: Partial<CheckResult> = {}): CheckResult => ({
    id: 'c',
    title: 'c',
    status: 'fail',
    durationMs: 1,
    counts: { error: findings.length, warn: 0, info: 0 },
    countsByCode: { bad: findings.length },
    findings,
    truncated: false,
    stats: {},
    ...extra,
  });
  const report = (c: CheckResult): Report => ({
    schemaVersion: 1,
    tool: { name: 'dbcheck', version: '0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    failOn: 'error',
    exitCode: 1,
    summary: { checks: { pass: 0, fail: 1, error: 0, skipped: 0 }, findings: c.counts, unreachableStores: [] },
    stores: [],
    checks: [c],
  });

  it('a finding absent from a truncated baseline is unknown, not new; and it still fails --fail-on-new', () => {
    const now = report(check([f('1'), f('2')]));
    applyBaseline(now, report(check([f('1')], { truncated: true, counts: { error: 500, warn: 0, info: 0 } })), { failOnNew: true });
    expect(now.checks[0].findings.map((x) => x.baseline)).toEqual(['unknown', 'unchanged']); // possibly-new first
    expect(now.baseline).toMatchObject({ new: 0, unknown: 1, unchanged: 1 });
    expect(exitCodeFor(now)).toBe(1);
  });

  it('nothing is "resolved" when this run kept only N findings; findings beyond N fail --fail-on-new', () => {
    const now = report(check([f('1')], { truncated: true, counts: { error: 50, warn: 0, info: 0 } }));
    applyBaseline(now, report(check([f('1'), f('2')])), { failOnNew: true });
    expect(now.baseline!.resolved).toEqual([]);
    expect(now.baseline!.resolvedUnknown).toEqual([{ checkId: 'c', reason: expect.stringMatching(/--max-findings/) }]);
    expect(now.baseline!.notCompared).toBe(49);
    expect(exitCodeFor(now)).toBe(1);
  });

  it('unchanged findings alone pass --fail-on-new; warnings under --fail-on error never fail it', () => {
    const now = report(check([f('1'), f('9', 'warn')]));
    now.checks[0].counts = { error: 1, warn: 1, info: 0 };
    applyBaseline(now, report(check([f('1')])), { failOnNew: true });
    expect(now.baseline).toMatchObject({ new: 1, unchanged: 1, resolved: [] });
    expect(exitCodeFor(now)).toBe(0);
  });

  it('a baseline file that is not a JSON report is one clear error', () => {
    expect(() => readBaseline('/nonexistent/report.json')).toThrow(BaselineError);
    expect(() => readBaseline('/nonexistent/report.json')).toThrow(/cannot read it \(ENOENT\)/);
    expect(() => readBaseline('package.json')).toThrow(/not a dbcheck JSON report/);
  });
});

describe('runAudit records what went wrong outside the checks itself', () => {
  it('an uncaught error no check owns: in the summary and exit 3, for any caller of runAudit', async () => {
    const report = await audit([keyed('ok', { codes: { bad: { severity: 'info', message: () => 'x' } } })], undefined, {
      unattributed: ['uncaught error: boom'],
    });
    expect(report.summary.uncaughtErrors).toEqual(['uncaught error: boom']);
    expect(report.exitCode).toBe(3);
  });
});
