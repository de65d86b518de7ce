/**
 * What the progress display knows about each running check: its latest done/total/note, when it
 * started, and a short window of (time, done) samples for the rate and the time left. Pure data
 * and formatting; the TTY and plain printers (progress-tty.ts, progress-plain.ts) decide when to
 * write. Memory stays flat: a bounded sample window per running check, nothing kept once it ends.
 */
import type { CheckResult } from '../engine/result.js';
import type { ProgressEvent } from '../engine/run.js';
import type { CheckProgress } from '../plugin.js';
import { escapeControl } from '../report/escape.js';

/** The rate is measured over the last RATE_WINDOW_MS: recent enough to follow a slowdown. */
const RATE_WINDOW_MS = 20_000;
/** At most one sample per SAMPLE_EVERY_MS, so a check reporting every row costs nothing here. */
const SAMPLE_EVERY_MS = 500;

/** What the CLI drives: the live terminal display (progress-tty.ts) or the log lines (progress-plain.ts). */
export interface ProgressPrinter {
  onEvent(e: ProgressEvent): void;
  /** A line (e.g. --verbose) written so that it does not break the live display. */
  log(line: string): void;
  /** Stops the timer and clears the live lines. */
  stop(): void;
}

export interface RunningCheck {
  id: string;
  startedAt: number;
  done: number;
  /** When `done` was last reported. */
  updatedAt: number;
  total?: number;
  note?: string;
  /** (time, done) pairs, oldest first, spanning at most RATE_WINDOW_MS. */
  samples: Array<{ at: number; done: number }>;
}

export class ProgressModel {
  private readonly checks = new Map<string, RunningCheck>();

  constructor(private readonly now: () => number = Date.now) {}

  start(id: string): void {
    const at = this.now();
    this.checks.set(id, { id, startedAt: at, done: 0, updatedAt: at, samples: [{ at, done: 0 }] });
  }

  update(id: string, p: CheckProgress): void {
    const c = this.checks.get(id);
    if (!c) return; // progress after the end (a late timer in a check): nothing to show
    const at = this.now();
    // A new phase restarting its count from 0 makes the old samples meaningless for the rate.
    if (p.done < c.done) c.samples = [];
    c.done = p.done;
    c.updatedAt = at;
    c.total = p.total;
    if (p.note !== undefined) c.note = p.note;
    const last = c.samples[c.samples.length - 1];
    if (!last || at - last.at >= SAMPLE_EVERY_MS) c.samples.push({ at, done: p.done });
    while (c.samples.length > 2 && at - c.samples[0].at > RATE_WINDOW_MS) c.samples.shift();
  }

  /** Forgets the check: nothing is kept once it ends. */
  end(id: string): void {
    this.checks.delete(id);
  }

  running(): RunningCheck[] {
    return [...this.checks.values()];
  }

  /** Items per second from the oldest sample in the window to the latest count; undefined under 1 s. */
  rate(c: RunningCheck): number | undefined {
    const first = c.samples[0];
    if (!first || c.updatedAt - first.at < 1000) return undefined;
    return ((c.done - first.done) * 1000) / (c.updatedAt - first.at);
  }

  /** Milliseconds left at the current rate, when there is a total not yet passed and a rate. */
  eta(c: RunningCheck): number | undefined {
    const rate = this.rate(c);
    if (c.total === undefined || c.done > c.total || !rate || rate <= 0) return undefined;
    return ((c.total - c.done) / rate) * 1000;
  }

  /**
   * One line for a running check, at most `width` columns: id, elapsed, done/total (percent),
   * rate, time left, note. Store text in the note is escaped: it never drives the terminal.
   */
  line(c: RunningCheck, width: number, prefix = ''): string {
    const parts = [`${prefix}${c.id}`, duration(this.now() - c.startedAt)];
    if (c.total !== undefined && c.done <= c.total) {
      const pct = c.total > 0 ? Math.floor((c.done / c.total) * 100) : 100;
      parts.push(`${count(c.done)}/${count(c.total)} (${pct}%)`);
    } else if (c.done > 0 || c.total !== undefined) {
      // Past an estimated total (planner statistics lag): the count alone, no made-up percent.
      parts.push(count(c.done));
    }
    const rate = this.rate(c);
    if (rate !== undefined && c.done > 0) parts.push(`${count(Math.round(rate))}/s`);
    const eta = this.eta(c);
    if (eta !== undefined) parts.push(`${duration(eta)} left`);
    if (c.note) parts.push(escapeControl(c.note));
    return fitWidth(parts.join('  '), width);
  }
}

/** "✔ orphan-scan pass in 1.2s": the permanent line as a check ends. */
export function endLine(checkId: string, result: Pick<CheckResult, 'status' | 'durationMs'>): string {
  const mark = result.status === 'pass' ? '✔' : result.status === 'skipped' ? '-' : '✖';
  const took = result.durationMs < 10_000 ? `${(result.durationMs / 1000).toFixed(1)}s` : duration(result.durationMs);
  return `${mark} ${escapeControl(checkId)} ${result.status} in ${took}`;
}

/** 1234567 -> "1,234,567": digits grouped, whatever the locale of the machine. */
export function count(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 4s, 2m 05s, 1h 02m: the two largest units. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

// East Asian wide and fullwidth characters and emoji take two columns; combining marks none.
const WIDE =
  /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1faff}\u{20000}-\u{3fffd}]/u;
const ZERO_WIDTH = /[\p{M}\u200b-\u200d\ufeff]/u;

export function charWidth(ch: string): number {
  if (ZERO_WIDTH.test(ch)) return 0;
  return WIDE.test(ch) ? 2 : 1;
}

/**
 * Cuts `text` to at most `width` terminal columns, ending in "…" when cut. A line wider than the
 * terminal would wrap, and the redraw, which moves up one row per line, would then leave debris.
 */
export function fitWidth(text: string, width: number): string {
  let used = 0;
  let out = '';
  const chars = Array.from(text);
  const total = chars.reduce((sum, ch) => sum + charWidth(ch), 0);
  if (total <= width) return text;
  for (const ch of chars) {
    const w = charWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}
