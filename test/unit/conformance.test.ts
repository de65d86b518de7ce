/**
 * Every built-in check is complete: a docs page, an integration test, and for every declared
 * finding code both a docs mention and a test that names it. Also: checks/index.ts stays sorted
 * and built-in checks import from src/ only through the public plugin API.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../checks/index.js';
import { validateCheck } from '../../src/engine/load-checks.js';

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

  it('import nothing from src/ but the public plugin API', () => {
    for (const file of sourcesUnder('checks')) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from\s+'([^']+)'/g)) {
        if (m[1].includes('/src/')) expect(m[1], `${file} imports ${m[1]}`).toMatch(/\/src\/plugin\.js$/);
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
      it('has an integration test that names every finding code', () => {
        const file = `test/integration/checks/${id}.test.ts`;
        expect(existsSync(file), file).toBe(true);
        const text = readFileSync(file, 'utf8');
        for (const code of Object.keys(check.meta.codes)) {
          expect(text, `${file} should produce and assert ${code}`).toMatch(new RegExp(`['"\`]${code.replace(/[-/]/g, '\\$&')}['"\`]`));
        }
      });
    });
  }
});
