/**
 * src/plugin.ts: defineCheck types `ctx.stores` by meta.requires and `ctx.report` by meta.codes.
 * The `@ts-expect-error` lines are the compile-time half: `npm run typecheck` fails if a required
 * store became optional again, or an undeclared code or a store not in `requires` type-checked.
 * The runtime half: a plain-object plugin (no types) still has its undeclared code rejected.
 */
import { describe, expect, it } from 'vitest';
import { FindingCollector, UndeclaredCodeError } from '../../src/engine/findings.js';
import { defineCheck, type Check, type CheckContext } from '../../src/plugin.js';

const typed = defineCheck({
  meta: {
    id: 'acme/typed',
    title: 'Typed',
    requires: ['postgres'],
    codes: { 'row-missing': { severity: 'error', message: (d) => `row ${d.id} missing` } },
  },
  async run(ctx) {
    // Required: present without `!`.
    await ctx.stores.postgres.query('SELECT 1', [], { signal: ctx.signal });
    // @ts-expect-error Milvus is not in requires: it may be absent.
    await ctx.stores.milvus.describeCollection('c');
    ctx.report({ code: 'row-missing', data: { id: 1 } });
    // @ts-expect-error 'row-gone' is not a declared code.
    ctx.report({ code: 'row-gone', data: { id: 1 } });
  },
});

// A helper of a check states the stores it needs; a context without them does not fit.
async function helper(ctx: CheckContext<unknown, 'postgres'>): Promise<void> {
  await ctx.stores.postgres.query('SELECT 1', [], { signal: ctx.signal });
}
declare const untyped: CheckContext;
// @ts-expect-error A context that does not guarantee Postgres cannot be passed where it is required.
void (() => helper(untyped));

// A third-party JS plugin: a plain object, no defineCheck, reporting a code it never declared.
const plain = {
  meta: { id: 'acme/plain', title: 'Plain', requires: ['postgres'], codes: { known: { severity: 'warn', message: () => 'known' } } },
  async run() {},
} as unknown as Check;

describe('the check contract', () => {
  it('defineCheck returns the check itself (the engine sees a plain Check)', () => {
    expect(typed.meta.id).toBe('acme/typed');
    expect(typed.meta.requires).toEqual(['postgres']);
    expect(Object.keys(typed.meta.codes)).toEqual(['row-missing']);
  });

  it('an undeclared code from an untyped plugin is still rejected at run time', () => {
    const c = new FindingCollector(plain, {}, 10);
    c.report({ code: 'known' });
    expect(() => c.report({ code: 'unknown' })).toThrow(UndeclaredCodeError);
    expect(c.countsByCode).toEqual({ known: 1 });
  });
});
