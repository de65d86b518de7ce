/**
 * The stderr summary of a run: one line per problem (a store down or lost, a check that errored,
 * an interrupt, an uncaught error), in every format, so a cron log or CI step shows why an audit
 * is incomplete even when stdout is a JSON file. Findings are not problems: they are the report.
 */
import type { Report } from '../engine/result.js';

/** Lines without the "dbcheck: " prefix, redaction or escaping (the caller adds them). */
export function problemLines(report: Report): string[] {
  const lines: string[] = [];
  const storeErrors = new Set<string>();
  for (const s of report.stores) {
    if (!s.error) continue;
    storeErrors.add(s.error.message);
    lines.push(s.error.message);
  }
  const interrupted = report.summary.interrupted;
  const cutShort: string[] = [];
  for (const c of report.checks) {
    if (!c.error) continue;
    // A check that failed only because its store did is the store's problem, already said.
    if (storeErrors.has(c.error.message)) continue;
    // Checks the interrupt stopped are listed on the interrupt's line.
    if (interrupted && (c.error.code === 'CANCELLED' || /^the run timed out/.test(c.error.message))) {
      cutShort.push(c.id);
      continue;
    }
    if (c.configProblems?.length) {
      for (const p of c.configProblems) lines.push(`check ${c.id}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
    } else {
      lines.push(`check ${c.id}: ${c.error.message}${c.error.hint ? ` (${c.error.hint})` : ''}`);
    }
  }
  for (const u of report.summary.uncaughtErrors ?? []) lines.push(u);
  if (interrupted) {
    const what = interrupted === 'timeout' ? 'the run timed out (--timeout)' : `interrupted by ${interrupted}`;
    lines.push(`${what}${cutShort.length ? `; unfinished: ${cutShort.join(', ')}` : ''}`);
  }
  return lines;
}
