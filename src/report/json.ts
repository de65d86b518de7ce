/** The JSON reporter: the report as documented in docs/report.md, stable key order, one document. */
import type { Report } from '../engine/result.js';

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
