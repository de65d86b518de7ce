/**
 * `--progress plain`, for logs: a line when a check starts and ends, and every 10 s one line per
 * running check with done/total, rate and time left. No cursor movement, never cut to a width.
 */
import type { ProgressEvent } from '../engine/run.js';
import { escapeControl } from '../report/escape.js';
import { endLine, ProgressModel, type ProgressPrinter } from './progress-model.js';

const LINE_EVERY_MS = 10_000;
const PREFIX = 'dbcheck progress: ';

export class PlainProgress implements ProgressPrinter {
  private readonly model: ProgressModel;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly stream: { write(s: string): unknown },
    opts: { now?: () => number; timer?: boolean } = {},
  ) {
    this.model = new ProgressModel(opts.now);
    if (opts.timer !== false) {
      this.timer = setInterval(() => this.tick(), LINE_EVERY_MS);
      this.timer.unref();
    }
  }

  onEvent(e: ProgressEvent): void {
    if (e.type === 'check-start') {
      this.model.start(e.checkId);
      this.stream.write(`${PREFIX}${escapeControl(e.checkId)} started\n`);
    } else if (e.type === 'check-progress') {
      this.model.update(e.checkId, e.progress);
    } else {
      this.model.end(e.checkId);
      this.stream.write(`${PREFIX}${endLine(e.checkId, e.result)}\n`);
    }
  }

  /** One line per running check; the timer calls it every 10 s. */
  tick(): void {
    for (const c of this.model.running()) this.stream.write(`${PREFIX}${this.model.line(c, Number.POSITIVE_INFINITY)}\n`);
  }

  log(line: string): void {
    this.stream.write(`${escapeControl(line)}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
