import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { applyConsistency } from '../../src/report/consistency.js';
import { fitTable, visibleWidth, wrap } from '../../src/report/fit.js';
import { renderTable } from '../../src/report/table.js';
import { sampleReport } from '../helpers/sample-report.js';

const widest = (text: string) => Math.max(...text.split('\n').map(visibleWidth));

describe('the table fits the terminal (issue 16.6)', () => {
  for (const width of [80, 120]) {
    for (const color of [false, true]) {
      it(`at ${width} columns${color ? ', in colour,' : ''} no line is wider, and every value is still there`, () => {
        const report = applyConsistency(sampleReport({ hostile: true }), 99.99);
        const text = renderTable(report, { color, width });
        expect(widest(text)).toBeLessThanOrEqual(width);
        const plain = stripVTControlCharacters(text).replace(/\s+/g, '');
        // The Stores and reference-integrity sections turned vertical: each cell is still shown.
        for (const value of [
          'postgres://auditor@db-primary.internal.example.com:5432/application_production',
          'allkeys-lru',
          '999990',
          '999963',
          '2026-11-30T00:31:02.456Z',
        ]) {
          expect(plain).toContain(value.replace(/\s+/g, ''));
        }
        expect(plain).toContain('99.9963%consistent(37of1,000,000keysinconsistent)');
      });
    }
  }

  it('without a width (a file or a pipe) the sections stay box tables, wider than 120', () => {
    const text = renderTable(sampleReport(), { color: false });
    expect(widest(text)).toBeGreaterThan(120);
    expect(text).toMatch(/│ postgres │ postgres:\/\/auditor@/);
  });

  it('a table that fits stays a box table; one that does not first drops its empty columns', () => {
    const head = ['a', 'b', 'c'];
    expect(fitTable(head, [['1', '2', '3']], 80).join('\n')).toContain('│ 1 │ 2 │ 3 │');
    const rows = [['x'.repeat(30), '', 'y'.repeat(30)]];
    const narrowed = fitTable(head, rows, 70);
    expect(narrowed.join('\n')).toContain(`│ ${'x'.repeat(30)} │ ${'y'.repeat(30)} │`);
    expect(narrowed.join('\n')).not.toContain('│ b');
    const vertical = fitTable(head, rows, 40);
    expect(vertical).toEqual([`a ${'x'.repeat(30)}`, `  c  ${'y'.repeat(30)}`]);
  });

  it('wraps at a space in the last third of the line, else cuts, and never loses a character', () => {
    const text = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu';
    const lines = wrap(text, 30, '> ', '  ');
    expect(lines.every((l) => visibleWidth(l) <= 30)).toBe(true);
    expect(lines.map((l) => l.slice(2)).join(' ')).toBe(text);
    const long = 'z'.repeat(75);
    expect(wrap(long, 30).join('')).toBe(long);
  });
});
