/**
 * CheckTester: runs one check through the real engine, against the real local servers (runCheck)
 * or in-memory Redis and Milvus (runCheckInMemory), one call at a time or as a table of cases.
 *
 *   const result = await runCheck(cacheDrift, { options: {...}, stores: ['redis', 'postgres'] });
 *   expect(result.countsByCode['stale-entry']).toBe(3);
 *
 *   testCheck(health, {
 *     valid: [{ name: 'a healthy Redis', fixture: { redis: {} } }],
 *     invalid: [{ name: 'evictions', fixture: { redis: { info: { evicted_keys: '3' } } }, codes: ['evictions'] }],
 *   });
 *
 * In the spirit of ESLint's RuleTester: a valid case must pass with no finding at all; an invalid
 * case must produce exactly the listed codes (and `counts`, when given), and a case expecting an
 * `error` must end with that error code. Every code a case lists must be declared by the check.
 * Each case is one test. Every run records the codes the check produced (produced-codes.ts).
 *
 * `options` is the check's config section (what a user would write under checks.<id>).
 */
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/engine/result.js';
import type { Check, Severity } from '../../src/plugin.js';
import type { MemoryFixture } from './memory-stores/index.js';
import { runCheck, type RunCheckOptions } from './run-check.js';
import { runCheckInMemory } from './run-check-in-memory.js';

export { runCheck, type RunCheckOptions } from './run-check.js';
export { runCheckInMemory, type InMemoryRun, type RunInMemoryOptions } from './run-check-in-memory.js';
export * from './memory-stores/index.js';

interface CaseBase {
  name: string;
  /** The check's config section; a function runs first (seed the real servers, then name what you made). */
  options?: Record<string, unknown> | (() => Promise<Record<string, unknown>>);
  severity?: Record<string, Severity | 'off'>;
  /** In-memory stores (memory tables). */
  fixture?: MemoryFixture;
  /** Store config overrides for the real servers (real tables), as runCheck takes them. */
  stores?: RunCheckOptions['stores'];
}

export type ValidCase = CaseBase;

export interface InvalidCase extends CaseBase {
  /** Exactly the codes the run must produce (order does not matter). */
  codes: string[];
  /** Exact counts per code, when the number matters. */
  counts?: Record<string, number>;
  /** The run must end in error with this code (e.g. 'CONFIG' from a preflight problem). */
  error?: string;
}

export interface CheckTable {
  /** 'memory' (default): in-memory Redis and Milvus, no servers; 'real': the local test servers. */
  stores?: 'memory' | 'real';
  valid?: ValidCase[];
  invalid?: InvalidCase[];
}

/** Produced codes of a result: those with a count above zero, sorted. */
export function producedCodes(result: CheckResult): string[] {
  return Object.entries(result.countsByCode)
    .filter(([, n]) => n > 0)
    .map(([c]) => c)
    .sort();
}

/** What a valid case must show: a pass with no finding and no error. Throws otherwise. */
export function expectValid(result: CheckResult): void {
  expect(result.error, 'a valid case ends without error').toBeUndefined();
  expect(producedCodes(result), 'a valid case produces no finding').toEqual([]);
  expect(result.status).toBe('pass');
}

/** What an invalid case must show: exactly its codes (and counts, error). Throws otherwise. */
export function expectInvalid(check: Check, c: Pick<InvalidCase, 'codes' | 'counts' | 'error'>, result: CheckResult): void {
  const declared = Object.keys(check.meta.codes);
  const undeclared = [...c.codes, ...Object.keys(c.counts ?? {})].filter((code) => !declared.includes(code));
  expect(undeclared, `codes the case lists but ${check.meta.id} does not declare`).toEqual([]);
  expect(c.codes.length > 0 || c.error !== undefined, 'an invalid case lists codes or an error').toBe(true);
  if (c.error !== undefined) expect(result.error?.code, result.error?.message).toBe(c.error);
  else expect(result.error, 'the run ends without error').toBeUndefined();
  expect(producedCodes(result)).toEqual([...new Set(c.codes)].sort());
  for (const [code, n] of Object.entries(c.counts ?? {})) expect(result.countsByCode[code] ?? 0, code).toBe(n);
}

/** Declares one test per case (call it inside or outside a describe). */
export function testCheck(check: Check, table: CheckTable): void {
  const run = async (c: CaseBase): Promise<CheckResult> => {
    const options = typeof c.options === 'function' ? await c.options() : c.options;
    if (table.stores === 'real') return runCheck(check, { options, severity: c.severity, stores: c.stores });
    return (await runCheckInMemory(check, c.fixture ?? {}, { options, severity: c.severity })).result;
  };
  describe(`${check.meta.id} (${table.stores ?? 'memory'} stores)`, () => {
    for (const c of table.valid ?? []) it(`valid: ${c.name}`, async () => expectValid(await run(c)));
    for (const c of table.invalid ?? []) it(`invalid: ${c.name}`, async () => expectInvalid(check, c, await run(c)));
  });
}
