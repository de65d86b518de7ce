/** Reading a migrations folder: a bounded recursive listing and bounded-concurrency reads. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DiskMigration } from './types.js';

const MAX_DEPTH = 4;
const MAX_FILES = 200_000;

/** Files under `dir` as posix paths relative to it, sorted; hidden entries and node_modules skipped. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string, depth: number) => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH) await walk(child, depth + 1);
      } else if (e.isFile() && out.length < MAX_FILES) out.push(child);
    }
  };
  await walk('', 0);
  return out.sort();
}

/** Reads many small files at once, a few dozen at a time. */
export async function readFiles(dir: string, rels: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let next = 0;
  const worker = async () => {
    while (next < rels.length) {
      const rel = rels[next++];
      out.set(rel, await readFile(path.join(dir, rel)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, rels.length) }, worker));
  return out;
}

/** Compares numeric strings of any length without Number(): "9" < "10" < "00011". */
/** Dotted numeric versions ("0007", "1.10", "1.2.0") compare part by part as integers. */
export function compareDottedVersions(a: string, b: string): number {
  const x = a.split('.').map((p) => BigInt(p));
  const y = b.split('.').map((p) => BigInt(p));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0n) - (y[i] ?? 0n);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return 0;
}

/**
 * Pairs `<version>_<name>.up.sql` / `.down.sql` files into migrations (golang-migrate, plain):
 * `match` returns [version, name, 'up'|'down'] for a file of the layout; `id` canonicalises the
 * version. Sorted by `compare` on the ids.
 */
export async function pairUpDownFiles(
  dir: string,
  files: readonly string[],
  match: (file: string) => [version: string, name: string, direction: string] | undefined,
  id: (version: string) => string,
  compare: (a: string, b: string) => number,
): Promise<DiskMigration[]> {
  const matched = files.filter((f) => match(f));
  const contents = await readFiles(dir, matched);
  const byVersion = new Map<string, DiskMigration>();
  for (const f of matched) {
    const [version, name, direction] = match(f)!;
    const key = id(version);
    const m = byVersion.get(key) ?? { id: key, label: `${version}_${name}`, down: 'none' as const };
    const sql = contents.get(f)!.toString('utf8');
    if (direction === 'up') Object.assign(m, { upFile: f, upSql: sql });
    else Object.assign(m, { downFile: f, downSql: sql, down: 'sql' });
    byVersion.set(key, m);
  }
  return [...byVersion.values()].sort((a, b) => compare(a.id, b.id));
}

export function compareNumeric(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Plain string order by UTF-16 code unit (what JavaScript's sort and most tools use). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type JsDown = 'present' | 'empty' | 'not-exported' | 'none';

/**
 * How a JS/TS migration rolls back: an exported `down` with a body ('present'), an exported one
 * that does nothing ('empty': `async () => {}`, `return null`), a `down` that is defined but not
 * exported (the tool never sees it), or none (also `exports.down = false`, node-pg-migrate's mark
 * of an irreversible migration). Read from the text: the code is never run.
 */
export function jsDown(source: string): JsDown {
  const src = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  if (/\bdown\s*=\s*false\b/.test(src)) return 'none';
  const exported =
    /\b(module\.)?exports\.down\s*=|export\s+(async\s+)?function\s*\*?\s*down\b|export\s+(const|let|var)\s+down\b|(module\.exports|export\s+default)\s*=?\s*\{[\s\S]*?\bdown\b[\s\S]*?\}|export\s*\{[^}]*\bdown\b[^}]*\}/.test(
      src,
    );
  const defined = /\bfunction\s+down\s*\(|\b(const|let|var)\s+down\s*=|\bdown\s*:|\bdown\s*\([^)]*\)\s*\{/.test(src);
  if (!exported) return defined ? 'not-exported' : 'none';
  const body = downBody(src);
  return body !== undefined && /^\s*(return\s*(null|undefined|Promise\.resolve\(\s*\))?\s*;?)?\s*$/.test(body) ? 'empty' : 'present';
}

/** The body of the first function named or assigned `down` ("{…}" without braces, or an arrow's expression). */
function downBody(src: string): string | undefined {
  const head = /\bdown\s*(?:=(?!=)|:|(?=\())\s*(?:async\s*)?(?:function\s*\*?\s*\w*\s*)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)?\s*(?:=>)?\s*/g;
  for (let m = head.exec(src); m; m = head.exec(src)) {
    const at = m.index + m[0].length;
    if (src[at] === '{' && /(\)|=>)\s*$/.test(m[0])) {
      let depth = 0;
      for (let j = at; j < src.length; j++) {
        if (src[j] === '{') depth++;
        else if (src[j] === '}' && --depth === 0) return src.slice(at + 1, j);
      }
      return undefined;
    }
    // An arrow with an expression body: `down = () => null`.
    if (/=>\s*$/.test(m[0])) return `return ${/^[^;\n]*/.exec(src.slice(at))![0].trim()}`;
  }
  return undefined;
}

/** The `down` and `downProblem` fields of a code migration, from its source. */
export function codeDown(source: string): Pick<DiskMigration, 'down' | 'downProblem'> {
  const d = jsDown(source);
  if (d === 'present') return { down: 'code' };
  if (d === 'empty') return { down: 'code', downProblem: 'empty' };
  return d === 'not-exported' ? { down: 'none', downProblem: 'not-exported' } : { down: 'none' };
}
