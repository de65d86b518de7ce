/**
 * Finds the checks: the built-in list (given as data by the CLI, the composition root, like any
 * other plugin) plus plugin modules. A plugin's default export (or named `check`/`checks`) is a
 * check or an array of checks; every check, built-in or not, is validated here, so a broken one is
 * a clear exit-2 error, not a crash mid-run.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DbcheckError, errorLine } from '../errors.js';
import { SEVERITIES, STORE_KINDS, type Check } from '../plugin.js';
import { statShapeProblem } from '../stats.js';

const ID = /^([a-z0-9][a-z0-9-]*\/)?[a-z0-9][a-z0-9-]*$/;

export interface LoadedCheck {
  check: Check;
  /** 'builtin' or the plugin's path. */
  source: string;
}

export async function loadChecks(builtins: readonly unknown[], pluginPaths: string[]): Promise<LoadedCheck[]> {
  const out: LoadedCheck[] = builtins.map((check) => ({ check: validateCheck(check, 'builtin'), source: 'builtin' }));
  for (const p of pluginPaths) {
    // Asked before importing: the import's own "module not found" also names the plugin when it is a
    // package the plugin imports (`dbcheck` itself, not installed next to it) that is missing.
    if (!existsSync(p)) throw new DbcheckError('PLUGIN', `plugin not found: ${p}`);
    let mod: Record<string, unknown>;
    try {
      mod = await import(pathToFileURL(p).href);
    } catch (err) {
      const missingDbcheck = /Cannot find package 'dbcheck'/.test(String((err as Error)?.message));
      throw new DbcheckError('PLUGIN', `plugin ${p} failed to load: ${errorLine(err)}`, {
        hint: missingDbcheck ? 'install dbcheck next to the plugin: npm install /path/to/dbcheck, see docs/writing-checks.md' : undefined,
      });
    }
    const exported = mod.default ?? mod.checks ?? mod.check;
    const list = Array.isArray(exported) ? exported : [exported];
    if (!exported || list.length === 0)
      throw new DbcheckError('PLUGIN', `plugin ${p} exports no check (export default defineCheck({...}))`);
    for (const c of list) out.push({ check: validateCheck(c, p), source: p });
  }
  const seen = new Map<string, string>();
  for (const { check, source } of out) {
    const prev = seen.get(check.meta.id);
    if (prev) throw new DbcheckError('PLUGIN', `check id "${check.meta.id}" is defined twice (${prev} and ${source})`);
    seen.set(check.meta.id, source);
  }
  return out;
}

export function validateCheck(c: unknown, source: string): Check {
  const bad = (why: string) => new DbcheckError('PLUGIN', `${source === 'builtin' ? 'built-in check' : `plugin ${source}`}: ${why}`);
  const check = c as Check;
  if (!check || typeof check !== 'object' || !check.meta || typeof check.run !== 'function')
    throw bad('a check must be { meta, run(ctx) }');
  if (check.preflight !== undefined && typeof check.preflight !== 'function') throw bad('preflight must be a function');
  const m = check.meta;
  if (typeof m.id !== 'string' || !ID.test(m.id))
    throw bad(`check id ${JSON.stringify(m.id)} must be kebab-case, optionally "namespace/id"`);
  if (typeof m.title !== 'string' || !m.title) throw bad(`check ${m.id} needs a title`);
  const isStoreList = (v: unknown) => Array.isArray(v) && v.every((s) => (STORE_KINDS as readonly unknown[]).includes(s));
  if (!isStoreList(m.requires)) throw bad(`check ${m.id}: requires must list ${STORE_KINDS.join(', ')}`);
  // Checked at load, not discovered mid-run: `uses: ['mysql']` would otherwise crash the run.
  if (m.uses !== undefined && !isStoreList(m.uses)) throw bad(`check ${m.id}: uses must list ${STORE_KINDS.join(', ')}`);
  if (m.access !== undefined && m.access !== 'read' && m.access !== 'rollback-txn')
    throw bad(`check ${m.id}: access must be 'read' or 'rollback-txn'`);
  for (const flag of ['optIn', 'exclusive', 'runsFirst'] as const) {
    if (m[flag] !== undefined && typeof m[flag] !== 'boolean') throw bad(`check ${m.id}: ${flag} must be true or false`);
  }
  if (m.runsFirst && m.exclusive) throw bad(`check ${m.id}: runsFirst and exclusive cannot both be set`);
  if (!m.codes || typeof m.codes !== 'object' || Object.keys(m.codes).length === 0) throw bad(`check ${m.id} declares no finding codes`);
  for (const [code, def] of Object.entries(m.codes)) {
    if (!def || !(SEVERITIES as readonly string[]).includes(def.severity) || typeof def.message !== 'function') {
      throw bad(`check ${m.id}: code ${code} needs a severity (${SEVERITIES.join('|')}) and a message function`);
    }
  }
  if (m.options && typeof m.options.safeParse !== 'function') throw bad(`check ${m.id}: options must be a schema with safeParse (zod)`);
  const statsProblem = m.stats === undefined ? undefined : statShapeProblem(m.stats);
  if (statsProblem) throw bad(`check ${m.id}: ${statsProblem}`);
  return check;
}
