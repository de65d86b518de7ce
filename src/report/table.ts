/**
 * The terminal reporter: a summary table, the first findings of each check (errors first), and
 * check sections. Every string from the report goes through `e` (escapeControl): it may carry store
 * text, which must not reach the terminal raw.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { CheckResult, Report } from '../engine/result.js';
import { consistencyText } from './consistency.js';
import { escapeControl as e } from './escape.js';
import { fitTable, wrap } from './fit.js';

export interface TableRenderOptions {
  color: boolean;
  /** Terminal columns every line must fit in (tables turn vertical, lines wrap); undefined: no limit. */
  width?: number;
}

/** Findings shown per check (the JSON report carries up to --max-findings). */
const FINDINGS_PER_CHECK = 10;

export function renderTable(report: Report, opts: TableRenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const width = opts.width;
  const out: string[] = [];

  const head = ['check', 'status', 'errors', 'warnings', 'info', 'time'].map((h) => c.bold(h));
  const summaryRows = report.checks.map((r) => [
    e(r.id),
    status(c, r),
    count(c, r.counts.error, 'red'),
    count(c, r.counts.warn, 'yellow'),
    r.counts.info ? String(r.counts.info) : '',
    r.status === 'skipped' ? '' : ms(r.durationMs),
  ]);
  out.push(...fitTable(head, summaryRows, width));

  for (const r of report.checks) {
    const lines: string[] = [];
    if (r.status === 'skipped') continue;
    if (r.error)
      lines.push(...wrap(`${e(r.error.message)}${r.error.hint ? ` (${e(r.error.hint)})` : ''}`, width, `  ${c.red('error')} `, '        '));
    for (const f of r.findings.slice(0, FINDINGS_PER_CHECK)) {
      const sev = f.severity === 'error' ? c.red('error') : f.severity === 'warn' ? c.yellow('warn ') : c.blue('info ');
      // --baseline: new findings come first (src/engine/baseline.ts) and say so.
      const label = f.baseline === 'new' ? `${c.bold('new')} ` : f.baseline === 'unknown' ? `${c.bold('new?')} ` : '';
      lines.push(...wrap(e(f.message), width, `  ${sev} ${label}${c.dim(e(f.code))}  `, '        '));
    }
    const total = r.counts.error + r.counts.warn + r.counts.info;
    const shown = Math.min(FINDINGS_PER_CHECK, r.findings.length);
    if (total > shown) {
      const totals = Object.entries(r.countsByCode)
        .map(([k, v]) => `${e(k)} ${v}`)
        .join(', ');
      lines.push(
        ...wrap(`… ${total - shown} more not shown (totals: ${totals}); --format json lists up to --max-findings`, width, '  ', '    ').map(
          (l) => c.dim(l),
        ),
      );
    }
    for (const cons of r.consistency ?? []) {
      const mark = cons.belowMinimum ? c.red(`below --min-consistency ${report.minConsistency}%: `) : '';
      lines.push(...wrap(`${e(cons.name)}: ${consistencyText(cons)}`, width, `  ${c.dim(cons.kind)} ${mark}`, '    '));
    }
    const silences = notJudgedText(r.stats);
    if (silences) lines.push(...wrap(e(silences), width, `  ${c.dim('not judged')} `, '    '));
    for (const sec of r.sections ?? []) {
      const rows = sec.rows.map((row) => row.map((v) => (v === null ? '' : e(String(v)))));
      lines.push(
        `  ${c.bold(e(sec.title))}`,
        ...fitTable(
          sec.columns.map((h) => c.bold(e(h))),
          rows,
          width,
          '  ',
        ),
      );
    }
    if (lines.length) out.push('', ...wrap(`— ${e(r.title)}`, width, `${c.bold(e(r.id))} `, '  '), ...lines);
  }

  const skipped = report.checks.filter((r) => r.status === 'skipped');
  if (skipped.length)
    out.push(
      '',
      ...wrap(`skipped: ${skipped.map((r) => `${e(r.id)} (${e(r.skipReason ?? '')})`).join('; ')}`, width, '', '  ').map((l) => c.dim(l)),
    );
  if (report.baseline) out.push('', ...baselineLines(c, report.baseline, width));
  const [outcome, rest] = verdict(c, report);
  out.push('', ...wrap(rest, width, `${outcome} `, '  '));
  return `${out.join('\n')}\n`;
}

/** What changed since the --baseline report: counts, then each resolved finding. */
function baselineLines(c: ChalkInstance, b: NonNullable<Report['baseline']>, width: number | undefined): string[] {
  const parts = [`${b.new} new`, `${b.unchanged} unchanged`, `${b.resolved.length} resolved`];
  if (b.unknown) parts.push(`${b.unknown} not in the truncated baseline (new?)`);
  if (b.notCompared) parts.push(`${b.notCompared} beyond --max-findings not compared`);
  const lines = wrap(`since ${e(b.startedAt)}: ${parts.join(', ')}`, width, `${c.bold('baseline')} `, '  ');
  for (const f of b.resolved) lines.push(...wrap(e(f.message), width, `  ${c.green('resolved')} ${c.dim(e(f.code))}  `, '        '));
  for (const u of b.resolvedUnknown)
    lines.push(...wrap(`resolved unknown: ${e(u.reason)}`, width, `  ${c.dim(e(u.checkId))} `, '        ').map((l) => c.dim(l)));
  return lines;
}

function status(c: ChalkInstance, r: CheckResult): string {
  switch (r.status) {
    case 'pass':
      return c.green('pass');
    case 'fail':
      return c.red('fail');
    case 'error':
      return c.magenta(r.partial ? 'error (partial)' : 'error');
    case 'skipped':
      return c.dim('skipped');
  }
}

function count(c: ChalkInstance, n: number, colour: 'red' | 'yellow'): string {
  return n ? c[colour](String(n)) : '';
}

function ms(n: number): string {
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;
}

/** The last line: its coloured head (OK, FINDINGS, INCOMPLETE) and the plain rest. */
function verdict(c: ChalkInstance, report: Report): [string, string] {
  const s = report.summary;
  const parts = [`${s.findings.error} errors, ${s.findings.warn} warnings, ${s.findings.info} info`];
  if (s.unreachableStores.length) parts.push(`unreachable: ${s.unreachableStores.join(', ')}`);
  if (s.checks.error) parts.push(`${s.checks.error} check(s) could not finish`);
  const below = report.checks.flatMap((r) => (r.consistency ?? []).filter((x) => x.belowMinimum));
  if (below.length) parts.push(`${below.length} below --min-consistency ${report.minConsistency}%`);
  if (s.interrupted) parts.push(`interrupted (${s.interrupted})`);
  const head = report.exitCode === 0 ? c.green('OK') : report.exitCode === 1 ? c.red('FINDINGS') : c.magenta('INCOMPLETE');
  return [head, `${parts.join('; ')} — ${ms(report.durationMs)}, exit ${report.exitCode}`];
}

/**
 * `stats.notJudged` (checks/lib/not-judged.ts): what the check saw but tolerated or could not judge,
 * by reason, so a pass with nothing found says what it did not look at ("3 cache entries ...").
 */
export function notJudgedText(stats: Record<string, unknown>): string | undefined {
  const counts = stats.notJudged;
  if (counts === null || typeof counts !== 'object') return undefined;
  const parts = Object.entries(counts as Record<string, unknown>)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([reason, n]) => `${(n as number).toLocaleString('en-US')} ${reason}`);
  return parts.length ? parts.join('; ') : undefined;
}
