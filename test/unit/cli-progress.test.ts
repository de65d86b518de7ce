import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../../src/cli/progress.js';
import { fitWidth, ProgressModel } from '../../src/cli/progress-model.js';
import { PlainProgress } from '../../src/cli/progress-plain.js';
import { TtyProgress } from '../../src/cli/progress-tty.js';
import type { ProgressEvent } from '../../src/engine/run.js';

const ESC = '\x1b[';

/** A stream that records what is written, with a terminal width. */
function fakeTty(columns: number) {
  const writes: string[] = [];
  return { writes, columns, isTTY: true, write: (s: string) => writes.push(s), text: () => writes.join('') };
}

/**
 * The few terminal sequences the TTY printer uses (\r, \n, cursor up, erase down), applied to a
 * screen of rows: what a user would see after all the writes. Any other escape fails the test.
 */
function screen(output: string, columns: number): string[] {
  const rows: string[] = [''];
  let row = 0;
  let col = 0;
  for (let i = 0; i < output.length; i++) {
    const ch = output[i];
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row++;
      col = 0;
      if (rows.length <= row) rows.push('');
    } else if (ch === '\x1b') {
      const m = /^\x1b\[(\d*)([AJ])/.exec(output.slice(i));
      if (!m) throw new Error(`unexpected escape sequence at ${i}: ${JSON.stringify(output.slice(i, i + 8))}`);
      if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1));
      else {
        rows.length = row + 1;
        rows[row] = rows[row].slice(0, col);
      }
      i += m[0].length - 1;
    } else {
      if (col >= columns) throw new Error(`line wider than the terminal (${columns}): ${rows[row]}`);
      rows[row] = rows[row].padEnd(col).slice(0, col) + ch + rows[row].slice(col + 1);
      col++;
    }
  }
  return rows.filter((r, i) => r !== '' || i < rows.length - 1);
}

const start = (checkId: string): ProgressEvent => ({ type: 'check-start', checkId });
const step = (checkId: string, done: number, total?: number, note?: string): ProgressEvent => ({
  type: 'check-progress',
  checkId,
  progress: { done, total, note },
});
const end = (checkId: string, status: 'pass' | 'fail' | 'error', durationMs: number) =>
  ({ type: 'check-end', checkId, result: { status, durationMs } }) as unknown as ProgressEvent;

describe('progress model', () => {
  it('done/total with percent, rate over the window and time left', () => {
    let now = 0;
    const model = new ProgressModel(() => now);
    model.start('orphan-scan');
    model.update('orphan-scan', { done: 0, total: 1_000_000 });
    now = 2000;
    model.update('orphan-scan', { done: 200_000, total: 1_000_000, note: 'relation chunks' });
    const [c] = model.running();
    expect(model.rate(c)).toBe(100_000);
    expect(model.eta(c)).toBe(8000);
    expect(model.line(c, 200)).toBe('orphan-scan  2s  200,000/1,000,000 (20%)  100,000/s  8s left  relation chunks');
  });

  it('no rate before a second has passed, no percent or time left past an estimated total', () => {
    let now = 0;
    const model = new ProgressModel(() => now);
    model.start('x');
    now = 400;
    model.update('x', { done: 50, total: 100 });
    expect(model.line(model.running()[0], 200)).toBe('x  0s  50/100 (50%)');
    now = 5000;
    model.update('x', { done: 150, total: 100 }); // planner estimate was low
    expect(model.line(model.running()[0], 200)).toBe('x  5s  150  30/s');
  });

  it('a phase restarting from 0 starts a new rate; an ended check is forgotten', () => {
    let now = 0;
    const model = new ProgressModel(() => now);
    model.start('x');
    now = 10_000;
    model.update('x', { done: 1_000_000 });
    model.update('x', { done: 0, note: 'phase 2' });
    now = 12_000;
    model.update('x', { done: 20 });
    expect(model.rate(model.running()[0])).toBe(10);
    model.end('x');
    model.update('x', { done: 5 }); // a late event after the end
    expect(model.running()).toEqual([]);
  });

  it('the sample window stays bounded however many updates arrive', () => {
    let now = 0;
    const model = new ProgressModel(() => now);
    model.start('x');
    for (let i = 1; i <= 100_000; i++) {
      now = i * 10;
      model.update('x', { done: i });
    }
    expect(model.running()[0].samples.length).toBeLessThanOrEqual(42);
    expect(model.rate(model.running()[0])).toBe(100);
  });

  it('cuts to the width in columns: wide characters count two, combining marks none', () => {
    expect(fitWidth('abcdef', 6)).toBe('abcdef');
    expect(fitWidth('abcdefg', 6)).toBe('abcde…');
    expect(fitWidth('表表表表', 6)).toBe('表表…');
    expect(fitWidth('e\u0301e\u0301e\u0301', 3)).toBe('e\u0301e\u0301e\u0301');
  });
});

