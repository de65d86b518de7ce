/**
 * The ledger of finding codes the tests PRODUCED in this vitest run, for the conformance rule
 * "every declared code of every built-in check is produced by at least one test".
 *
 * Every run through the testers (runCheck against the real servers, runCheckInMemory) appends the
 * codes the check actually reported, with its vitest project, to a file of its own in a folder per
 * vitest run, which all of that run's workers share (vitest runs files in parallel workers, so
 * nothing in memory is shared). Only codes produced in the judging project count (see below).
 * Each test file that uses a tester leaves a "done" mark when it ends. The file that completes the
 * set of built-in check test files (test/integration/checks/*.test.ts, project `integration`) then
 * checks the ledger and fails, naming every declared code that no test produced.
 *
 * So the rule is judged only by a run that includes every check test file (`npm test`, or
 * `npx vitest run --project integration`); a run of a few files, or `--project unit` alone, never
 * completes the set and judges nothing here (test/unit/conformance.test.ts checks the wiring).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';

/** Where check test files live; one per built-in check, each must use a tester (conformance.test.ts). */
export const CHECK_TEST_DIR = 'test/integration/checks';
/** The project whose run of every check test file completes the set. */
export const CONFORMANCE_PROJECT = 'integration';

const LEDGER_ROOT = path.join(os.tmpdir(), 'dbcheck-produced-codes');

type Line = { kind: 'produced'; project: string; check: string; codes: string[] } | { kind: 'done'; project: string; file: string };

/**
 * The vitest project of the test file running in this module instance (modules are isolated per
 * test file), set by conformance-hook.ts before the file's tests. Codes count only within the
 * project that judges them: a unit file may end after the judgement, so counting it would make the
 * verdict depend on scheduling order.
 */
let currentProject = '';
export function setCurrentProject(project: string): void {
  currentProject = project;
}

/**
 * One folder per vitest run: vitest's main process id, which every worker of the run shares (a
 * forked worker's parent, or the process itself for worker threads).
 */
export function runLedgerDir(root = LEDGER_ROOT): string {
  const runner = isMainThread && process.send ? process.ppid : process.pid;
  return path.join(root, String(runner));
}

function append(dir: string, line: Line): void {
  mkdirSync(dir, { recursive: true });
  // One file per worker: appends of one process never interleave with another's.
  appendFileSync(path.join(dir, `${process.pid}-${threadId}.jsonl`), `${JSON.stringify(line)}\n`);
}

/** Records the codes a check reported (count > 0) in one tester run. */
export function recordProduced(checkId: string, countsByCode: Record<string, number>, opts: { dir?: string; project?: string } = {}): void {
  const codes = Object.entries(countsByCode)
    .filter(([, n]) => n > 0)
    .map(([code]) => code);
  if (codes.length)
    append(opts.dir ?? runLedgerDir(), { kind: 'produced', project: opts.project ?? currentProject, check: checkId, codes });
}

export function readLedger(dir: string): Line[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) =>
    readFileSync(path.join(dir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line),
  );
}

/** Declared codes (check id -> codes) that no recorded run of `project` produced. */
export function unproducedCodes(lines: Line[], declared: Record<string, string[]>, project: string): Record<string, string[]> {
  const produced = new Set(
    lines.flatMap((l) => (l.kind === 'produced' && l.project === project ? l.codes.map((c) => `${l.check}\0${c}`) : [])),
  );
  const missing: Record<string, string[]> = {};
  for (const [check, codes] of Object.entries(declared)) {
    const m = codes.filter((c) => !produced.has(`${check}\0${c}`));
    if (m.length) missing[check] = m;
  }
  return missing;
}

/**
 * Marks a test file done and, when that completes the set of `expectedFiles` in `project`, returns
 * the codes nobody produced (undefined while the set is incomplete). The mark is written before the
 * ledger is read, so of two files ending together at least the later one sees the complete set.
 */
export function markFileDone(opts: {
  dir: string;
  project: string;
  file: string;
  expectedFiles: string[];
  declared: Record<string, string[]>;
}): Record<string, string[]> | undefined {
  append(opts.dir, { kind: 'done', project: opts.project, file: opts.file });
  const lines = readLedger(opts.dir);
  const done = new Set(lines.flatMap((l) => (l.kind === 'done' && l.project === opts.project ? [l.file] : [])));
  if (!opts.expectedFiles.every((f) => done.has(f))) return undefined;
  return unproducedCodes(lines, opts.declared, opts.project);
}

/** The check test files (relative to the repository root) that complete a conformance run. */
export function checkTestFiles(root = process.cwd()): string[] {
  return readdirSync(path.join(root, CHECK_TEST_DIR))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `${CHECK_TEST_DIR}/${f}`)
    .sort();
}

/** Removes ledgers of vitest runs that have ended (their main process is gone). */
export function removeStaleLedgers(root = LEDGER_ROOT): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === Number(path.basename(runLedgerDir(root)))) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      // ESRCH: no such process (EPERM would mean it lives, under another user).
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(path.join(root, name), { recursive: true, force: true });
    }
  }
}

export function describeMissing(missing: Record<string, string[]>): string {
  return Object.entries(missing)
    .map(([check, codes]) => `${check}: ${codes.join(', ')}`)
    .join('; ');
}
