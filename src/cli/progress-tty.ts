/**
 * Live progress on a terminal: one line per running check, redrawn in place (about 5 times a
 * second) on stderr, and a permanent line as each check ends. Hand-written ANSI (cursor up, erase
 * down) rather than log-update: our lines are plain text cut to the terminal width, which is all
 * that library's extra dependencies would do for us here.
 */
import type { ProgressEvent } from '../engine/run.js';
import { escapeControl } from '../report/escape.js';
import { endLine, fitWidth, ProgressModel, type ProgressPrinter } from './progress-model.js';

export interface TtyStream {
  write(s: string): unknown;
  /** The terminal's width; 80 when unknown. */
  columns?: number;
}

const REDRAW_EVERY_MS = 200;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ESC = '\x1b[';

export class TtyProgress implements ProgressPrinter {
  private readonly model: ProgressModel;
  /** Rows of the live block on screen now: the next redraw moves up this many first. */
  private drawn = 0;
  private frame = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly stream: TtyStream,
    opts: { now?: () => number; timer?: boolean } = {},
  ) {
    this.model = new ProgressModel(opts.now);
    if (opts.timer !== false) {
      this.timer = setInterval(() => this.redraw(), REDRAW_EVERY_MS);
      this.timer.unref(); // never keeps the process alive
    }
  }

  onEvent(e: ProgressEvent): void {
    if (e.type === 'check-start') {
      this.model.start(e.checkId);
      this.redraw();
    } else if (e.type === 'check-progress') {
      this.model.update(e.checkId, e.progress); // drawn on the next tick, not per event
    } else {
      this.model.end(e.checkId);
      this.above(endLine(e.checkId, e.result));
    }
  }

  log(line: string): void {
    this.above(escapeControl(line));
  }

  /** Erases the live block; permanent lines stay. Called once the run ends, however it ends. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stream.write(this.erase());
  }

  /** Draws the live block again in place. */
  redraw(): void {
    this.stream.write(this.erase() + this.block());
  }

  /** A permanent line above the live block (which is drawn again below it). */
  private above(line: string): void {
    this.stream.write(`${this.erase()}${fitWidth(line, this.width())}\n${this.block()}`);
  }

  private width(): number {
    // One column spare: writing into the last column makes some terminals wrap early.
    return Math.max(20, (this.stream.columns ?? 80) - 1);
  }

  /** Back to the first row of the block and erase to the end of the screen. */
  private erase(): string {
    const up = this.drawn > 0 ? `${ESC}${this.drawn}A` : '';
    this.drawn = 0;
    return `\r${up}${ESC}J`;
  }

  private block(): string {
    const running = this.model.running();
    this.drawn = running.length;
    const spin = SPINNER[this.frame++ % SPINNER.length];
    return running.map((c) => `${this.model.line(c, this.width(), `${spin} `)}\n`).join('');
  }
}
