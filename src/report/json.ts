/** The JSON reporter: the report as documented in docs/report.md, stable key order, one document. */
import type { Report } from '../engine/result.js';

// JSON.stringify escapes C0 itself but leaves C1 and the bidi overrides/isolates raw: written as
// \u escapes they parse back to the exact text, and a terminal showing the JSON is not reordered.
const RAW_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function stringifyForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(RAW_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderJson(report: Report): string {
  return `${stringifyForTerminal(report)}\n`;
}
