/** Reporters are pure: report in, string out. The CLI owns stdout, --output and --report files. */
import type { Report } from '../engine/result.js';
import type { ReportContext } from './context.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderPrometheus } from './prometheus.js';
import { renderSarif } from './sarif.js';
import { renderTable } from './table.js';

export type { ReportContext };

/** The main output's formats (--format). */
export const FORMATS = ['table', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export function render(report: Report, format: Format, opts: { color: boolean; width?: number }): string {
  return format === 'json' ? renderJson(report) : renderTable(report, { color: opts.color, width: opts.width });
}

/** Extra reports written beside the main output (--report FORMAT:PATH), one file each. */
export const REPORTERS = {
  json: (report: Report) => renderJson(report),
  junit: renderJunit,
  markdown: renderMarkdown,
  prometheus: renderPrometheus,
  sarif: renderSarif,
} satisfies Record<string, (report: Report, ctx: ReportContext) => string>;
export type ReportFormat = keyof typeof REPORTERS;
export const REPORT_FORMATS = Object.keys(REPORTERS) as ReportFormat[];
