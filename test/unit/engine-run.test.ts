/**
 * The engine's run of one check, without servers, through the in-memory tester: timeouts (a check
 * that stops, one that ignores its signal), what survives a failure (findings, stats), the finding
 * budget, severity overrides, undeclared codes, and a preflight that finds a config mistake on
 * in-memory Milvus (the scan never runs).
 */
import { describe, expect, it } from 'vitest';
import { defineCheck, type Check } from '../../src/plugin.js';
import { type MemoryMilvus, runCheckInMemory } from '../helpers/check-tester.js';

const codes = {
  lost: { severity: 'error' as const, message: (d: { n?: unknown }) => `lost ${d.n}` },
  odd: { severity: 'warn' as const, message: (d: { n?: unknown }) => `odd ${d.n}` },
};

function check(run: Check['run'], extra: Partial<Check> = {}): Check {
  return defineCheck({ meta: { id: 'inline', title: 'Inline', requires: [], codes }, run, ...extra });
}

describe('timeouts', () => {
  it('a check that outlives its timeout ends in error TIMEOUT, partial, exit 3, keeping what it reported', async () => {
    const slow = check(async (ctx) => {
      ctx.report({ code: 'odd', data: { n: 1 } });
      ctx.stats.pages = 1;
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    });
    const { result, report } = await runCheckInMemory(slow, {}, { timeoutMs: 50 });
    expect(result).toMatchObject({
      status: 'error',
      partial: true,
      error: { code: 'TIMEOUT' },
      countsByCode: { odd: 1 },
      stats: { pages: 1 },
    });
    expect(report.exitCode).toBe(3);
  });

  it('a check that ignores its signal is abandoned soon after the timeout, not waited for', async () => {
    let release!: () => void;
    const stuck = check(() => new Promise<void>((resolve) => (release = resolve)));
    const { result } = await runCheckInMemory(stuck, {}, { timeoutMs: 50 });
    release();
    expect(result).toMatchObject({ status: 'error', error: { code: 'TIMEOUT' } });
  });
});

describe('the check entry', () => {
  it('carries meta.description into the report (valid by the report schema); none when the check has none', async () => {
    const { reportSchema } = await import('../../src/report/schema.js');
    const described = defineCheck({
      meta: { id: 'inline', title: 'Inline', description: 'What this check looks at.', requires: [], codes },
      run: async () => {},
    });
    const { result, report } = await runCheckInMemory(described, {});
    expect(result.description).toBe('What this check looks at.');
    expect(reportSchema.safeParse(report).success).toBe(true);
    expect(
      (
        await runCheckInMemory(
          check(async () => {}),
          {},
        )
      ).result,
    ).not.toHaveProperty('description');
  });
});

describe('findings', () => {
  it('the finding budget keeps errors over warnings; counts stay exact', async () => {
    const many = check(async (ctx) => {
      for (let n = 0; n < 5; n++) ctx.report({ code: 'odd', data: { n } });
      ctx.report({ code: 'lost', data: { n: 99 } });
    });
    const { result } = await runCheckInMemory(many, {}, { maxFindings: 3 });
    expect(result.counts).toEqual({ error: 1, warn: 5, info: 0 });
    expect(result.truncated).toBe(true);
    expect(result.findings.map((f) => f.message)).toEqual(['lost 99', 'odd 0', 'odd 1']);
  });

  it('severity overrides from config change the status: a warning raised to error fails, an error turned off passes', async () => {
    const one = check(async (ctx) => ctx.report({ code: 'odd', data: { n: 1 } }));
    expect((await runCheckInMemory(one, {})).result.status).toBe('pass');
    expect((await runCheckInMemory(one, {}, { severity: { odd: 'error' } })).result).toMatchObject({
      status: 'fail',
      counts: { error: 1 },
    });
    expect((await runCheckInMemory(one, {}, { failOn: 'warn' })).report.exitCode).toBe(1);
    const lost = check(async (ctx) => ctx.report({ code: 'lost' }));
    expect((await runCheckInMemory(lost, {}, { severity: { lost: 'off' } })).result).toMatchObject({ status: 'pass', countsByCode: {} });
  });

  it("an undeclared code is the check's bug: internal error naming the code, never a crash of the run", async () => {
    const buggy = check(async (ctx) => ctx.report({ code: 'typo' }));
    const { result, report } = await runCheckInMemory(buggy, {});
    expect(result.error).toEqual({
      code: 'INTERNAL',
      message: 'internal error: finding code "typo" is not declared in meta.codes',
    });
    expect(report.exitCode).toBe(3);
  });
});

describe('preflight on in-memory Milvus', () => {
  const needsCollection = defineCheck({
    meta: { id: 'needs-collection', title: 'Needs a collection', requires: ['milvus'], codes },
    async preflight(ctx) {
      for (const name of ['docs', 'chunks']) {
        try {
          const info = await ctx.stores.milvus!.describeCollection(name);
          if (!info.fields.some((f) => f.name === 'doc_id'))
            ctx.problem({ path: `collections.${name}`, message: `${name} has no field doc_id` });
        } catch (err) {
          if ((err as { code?: string }).code !== 'STORE_MISSING_OBJECT') throw err;
          ctx.problem({ path: `collections.${name}`, message: (err as Error).message });
        }
      }
    },
    async run(ctx) {
      for await (const page of ctx.stores.milvus!.scan('docs')) for (const row of page) ctx.report({ code: 'lost', data: { n: row.id } });
    },
  });

  it('every problem is kept, the check ends CONFIG (exit 2), and only describes were sent', async () => {
    const { result, report, stores } = await runCheckInMemory(needsCollection, {
      milvus: { collections: { docs: { fields: { id: 'Int64' }, rows: [{ id: 1 }] } } },
    });
    expect(result.configProblems).toEqual([
      { path: 'collections.docs', message: 'docs has no field doc_id' },
      { path: 'collections.chunks', message: 'Milvus collection chunks does not exist' },
    ]);
    expect(result).toMatchObject({
      status: 'error',
      error: { code: 'CONFIG', message: 'collections.docs: docs has no field doc_id (and 1 more)' },
    });
    expect(report.exitCode).toBe(2);
    expect((stores.handles.milvus as MemoryMilvus).calls).toEqual(['describeCollection', 'describeCollection']);
  });

  it('with the collections right, the scan runs', async () => {
    const both = { fields: { id: 'Int64', doc_id: 'VarChar' }, rows: [{ id: 1, doc_id: 'a' }] };
    const { result } = await runCheckInMemory(needsCollection, { milvus: { collections: { docs: both, chunks: both } } });
    expect(result).toMatchObject({ status: 'fail', countsByCode: { lost: 1 } });
  });
});
