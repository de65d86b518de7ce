/**
 * The ledger of finding codes the tests PRODUCED in this vitest run, for the conformance rule
 * "every declared code of every built-in check is produced by at least one test".
 *
 * Every run through the testers (runCheck against the real servers, runCheckInMemory) appends the
 * codes the check actually reported, with its vitest project and test file, to a file of its own in
 * a folder per vitest run, which all of that run's workers share (vitest runs files in parallel
 * workers, so nothing in memory is shared). Each test file that uses a tester leaves a "done" mark
 * when it ends. The judged set is the files of test/integration/checks/ that use a tester, in the
 * project `integration`; the one that completes it checks the ledger and fails, naming every
 * declared code that no file of the set produced. Only the set's own records count, so the verdict
 * never depends on which other file (a unit file, another project) happened to end first.
 *
 * So the rule is judged only by a run that includes every check test file (`npm test`, or
 * `npx vitest run --project integration`); a run of a few files, or `--project unit` alone, never
 * completes the set and judges nothing here (test/unit/conformance.test.ts checks the wiring).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { isMainThread, threadId } from 'node:worker_threads';
import type TypeScript from 'typescript';

/**
 * The compiler, loaded only when a file's imports are read (the conformance judgement): every
 * tester imports this module, and the benchmarks run checks through a tester, where TypeScript's
 * ~9 MB of source would be a fifth of a 128 MB heap for nothing.
 */
let typescript: typeof TypeScript | undefined;
const loadTypeScript = () => (typescript ??= createRequire(import.meta.url)('typescript') as typeof TypeScript);

/** Where check test files live; `<id>.test.ts` of each built-in check must use a tester (conformance.test.ts). */
export const CHECK_TEST_DIR = 'test/integration/checks';
/** The project whose run of every check test file completes the set. */
export const CONFORMANCE_PROJECT = 'integration';

const LEDGER_ROOT = path.join(os.tmpdir(), 'dbcheck-produced-codes');

type Line =
  | { kind: 'produced'; project: string; file: string; check: string; codes: string[] }
  | { kind: 'done'; project: string; file: string };

/**
 * The vitest project and test file running in this module instance (modules are isolated per test
 * file), set by conformance-hook.ts before the file's tests. Codes count only when produced by a
 * file of the judged set in the judging project: any other file may end after the judgement, so
 * counting it would make the verdict depend on scheduling order.
 */
let current = { project: '', file: '' };
export function setCurrentFile(project: string, file: string): void {
  current = { project, file };
}

/**
 * One folder per vitest run: vitest's main process id, which every worker of the run shares (a
 * forked worker's parent, or the process itself for worker threads), and that process's start time
 * where the system tells it (Linux), so a later run that reuses the id never reads an old ledger.
 */
export function runLedgerDir(root = LEDGER_ROOT): string {
  const runner = isMainThread && process.send ? process.ppid : process.pid;
  return path.join(root, ledgerName(runner));
}

function ledgerName(pid: number): string {
  const started = processStartTime(pid);
  return started ? `${pid}-${started}` : String(pid);
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); '' where there is no /proc. */
function processStartTime(pid: number): string {
  try {
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function append(dir: string, line: Line): void {
  mkdirSync(dir, { recursive: true });
  // One file per worker: appends of one process never interleave with another's.
  appendFileSync(path.join(dir, `${process.pid}-${threadId}.jsonl`), `${JSON.stringify(line)}\n`);
}

/** Records the codes a check reported (count > 0) in one tester run. */
export function recordProduced(
  checkId: string,
  countsByCode: Record<string, number>,
  opts: { dir?: string; project?: string; file?: string } = {},
): void {
  const codes = Object.entries(countsByCode)
    .filter(([, n]) => n > 0)
    .map(([code]) => code);
  if (codes.length)
    append(opts.dir ?? runLedgerDir(), {
      kind: 'produced',
      project: opts.project ?? current.project,
      file: opts.file ?? current.file,
      check: checkId,
      codes,
    });
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

/** Declared codes (check id -> codes) that no recorded run of `project` in one of `files` produced. */
export function unproducedCodes(
  lines: Line[],
  declared: Record<string, string[]>,
  project: string,
  files: string[],
): Record<string, string[]> {
  const judged = new Set(files);
  const produced = new Set(
    lines.flatMap((l) =>
      l.kind === 'produced' && l.project === project && judged.has(l.file) ? l.codes.map((c) => `${l.check}\0${c}`) : [],
    ),
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
  return unproducedCodes(lines, opts.declared, opts.project, opts.expectedFiles);
}

/** The helpers whose runs record produced codes and whose import registers the file-done mark. */
export const TESTER_MODULES = ['test/helpers/check-tester.ts', 'test/helpers/run-check.ts', 'test/helpers/run-check-in-memory.ts'];

/**
 * The check test files (relative to the repository root) that make up the judged set: those of
 * CHECK_TEST_DIR that run checks through a tester (a file there that drives the engine itself, e.g.
 * to watch progress events, neither records nor leaves a done mark, so it cannot be waited for).
 */
export function checkTestFiles(root = process.cwd()): string[] {
  return readdirSync(path.join(root, CHECK_TEST_DIR))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `${CHECK_TEST_DIR}/${f}`)
    .filter((f) => importsATester(path.join(root, f), root))
    .sort();
}

/** Module specifiers of a file's value imports, read from its syntax tree (comments and strings do not count). */
function importsOf(file: string): string[] {
  const ts = loadTypeScript();
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return source.statements.flatMap((st) =>
    ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && !st.importClause?.isTypeOnly ? [st.moduleSpecifier.text] : [],
  );
}

/** True when `file` imports one of TESTER_MODULES (a value import, not `import type`). */
export function importsATester(file: string, root = process.cwd()): boolean {
  return importsOf(file).some((spec) => {
    const resolved = path
      .relative(root, path.resolve(path.dirname(file), spec))
      .split(path.sep)
      .join('/')
      .replace(/\.js$/, '.ts');
    return TESTER_MODULES.includes(resolved);
  });
}

/** Removes ledgers of vitest runs that have ended (their main process is gone, or its id reused). */
export function removeStaleLedgers(root = LEDGER_ROOT): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const pid = Number(name.split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      // ESRCH: no such process (EPERM would mean it lives, under another user).
      alive = (err as NodeJS.ErrnoException).code !== 'ESRCH';
    }
    if (!alive || ledgerName(pid) !== name) rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

export function describeMissing(missing: Record<string, string[]>): string {
  return Object.entries(missing)
    .map(([check, codes]) => `${check}: ${codes.join(', ')}`)
    .join('; ');
}
