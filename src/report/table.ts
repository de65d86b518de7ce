/**
 * The terminal reporter: a summary table, the first findings of each check (errors first), and
 * check sections. Every string from the report goes through `e` (escapeControl): it may carry store
 * text, which must not reach the terminal raw.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { CheckResult, Report } from '../engine/result.js';
import { escapeControl as e } from './escape.js';

export interface TableRenderOptions {
  color: boolean;
  /** Findings shown per check (the JSON report carries up to --max-findings). */
  findingsPerCheck?: number;
}

export function renderTable(report: Report, opts: TableRenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const perCheck = opts.findingsPerCheck ?? 10;
  const out: string[] = [];
  const plain = { head: [] as string[], style: { head: [], border: [] } };

  const summary = new Table({ ...plain, head: ['check', 'status', 'errors', 'warnings', 'info', 'time'].map((h) => c.bold(h)) });
  for (const r of report.checks) {
    summary.push([e(r.id), status(c, r), count(c, r.counts.error, 'red'), count(c, r.counts.warn, 'yellow'), r.counts.info || '', r.status === 'skipped' ? '' : ms(r.durationMs)]);
  }
  out.push(summary.toString());

  for (const r of report.checks) {
    const lines: string[] = [];
    if (r.status === 'skipped') continue;
    if (r.error) lines.push(`  ${c.red('error')} ${e(r.error.message)}${r.error.hint ? c.dim(` (${e(r.error.hint)})`) : ''}`);
    for (const f of r.findings.slice(0, perCheck)) {
      const sev = f.severity === 'error' ? c.red('error') : f.severity === 'warn' ? c.yellow('warn ') : c.blue('info ');
      lines.push(`  ${sev} ${c.dim(e(f.code))}  ${e(f.message)}`);
    }
    const total = r.counts.error + r.counts.warn + r.counts.info;
    const shown = Math.min(perCheck, r.findings.length);
    if (total > shown) {
      const totals = Object.entries(r.countsByCode).map(([k, v]) => `${e(k)} ${v}`).join(', ');
      lines.push(c.dim(`  … ${total - shown} more not shown (totals: ${totals}); --format json lists up to --max-findings`));
    }
    for (const s of r.sections ?? []) {
      const t = new Table({ ...plain, head: s.columns.map((h) => c.bold(e(h))) });
      for (const row of s.rows) t.push(row.map((v) => (v === null ? '' : e(String(v)))));
      lines.push(`  ${c.bold(e(s.title))}`, indent(t.toString()));
    }
    if (lines.length) out.push('', c.bold(e(r.id)) + c.dim(` — ${e(r.title)}`), ...lines);
  }

  const skipped = report.checks.filter((r) => r.status === 'skipped');
  if (skipped.length) out.push('', c.dim(`skipped: ${skipped.map((r) => `${e(r.id)} (${e(r.skipReason ?? '')})`).join('; ')}`));
  out.push('', verdict(c, report));
  return `${out.join('\n')}\n`;
}

function status(c: ChalkInstance, r: CheckResult): string {
  switch (r.status) {
    case 'pass': return c.green('pass');
    case 'fail': return c.red('fail');
    case 'error': return c.magenta(r.partial ? 'error (partial)' : 'error');
    case 'skipped': return c.dim('skipped');
  }
}

function count(c: ChalkInstance, n: number, colour: 'red' | 'yellow'): string {
  return n ? c[colour](String(n)) : '';
}

function ms(n: number): string {
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;
}

function indent(s: string): string {
  return s.split('\n').map((l) => `  ${l}`).join('\n');
}

function verdict(c: ChalkInstance, report: Report): string {
  const s = report.summary;
  const parts = [`${s.findings.error} errors, ${s.findings.warn} warnings, ${s.findings.info} info`];
  if (s.unreachableStores.length) parts.push(`unreachable: ${s.unreachableStores.join(', ')}`);
  if (s.checks.error) parts.push(`${s.checks.error} check(s) could not finish`);
  if (s.interrupted) parts.push(`interrupted (${s.interrupted})`);
  const head = report.exitCode === 0 ? c.green('OK') : report.exitCode === 1 ? c.red('FINDINGS') : c.magenta('INCOMPLETE');
  return `${head} ${parts.join('; ')} — ${ms(report.durationMs)}, exit ${report.exitCode}`;
}
