/**
 * src/engine/findings.ts: with --max-findings N the kept N are the most severe (then report order),
 * so warnings never push errors out of the report; counts stay exact.
 */
import { describe, expect, it } from 'vitest';
import { FindingCollector } from '../../src/engine/findings.js';
import type { Check } from '../../src/plugin.js';

const check: Check = {
  meta: {
    id: 'acme/mixed',
    title: 'Mixed',
    requires: [],
    codes: {
      bad: { severity: 'error', message: (d) => `bad ${d.n}` },
      meh: { severity: 'warn', message: (d) => `meh ${d.n}` },
      fyi: { severity: 'info', message: (d) => `fyi ${d.n}` },
    },
  },
  async run() {},
};

const messages = (c: FindingCollector) => c.findings.map((f) => f.message);

describe('FindingCollector: which N findings are kept', () => {
  it('150 warnings then 9 errors (the Flyway case): all 9 errors kept, first, counts exact', () => {
    const c = new FindingCollector(check, {}, 100);
    for (let n = 0; n < 150; n++) c.report({ code: 'meh', data: { n } });
    for (let n = 0; n < 9; n++) c.report({ code: 'bad', data: { n } });
    expect(c.findings).toHaveLength(100);
    expect(messages(c).slice(0, 9)).toEqual([...Array(9).keys()].map((n) => `bad ${n}`));
    // The warnings kept are the first 91 in report order.
    expect(messages(c).slice(9)).toEqual([...Array(91).keys()].map((n) => `meh ${n}`));
    expect(c.counts).toEqual({ error: 9, warn: 150, info: 0 });
    expect(c.countsByCode).toEqual({ meh: 150, bad: 9 });
    expect(c.truncated).toBe(true);
  });

  it('info goes before warnings, and a finding of the same severity never displaces one', () => {
    const c = new FindingCollector(check, {}, 3);
    c.report({ code: 'fyi', data: { n: 1 } });
    c.report({ code: 'meh', data: { n: 1 } });
    c.report({ code: 'fyi', data: { n: 2 } });
    c.report({ code: 'bad', data: { n: 1 } }); // displaces fyi 2 (the latest info)
    c.report({ code: 'meh', data: { n: 2 } }); // displaces fyi 1
    c.report({ code: 'meh', data: { n: 3 } }); // full of warn/error: dropped
    c.report({ code: 'fyi', data: { n: 3 } }); // dropped
    expect(messages(c)).toEqual(['bad 1', 'meh 1', 'meh 2']);
    expect(c.counts).toEqual({ error: 1, warn: 3, info: 3 });
  });

  it('under the limit everything is kept, sorted errors, warnings, info; a severity override counts', () => {
    const c = new FindingCollector(check, { fyi: 'error', meh: 'off' }, 10);
    c.report({ code: 'meh', data: { n: 1 } });
    c.report({ code: 'fyi', data: { n: 1 } });
    c.report({ code: 'bad', data: { n: 2 } });
    expect(c.findings.map((f) => [f.severity, f.message])).toEqual([
      ['error', 'fyi 1'],
      ['error', 'bad 2'],
    ]);
    expect(c.truncated).toBe(false);
  });

  it('--max-findings 0 keeps nothing and still counts', () => {
    const c = new FindingCollector(check, {}, 0);
    c.report({ code: 'bad', data: { n: 1 } });
    expect(c.findings).toEqual([]);
    expect(c.counts.error).toBe(1);
  });
});
