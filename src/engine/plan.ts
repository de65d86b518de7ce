/**
 * Decides which checks run, with which options, and why the others are skipped. Every check's
 * options are validated here, before any store is touched.
 *
 * A skip is quiet only for a check nobody asked for. A check the user asked for — named by --only,
 * or given a config section (enabled for an opt-in check) — that the configuration keeps from
 * running is a config error (exit 2), and so is a plan in which no check runs at all: both would
 * otherwise end "OK, exit 0" about stores nobody read.
 */
import type { ResolvedConfig, CheckSection } from '../config/load.js';
import { zodIssues, type ConfigIssue } from '../config/issues.js';
import { didYouMean } from '../config/suggest.js';
import type { LoadedCheck } from './load-checks.js';

export interface PlannedCheck {
  loaded: LoadedCheck;
  section: CheckSection;
  /** Validated options (undefined when skipped). */
  options?: unknown;
  skipReason?: string;
}

export function planAudit(
  config: Pick<ResolvedConfig, 'checks' | 'locate' | 'stores'>,
  checks: LoadedCheck[],
  sel: { only?: string[]; skip?: string[] },
): { plan: PlannedCheck[]; errors: ConfigIssue[] } {
  const errors: ConfigIssue[] = [];
  const ids = checks.map((c) => c.check.meta.id);
  const unknown = (id: string, where: string) => ({
    path: where,
    message: `unknown check "${id}"${didYouMean(id, ids)}; see \`dbcheck checks\``,
    location: undefined as string | undefined,
  });
  for (const id of sel.only ?? []) if (!ids.includes(id)) errors.push(unknown(id, '--only'));
  for (const id of sel.skip ?? []) if (!ids.includes(id)) errors.push(unknown(id, '--skip'));
  for (const id of Object.keys(config.checks)) {
    if (!ids.includes(id)) errors.push({ ...unknown(id, `checks.${id}`), location: config.locate(['checks', id]) });
  }

  const plan: PlannedCheck[] = [];
  for (const loaded of [...checks].sort((a, b) => a.check.meta.id.localeCompare(b.check.meta.id))) {
    const meta = loaded.check.meta;
    const named = sel.only?.includes(meta.id) ?? false;
    if (sel.only?.length && !named) continue;
    const section = config.checks[meta.id] ?? { severity: {}, options: {}, present: false };
    const entry: PlannedCheck = { loaded, section };
    plan.push(entry);
    const asked = named || (section.present && (meta.optIn ? section.enabled === true : section.enabled !== false));
    // Where to point the user: the flag that asked for the check, else its section in the file.
    const askedAt = named
      ? { path: '--only', location: undefined }
      : { path: `checks.${meta.id}`, location: config.locate(['checks', meta.id]) };

    for (const code of Object.keys(section.severity)) {
      if (!meta.codes[code]) {
        errors.push({
          path: `checks.${meta.id}.severity.${code}`,
          location: config.locate(['checks', meta.id, 'severity', code]),
          message: `unknown finding code${didYouMean(code, Object.keys(meta.codes))}; codes of ${meta.id}: ${Object.keys(meta.codes).join(', ')}`,
        });
      }
    }
    if (sel.skip?.includes(meta.id)) {
      entry.skipReason = 'skipped with --skip';
      if (named) errors.push({ path: '--skip', message: `"${meta.id}" is also named by --only: nothing would run it` });
      continue;
    }
    if (section.enabled === false && !named) {
      entry.skipReason = 'disabled in config';
      continue;
    }
    const parsed = meta.options ? meta.options.safeParse(section.options) : { success: true as const, data: section.options };
    if (!parsed.success) {
      if (section.present || named) {
        errors.push(...zodIssues(parsed.error, meta.options, ['checks', meta.id], config.locate));
      } else {
        entry.skipReason = `not configured: add a checks.${meta.id} section (docs/checks/${meta.id}.md)`;
      }
      continue;
    }
    entry.options = parsed.data;
    if (meta.optIn && !named && section.enabled !== true) {
      entry.skipReason = `opt-in: set checks.${meta.id}.enabled: true or run with --only ${meta.id}`;
      continue;
    }
    const missing = meta.requires.filter((s) => !config.stores[s]);
    if (missing.length) {
      entry.skipReason = `needs ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not configured`;
      if (asked)
        errors.push({ ...askedAt, message: `${meta.id} ${entry.skipReason} (add ${missing.map((s) => `stores.${s}`).join(' and ')})` });
      continue;
    }
    const uses = meta.uses ?? [];
    if (meta.requires.length === 0 && uses.length > 0 && !uses.some((s) => config.stores[s])) {
      entry.skipReason = `none of ${uses.join(', ')} is configured`;
      if (asked) errors.push({ ...askedAt, message: `${meta.id} cannot run: ${entry.skipReason}` });
    }
  }
  if (!errors.length && !plan.some((p) => !p.skipReason)) {
    const why = plan.map((p) => `${p.loaded.check.meta.id}: ${p.skipReason}`).join('; ');
    errors.push({ path: 'checks', message: `no check would run${why ? ` (${why})` : ''}` });
  }
  return { plan, errors };
}
