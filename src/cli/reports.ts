/**
 * --report FORMAT:PATH (repeatable): extra reports written beside the main output, each atomically
 * (src/cli/output.ts), each path checked before any store is touched. --min-consistency PERCENT.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../engine/result.js';
import { REPORT_FORMATS, REPORTERS, type ReportFormat } from '../report/index.js';
import { outputProblem, writeAtomically } from './output.js';
import { errorLine } from '../errors.js';

export interface ReportTarget {
  format: ReportFormat;
  /** As given, for messages. */
  given: string;
  file: string;
}

/** Parses every --report value; returns the targets or the first problem as one line. */
export function parseReportFlags(values: readonly string[] | undefined, cwd: string): { targets: ReportTarget[] } | { problem: string } {
  const targets: ReportTarget[] = [];
  for (const value of values ?? []) {
    const colon = value.indexOf(':');
    const format = value.slice(0, colon);
    const given = value.slice(colon + 1);
    if (colon < 0 || !(REPORT_FORMATS as string[]).includes(format) || given === '') {
      return {
        problem: `--report ${value}: expected FORMAT:PATH with FORMAT one of ${REPORT_FORMATS.join(', ')} (e.g. junit:dbcheck.xml)`,
      };
    }
    const file = path.resolve(cwd, given);
    const problem = outputProblem(file);
    if (problem) return { problem: `--report ${value}: ${problem}` };
    if (targets.some((t) => t.file === file)) return { problem: `--report ${value}: ${given} is named twice` };
    targets.push({ format: format as ReportFormat, given, file });
  }
  return { targets };
}

/** --min-consistency: a percentage, 0 to 100 (e.g. 99.99). */
export function parseMinConsistency(value: string | undefined): { value?: number } | { problem: string } {
  if (value === undefined) return {};
  const n = Number(value.trim().replace(/%$/, ''));
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100)
    return { problem: `--min-consistency ${value}: expected a percentage from 0 to 100, e.g. 99.99` };
  return { value: n };
}

/** Writes each report; returns one line per file that could not be written (the run is then 3). */
export function writeReports(report: Report, targets: readonly ReportTarget[], cwd: string): string[] {
  const failures: string[] = [];
  for (const t of targets) {
    let previous: string | undefined;
    try {
      previous = t.format === 'prometheus' ? readFileSync(t.file, 'utf8') : undefined;
    } catch {
      /* first run: no earlier file */
    }
    try {
      writeAtomically(t.file, REPORTERS[t.format](report, { cwd, previous }));
    } catch (err) {
      failures.push(`cannot write --report ${t.format}:${t.given} (${(err as { code?: string }).code ?? errorLine(err)})`);
    }
  }
  return failures;
}
