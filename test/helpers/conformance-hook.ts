/**
 * Imported by the testers: registers, in every test file that uses one, the end-of-file step of the
 * produced-codes ledger (see produced-codes.ts). Importing it at a test file's top level is what
 * makes its `afterAll` belong to that file.
 */
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { RunnerTask } from 'vitest';
import { builtinChecks } from '../../checks/index.js';
import {
  checkTestFiles,
  CONFORMANCE_PROJECT,
  describeMissing,
  markFileDone,
  removeStaleLedgers,
  runLedgerDir,
  setCurrentFile,
} from './produced-codes.js';

// Only inside vitest: the benchmarks (bench/**) run checks through run-check.ts as plain Node
// scripts, where vitest's hooks throw "failed to find the runner".
if (process.env.VITEST) {
  removeStaleLedgers();

  // The first argument of a hook is vitest's fixture context, which it requires written as a destructuring pattern.
  beforeAll(({}, suite) => {
    const file = 'filepath' in suite ? suite : suite.file;
    setCurrentFile(file.projectName ?? '', relativePath(file.filepath));
  });

  afterAll(({}, suite) => {
    const file = 'filepath' in suite ? suite : suite.file;
    // A filtered run (-t, .only) did not run every test of the file: it cannot judge the set.
    if (!everyTestRan(file)) return;
    const declared = Object.fromEntries(builtinChecks.map((c) => [c.meta.id, Object.keys(c.meta.codes)]));
    const missing = markFileDone({
      dir: runLedgerDir(),
      project: file.projectName ?? '',
      file: relativePath(file.filepath),
      expectedFiles: checkTestFiles(),
      declared,
    });
    if (missing === undefined || file.projectName !== CONFORMANCE_PROJECT) return;
    if (Object.keys(missing).length) {
      throw new Error(
        `conformance: every built-in check test file ran, and no test produced these declared finding codes: ${describeMissing(missing)}`,
      );
    }
  });
}

function everyTestRan(task: RunnerTask): boolean {
  if (task.type === 'test') return task.mode === 'run';
  return task.tasks.every(everyTestRan);
}

function relativePath(file: string): string {
  return path.relative(process.cwd(), file).split(path.sep).join('/');
}
