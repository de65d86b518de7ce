/**
 * `--progress auto|tty|plain|off`: which progress printer a run gets. auto is the live display
 * when stderr is a terminal that can move its cursor, and nothing at all on a pipe or a file (cron
 * mail and CI logs stay clean; `plain` is the choice for those).
 */
import type { ProgressPrinter } from './progress-model.js';
import { PlainProgress } from './progress-plain.js';
import { TtyProgress, type TtyStream } from './progress-tty.js';

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'off'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export function progressPrinter(
  mode: ProgressMode,
  stderr: TtyStream & { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
): ProgressPrinter | undefined {
  const canRedraw = Boolean(stderr.isTTY) && env.TERM !== 'dumb';
  if (mode === 'off' || (mode === 'auto' && !stderr.isTTY)) return undefined;
  if (mode === 'plain' || (mode === 'auto' && !canRedraw)) return new PlainProgress(stderr);
  return new TtyProgress(stderr);
}
