/**
 * Every built-in check is complete: a docs page that names every finding code, an integration test
 * file, and every declared code PRODUCED by a test. Also: checks/index.ts stays sorted and built-in
 * checks import from src/ only through the public plugin API.
 *
 * "Produced" is judged at run time, not by reading test text: every tester run records the codes
 * the check reported in a ledger shared by the run's workers, and the check test file that completes
 * the set (the files of test/integration/checks/ that use a tester) fails the run if a declared code
 * was never produced by that set in the integration project (test/helpers/produced-codes.ts). So it is judged by `npm test` and `--project integration`. With
 * `--project unit` alone the integration files do not run and nothing is judged about production;
 * this file then checks the wiring the judgement relies on (every check test file runs through a
 * tester) and the ledger's own rules.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinChecks } from '../../checks/index.js';
import { validateCheck } from '../../src/engine/load-checks.js';
import {
  CHECK_TEST_DIR,
  checkTestFiles,
  importsATester,
  markFileDone,
  readLedger,
  recordProduced,
  TESTER_MODULES,
  unproducedCodes,
} from '../helpers/produced-codes.js';

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourcesUnder(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

describe('built-in checks', () => {
  it('are listed sorted by id, with unique ids', () => {
    const ids = builtinChecks.map((c) => c.meta.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('import nothing from src/ but the public entries (package.json exports: plugin API, load pools for worker threads)', () => {
    for (const file of sourcesUnder('checks')) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from\s+'([^']+)'/g)) {
        if (m[1].includes('/src/')) expect(m[1], `${file} imports ${m[1]}`).toMatch(/\/src\/(plugin|load)\.js$/);
      }
    }
  });

  for (const check of builtinChecks) {
    const id = check.meta.id;
    describe(id, () => {
      it('is a valid check', () => {
        expect(() => validateCheck(check, 'builtin')).not.toThrow();
      });
      it('has a docs page that names every finding code', () => {
        const doc = `docs/checks/${id}.md`;
        expect(existsSync(doc), doc).toBe(true);
        const text = readFileSync(doc, 'utf8');
        for (const code of Object.keys(check.meta.codes)) expect(text, `${doc} should document ${code}`).toContain(code);
      });
      it('has an integration test file', () => {
        const file = `test/integration/checks/${id}.test.ts`;
        expect(existsSync(file), file).toBe(true);
      });
    });
  }
});

describe('every declared code is produced by a test (the run-time ledger)', () => {
  it("each built-in check's test file runs through a tester, so it records what it produced and is in the judged set", () => {
    const judged = checkTestFiles();
    for (const { meta } of builtinChecks) {
      const file = `${CHECK_TEST_DIR}/${meta.id}.test.ts`;
      expect(importsATester(file), `${file} should import one of ${TESTER_MODULES.join(', ')}`).toBe(true);
      expect(judged).toContain(file);
    }
  });

  it('the import check reads syntax, not text: a tester named in a comment or a type-only import does not count', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dbcheck-conformance-'));
    const file = path.join(path.relative(process.cwd(), dir), 'x.test.ts');
    const at = path.relative(dir, path.resolve('test/helpers/run-check.js')).split(path.sep).join('/');
    try {
      const write = (text: string) => ts.sys.writeFile(file, text);
      write(`// import { runCheck } from '${at}';\nimport type { RunCheckOptions } from '${at}';\nconst s = "from '${at}'";\n`);
      expect(importsATester(file)).toBe(false);
      write(`import { runCheck } from '${at}';\n`);
      expect(importsATester(file)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the ledger', () => {
    const dirs: string[] = [];
    const ledger = () => {
      const d = mkdtempSync(path.join(os.tmpdir(), 'dbcheck-ledger-'));
      dirs.push(d);
      return d;
    };
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
    const declared = { one: ['a', 'b'], two: ['c'] };
    const expectedFiles = ['f1.test.ts', 'f2.test.ts'];

    it('judges nothing until every expected file of the project is done, then names each unproduced code', () => {
      const dir = ledger();
      recordProduced('one', { a: 2, b: 0 }, { dir, project: 'integration', file: 'f1.test.ts' });
      expect(markFileDone({ dir, project: 'integration', file: 'f1.test.ts', expectedFiles, declared })).toBeUndefined();
      // The same file done in another project does not complete this project's set.
      expect(markFileDone({ dir, project: 'other', file: 'f2.test.ts', expectedFiles, declared })).toBeUndefined();
      expect(markFileDone({ dir, project: 'integration', file: 'f2.test.ts', expectedFiles, declared })).toEqual({
        one: ['b'],
        two: ['c'],
      });
    });

    it('codes produced by a judged file of the judging project count, from any worker; a zero, another project or file does not', () => {
      const dir = ledger();
      const at = (project: string, file: string) => ({ dir, project, file });
      recordProduced('one', { a: 1, b: 1 }, at('integration', 'f1.test.ts'));
      recordProduced('two', { c: 0 }, at('integration', 'f1.test.ts'));
      // Other projects' and files' runs may end after the judgement: counting them would depend on order.
      recordProduced('two', { c: 1 }, at('unit', 'f1.test.ts'));
      recordProduced('two', { c: 1 }, at('integration', 'other.test.ts'));
      expect(unproducedCodes(readLedger(dir), declared, 'integration', expectedFiles)).toEqual({ two: ['c'] });
      recordProduced('two', { c: 3 }, at('integration', 'f2.test.ts'));
      expect(unproducedCodes(readLedger(dir), declared, 'integration', expectedFiles)).toEqual({});
    });
  });
});
