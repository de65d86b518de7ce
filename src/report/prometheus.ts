/**
 * The Prometheus reporter: the text exposition format that node_exporter's textfile collector reads
 * (write it to <collector dir>/dbcheck.prom; --report writes atomically, as the collector needs).
 * No timestamps on samples (the collector refuses them); the run's time is a metric instead.
 */
import type { Report } from '../engine/result.js';
import { SEVERITIES } from '../plugin.js';
import type { ReportContext } from './context.js';

type Labels = Record<string, string>;

/** Label values escape backslash, double quote and newline; lone surrogates are not UTF-8. */
function labelValue(v: string): string {
  return v
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Labels, number]>): void {
    if (samples.length === 0) return;
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${labelValue(v)}"`)
        .join(',');
      this.lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? String(value) : 'NaN'}`);
    }
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

const LAST_COMPLETE = 'dbcheck_last_complete_run_timestamp_seconds';

/** The last complete run's time from an earlier file, so an incomplete run does not lose it. */
function previousComplete(previous: string | undefined): number | undefined {
  const m = previous && new RegExp(`^${LAST_COMPLETE} (\\d+(?:\\.\\d+)?)$`, 'm').exec(previous);
  return m ? Number(m[1]) : undefined;
}

export function renderPrometheus(report: Report, ctx: ReportContext = {}): string {
  const x = new Exposition();
  const checks = report.checks;
  const endedAt = (Date.parse(report.startedAt) + report.durationMs) / 1000;
  // 0 and 1 are complete runs (the checks ran to the end); 2, 3, 130/143 are not.
  const complete = report.exitCode === 0 || report.exitCode === 1;
  const lastComplete = complete ? endedAt : previousComplete(ctx.previous);

  x.family(
    'dbcheck_check_status',
    'gauge',
    'Check status: 1 for the status the check ended in (pass, fail, error, skipped).',
    checks.flatMap((r) =>
      (['pass', 'fail', 'error', 'skipped'] as const).map((s): [Labels, number] => [{ check: r.id, status: s }, r.status === s ? 1 : 0]),
    ),
  );
  x.family(
    'dbcheck_check_findings',
    'gauge',
    'Findings of the last run by check and severity (exact, not cut at --max-findings).',
    checks.flatMap((r) => SEVERITIES.map((s): [Labels, number] => [{ check: r.id, severity: s }, r.counts[s]])),
  );
  x.family(
    'dbcheck_check_findings_by_code',
    'gauge',
    'Findings of the last run by check, code and severity (severity "unknown" when no finding of the code was kept).',
    checks.flatMap((r) =>
      Object.entries(r.countsByCode).map(([code, n]): [Labels, number] => {
        const severity = r.findings.find((f) => f.code === code)?.severity ?? 'unknown';
        return [{ check: r.id, code, severity }, n];
      }),
    ),
  );
  x.family(
    'dbcheck_check_partial',
    'gauge',
    '1 when the check stopped early or sampled: its counts are a lower bound.',
    checks.filter((r) => r.status !== 'skipped').map((r): [Labels, number] => [{ check: r.id }, r.partial ? 1 : 0]),
  );
  x.family(
    'dbcheck_rows_compared',
    'gauge',
    'Rows, keys or entries the check compared between the stores.',
    checks.flatMap((r): Array<[Labels, number]> => {
      const n = r.stats.rowsCompared ?? r.stats.entriesCompared;
      return typeof n === 'number' ? [[{ check: r.id }, n]] : [];
    }),
  );
  x.family(
    'dbcheck_check_duration_seconds',
    'gauge',
    'How long the check ran.',
    checks.filter((r) => r.status !== 'skipped').map((r): [Labels, number] => [{ check: r.id }, r.durationMs / 1000]),
  );

  const ratios = checks.flatMap((r) => (r.consistency ?? []).map((c) => ({ labels: { check: r.id, kind: c.kind, name: c.name }, c })));
  x.family(
    'dbcheck_consistency_ratio',
    'gauge',
    'Share of compared items consistent between the stores, per mapping or relation (0..1).',
    ratios.map(({ labels, c }): [Labels, number] => [labels, c.ratio]),
  );
  x.family(
    'dbcheck_consistency_compared',
    'gauge',
    'Items compared for the consistency ratio.',
    ratios.map(({ labels, c }): [Labels, number] => [labels, c.compared]),
  );
  x.family(
    'dbcheck_consistency_inconsistent',
    'gauge',
    'Items found inconsistent for the consistency ratio.',
    ratios.map(({ labels, c }): [Labels, number] => [labels, c.inconsistent]),
  );

  x.family(
    'dbcheck_run_exit_code',
    'gauge',
    'Exit code of the last run (0 clean, 1 findings, 2 config, 3 incomplete, 130/143 interrupted).',
    [[{}, report.exitCode]],
  );
  x.family('dbcheck_run_duration_seconds', 'gauge', 'How long the last run took.', [[{}, report.durationMs / 1000]]);
  x.family('dbcheck_last_run_timestamp_seconds', 'gauge', 'When the last run ended (Unix time).', [[{}, endedAt]]);
  if (lastComplete !== undefined) {
    x.family(
      LAST_COMPLETE,
      'gauge',
      'When the last complete run (exit 0 or 1) ended (Unix time); kept from the previous file by an incomplete run.',
      [[{}, lastComplete]],
    );
  }
  return x.toString();
}
