/** Small shared pieces of the reliability suite: reports, check ids, Milvus fixtures. */
import { builtinChecks } from '../../checks/index.js';
import type { Report } from '../../src/engine/result.js';
import type { CliRun } from '../helpers/cli.js';

/** Parses the JSON report on stdout, with the CLI's stderr in the error if it is not JSON. */
export function jsonReport(r: CliRun): Report {
  try {
    return JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(
      `stdout is not a JSON report (exit ${r.code}).\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`,
    );
  }
}

export function checkOf(report: Report, id: string) {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no result for check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
  return c;
}

/** No stack trace: no "    at fn (file:line)" lines, no node internals. */
export const STACK_TRACE = /^\s+at .+(\(|:\d+:\d+)|node:internal|\.ts:\d+:\d+|\.js:\d+:\d+/m;

export const builtinIds = () => builtinChecks.map((c) => c.meta.id);

/** Moved to test/helpers/stores.ts, where the integration tests use it too. */
export { createMilvusCollection } from '../helpers/stores.js';