describe('TTY progress', () => {
  it('one line per running check, redrawn in place; ended checks leave one permanent line', () => {
    let now = 0;
    const tty = fakeTty(80);
    const p = new TtyProgress(tty, { now: () => now, timer: false });
    p.onEvent(start('reference-integrity'));
    p.onEvent(start('orphan-scan'));
    p.onEvent(step('reference-integrity', 10, 100, 'mapping chunks'));
    now = 3000;
    p.onEvent(step('reference-integrity', 40, 100, 'mapping chunks'));
    p.redraw();
    // The redraw goes back up over the two live lines and erases them before drawing again.
    expect(tty.writes.at(-1)!.startsWith(`\r${ESC}2A${ESC}J`)).toBe(true);
    // 40 done in the 3 s since the start: 13/s, and the 60 left take 5 s more.
    expect(screen(tty.text(), 80)).toEqual([
      expect.stringMatching(/^. reference-integrity {2}3s {2}40\/100 \(40%\) {2}13\/s {2}5s left {2}mapping chunks$/),
      expect.stringMatching(/^. orphan-scan {2}3s$/),
    ]);
    now = 4200;
    p.onEvent(end('orphan-scan', 'pass', 4200));
    expect(screen(tty.text(), 80)).toEqual(['✔ orphan-scan pass in 4.2s', expect.stringMatching(/^. reference-integrity {2}4s/)]);
    p.onEvent(end('reference-integrity', 'fail', 65_000));
    p.stop();
    expect(screen(tty.text(), 80)).toEqual(['✔ orphan-scan pass in 4.2s', '✖ reference-integrity fail in 1m 05s']);
  });

  it('lines never wider than the terminal (the redraw would leave debris), at 40 columns', () => {
    const tty = fakeTty(40);
    const p = new TtyProgress(tty, { timer: false });
    p.onEvent(start('cache-drift'));
    p.onEvent(step('cache-drift', 123_456, 9_876_543, 'mapping with a rather long name: user:{id} keys in db 0'));
    p.redraw();
    p.onEvent(start('orphan-scan'));
    p.redraw();
    const rows = screen(tty.text(), 40); // throws if a line reaches the last column
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^. cache-drift .*…$/);
    expect(Math.max(...rows.map((r) => r.length))).toBe(39);
  });

  it('store text in a note is shown escaped: it cannot clear the screen or move the cursor', () => {
    const tty = fakeTty(120);
    const p = new TtyProgress(tty, { timer: false });
    p.onEvent(start('orphan-scan'));
    p.onEvent(step('orphan-scan', 1, undefined, 'table \x1b[2Jevil\x1b]0;title\x07\u202e'));
    p.redraw();
    p.log('debug: key \x1b[31mred');
    const rows = screen(tty.text(), 120); // an unexpected escape sequence throws
    expect(rows[0]).toBe('debug: key \\x1b[31mred');
    expect(rows[1]).toContain('table \\x1b[2Jevil\\x1b]0;title\\x07\\u202e');
  });
});

describe('plain progress', () => {
  it('a line at start and end, and one per running check each tick; no escape sequences', () => {
    let now = 0;
    const out = fakeTty(80);
    const p = new PlainProgress(out, { now: () => now, timer: false });
    p.onEvent(start('cache-drift'));
    p.onEvent(step('cache-drift', 0, 500));
    now = 10_000;
    p.onEvent(step('cache-drift', 100, 500, 'mapping users'));
    p.tick();
    p.onEvent(end('cache-drift', 'pass', 12_000));
    p.tick(); // nothing running: no line
    p.stop();
    expect(out.text()).toBe(
      [
        'dbcheck progress: cache-drift started',
        'dbcheck progress: cache-drift  10s  100/500 (20%)  10/s  40s left  mapping users',
        'dbcheck progress: ✔ cache-drift pass in 12s',
        '',
      ].join('\n'),
    );
  });
});

describe('--progress mode', () => {
  const pipe = { write: () => true, isTTY: false };
  const term = { write: () => true, isTTY: true, columns: 80 };
  const make = (...args: Parameters<typeof progressPrinter>) => {
    const p = progressPrinter(...args);
    p?.stop();
    return p?.constructor.name ?? 'none';
  };

  it('auto: live lines on a terminal, plain lines on a dumb terminal, nothing on a pipe', () => {
    expect(make('auto', term, {})).toBe('TtyProgress');
    expect(make('auto', term, { TERM: 'dumb' })).toBe('PlainProgress');
    expect(make('auto', pipe, {})).toBe('none');
  });

  it('plain, tty and off are taken as asked', () => {
    expect(make('plain', pipe, {})).toBe('PlainProgress');
    expect(make('tty', pipe, {})).toBe('TtyProgress');
    expect(make('off', term, {})).toBe('none');
  });
});
