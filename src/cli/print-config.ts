/**
 * `dbcheck validate --print`: the checks section as the checks will read it, after presets
 * (`preset: langchain`) and defaults are expanded and durations turned into milliseconds. What is
 * printed is itself valid config, so it can replace the short form.
 */
import { stringify } from 'yaml';
import type { PlannedCheck } from '../engine/plan.js';

/** YAML of `checks:` with each configured check's validated options (stores are not repeated: they hold secrets). */
export function expandedChecksYaml(plan: PlannedCheck[]): string {
  const checks: Record<string, unknown> = {};
  for (const entry of plan) {
    if (!entry.section.present || entry.options === undefined) continue;
    checks[entry.loaded.check.meta.id] = entry.options;
  }
  return stringify({ checks }, { lineWidth: 0 });
}
