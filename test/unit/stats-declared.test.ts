/**
 * Declared stats (src/stats.ts): `meta.stats` types `ctx.stats` (this file is typechecked by
 * `tsc --noEmit -p .`, so each `@ts-expect-error` below fails the build if the mistake compiles),
 * travels in a sharded run's report, and decides how `dbcheck merge` combines each stat.
 */
import { describe, expect, it } from 'vitest';
import { validateCheck } from '../../src/engine/load-checks.js';
import { mergeReports } from '../../src/engine/merge.js';
import type { Report } from '../../src/engine/result.js';
import { addStat, type Check, defineCheck, fact, maxStat, perName } from '../../src/plugin.js';
import { reportSchema } from '../../src/report/schema.js';
import { shardFilter } from '../../checks/lib/shard.js';
import { auditInline } from '../helpers/inline-audit.js';

/** A third-party check: 100 keys split by shard; each shard records its own work. */
const acme = defineCheck({
  meta: {
    id: 'acme/rows',
    title: 'rows',
    requires: [],
    shardable: true,
    codes: { odd: { severity: 'info', message: () => 'odd' } },
    stats: {
      rowsScanned: 'sum',
      slowestMs: 'max',
      lastKey: 'text',
      tables: perName({ rows: 'sum' }),
      server: fact<{ version: string }>(),
    },
  },
  async run(ctx) {
    const mine = shardFilter(ctx.shard);
    ctx.stats.server = { version: '16.4' };
    for (let k = 0; k < 100; k++) {
      if (!mine(String(k))) continue;
      addStat(ctx.stats, 'rowsScanned');
      maxStat(ctx.stats, 'slowestMs', k);
      addStat(((ctx.stats.tables ??= {}).docs ??= {}), 'rows');
      ctx.stats.lastKey = String(k);
    }
    // Undeclared: reached through the untyped view, merged only when every shard agrees.
    (ctx.stats as Record<string, unknown>).shardIndex = ctx.shard?.index ?? 0;
    if (false as boolean) {
      // @ts-expect-error a misspelt stat does not compile
      ctx.stats.rowScanned = 1;
      // @ts-expect-error a counter is a number
      ctx.stats.rowsScanned = '1';
      // @ts-expect-error addStat takes counters only, not text
      addStat(ctx.stats, 'lastKey');
      // @ts-expect-error a fact has the type it was declared with
      ctx.stats.server = { version: 16 };
      // @ts-expect-error perName entries are typed too
      addStat(ctx.stats.tables!.docs, 'row');
    }
  },
});

/** The same check as a plain object: no declaration, the untyped bag of old. */
const plain: Check = {
  meta: { ...acme.meta, id: 'acme/plain', stats: undefined },
  async run(ctx) {
    const mine = shardFilter(ctx.shard);
    let n = 0;
    for (let k = 0; k < 100; k++) if (mine(String(k))) n++;
    ctx.stats.rowsScanned = n; // any name compiles
  },
};

/** Runs the checks one at a time through the engine. */
const audit = (checks: Check[], shard?: { index: number; count: number }) =>
  auditInline(
    checks.map((check) => ({ check: validateCheck(check, 'test'), source: 'test' })),
    { shard, concurrency: 1 },
  );

describe('declared stats through the engine and `dbcheck merge`', () => {
  it('a merge of three shards sums the declared sums, keeps the largest max, drops an undeclared number that differs', async () => {
    const single = (await audit([acme])).checks[0];
    expect(single.stats).toEqual({
      server: { version: '16.4' },
      rowsScanned: 100,
      slowestMs: 99,
      tables: { docs: { rows: 100 } },
      lastKey: '99',
      shardIndex: 0,
    });
    expect(single.statRules).toBeUndefined(); // an unsharded report is as it was

    const shards = await Promise.all([0, 1, 2].map((index) => audit([acme, plain], { index, count: 3 })));
    expect(shards[1].checks.find((c) => c.id === 'acme/rows')!.statRules).toEqual(acme.meta.stats);
    for (const r of shards) expect(reportSchema.safeParse(JSON.parse(JSON.stringify(r))).error?.issues ?? []).toEqual([]);

    // As `dbcheck merge` reads them: JSON only, no check loaded.
    const merged = mergeReports(shards.map((r) => JSON.parse(JSON.stringify(r)) as Report));
    const stats = merged.checks.find((c) => c.id === 'acme/rows')!.stats;
    expect(stats.rowsScanned).toBe(100);
    expect(stats.slowestMs).toBe(99);
    expect(stats.tables).toEqual({ docs: { rows: 100 } });
    expect(stats.server).toEqual({ version: '16.4' });
    expect(stats.shardIndex).toBeUndefined();
    expect(stats.unmerged).toEqual(['shardIndex']);
  });

  it('a plain-object check without meta.stats: no rules in its report, a number that differs is never summed', async () => {
    // 100 keys in 3 shards: the shards cannot all count the same.
    const shards = await Promise.all([0, 1, 2].map((index) => audit([plain], { index, count: 3 })));
    expect(shards[0].checks[0].statRules).toBeUndefined();
    expect(shards.map((r) => r.checks[0].stats.rowsScanned as number).reduce((a, b) => a + b)).toBe(100);
    expect(mergeReports(shards).checks[0].stats).toEqual({ unmerged: ['rowsScanned'] });
  });

  it('stats recorded before a check throws are kept in its result', async () => {
    const failing = defineCheck({
      meta: {
        id: 'acme/fails',
        title: 'fails',
        requires: [],
        codes: { x: { severity: 'info', message: () => 'x' } },
        stats: { pages: 'sum' },
      },
      async run(ctx) {
        addStat(ctx.stats, 'pages', 3);
        throw new Error('lost the connection');
      },
    });
    const r = (await audit([failing])).checks[0];
    expect(r.status).toBe('error');
    expect(r.stats).toEqual({ pages: 3 });
  });

  it('a declaration that is not one fails to load, in one line naming the stat', () => {
    const bad = (stats: unknown) => () => validateCheck({ ...plain, meta: { ...plain.meta, stats } }, 'plugins/acme.mjs');
    expect(bad({ rows: 'total' })).toThrow(
      /^plugin plugins\/acme.mjs: check acme\/plain: stats.rows: "total" is not one of sum, max, min, same/,
    );
    expect(bad({ tables: { '*': { rows: 3 } } })).toThrow(/stats.tables\[name\].rows: 3 is not one of/);
    expect(bad({ '*': 'sum', rows: 'sum' })).toThrow(/perName\(...\) cannot sit beside other stats/);
    expect(bad([])).toThrow(/stats must be an object of stats$/);
  });
});
