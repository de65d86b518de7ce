/** Reporters are pure: report in, string out. The CLI owns stdout and --output. */
import type { Report } from '../engine/result.js';
import { renderJson } from './json.js';
import { renderTable } from './table.js';

export const FORMATS = ['table', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export function render(report: Report, format: Format, opts: { color: boolean }): string {
  return format === 'json' ? renderJson(report) : renderTable(report, { color: opts.color });
}
