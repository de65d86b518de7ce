/**
 * The Markdown reporter, for a CI step summary ($GITHUB_STEP_SUMMARY) or a pull-request comment: the
 * verdict, a summary table, consistency ratios, the top findings, the rest folded in <details>.
 * Store text (keys, names, messages) can hold Markdown or HTML that would render (a link, an image
 * that calls home, a closing </details>): every such string goes through `md`.
 */
import type { CheckResult, Finding, Report } from '../engine/result.js';
import { consistencyText } from './consistency.js';
import type { ReportContext } from './context.js';
import { escapeControl } from './escape.js';

/** Findings shown before the fold, across all checks. */
const TOP = 10;

/**
 * Store text as inert Markdown: control characters shown visibly, HTML specials as entities, and
 * the characters that start Markdown syntax backslash-escaped (CommonMark allows it before any
 * ASCII punctuation), so no emphasis, link, autolink (the ':' of http:, the '@' of an address),
 * math ($), code span or table cell break can start inside it.
 */
export function md(text: string): string {
  return escapeControl(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_{}[\]()#+\-.!|~:/@$]/g, (ch) => `\\${ch}`);
}

function status(r: CheckResult): string {
  switch (r.status) {
    case 'pass':
      return '✅ pass';
    case 'fail':
      return '❌ fail';
    case 'error':
      return r.partial ? '⚠️ error (partial)' : '⚠️ error';
    case 'skipped':
      return '➖ skipped';
  }
}

const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

function findingLine(f: Finding): string {
  return `- **${f.severity}** \`${f.checkId}\` ${md(f.code)}: ${md(f.message)}`;
}

export function renderMarkdown(report: Report, _ctx: ReportContext = {}): string {
  const s = report.summary;
  const verdict = report.exitCode === 0 ? '✅ OK' : report.exitCode === 1 ? '❌ FINDINGS' : '⚠️ INCOMPLETE';
  const out: string[] = [
    `## dbcheck: ${verdict}`,
    '',
    `${s.findings.error} errors, ${s.findings.warn} warnings, ${s.findings.info} info; exit ${report.exitCode}; ${seconds(report.durationMs)}; started ${report.startedAt}`,
    '',
    '| check | status | errors | warnings | info | time |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of report.checks) {
    out.push(
      `| ${md(r.id)} | ${status(r)} | ${r.counts.error} | ${r.counts.warn} | ${r.counts.info} | ${r.status === 'skipped' ? '' : seconds(r.durationMs)} |`,
    );
  }

  const problems: string[] = [];
  if (s.unreachableStores.length) problems.push(`- unreachable: ${s.unreachableStores.map(md).join(', ')}`);
  if (s.interrupted) problems.push(`- interrupted (${s.interrupted})`);
  for (const r of report.checks) {
    if (r.error) problems.push(`- \`${r.id}\` could not finish: ${md(r.error.message)}`);
    for (const p of r.configProblems ?? []) problems.push(`  - ${md(p.path ?? '')}: ${md(p.message)}`);
    if (r.status === 'skipped') problems.push(`- \`${r.id}\` skipped: ${md(r.skipReason ?? '')}`);
  }
  for (const u of s.uncaughtErrors ?? []) problems.push(`- ${md(u)}`);
  if (problems.length) out.push('', ...problems);

  const ratios = report.checks.flatMap((r) => (r.consistency ?? []).map((c) => ({ r, c })));
  if (ratios.length) {
    out.push('', '### Consistency', '', '| check | mapping / relation | consistency |', '| --- | --- | --- |');
    for (const { r, c } of ratios) out.push(`| ${md(r.id)} | ${md(c.name)} | ${c.belowMinimum ? '❌ ' : ''}${md(consistencyText(c))} |`);
  }

  // Errors first across all checks (each check's findings are already most severe first).
  const rank = { error: 0, warn: 1, info: 2 } as const;
  const all = report.checks.flatMap((r) => r.findings).sort((a, b) => rank[a.severity] - rank[b.severity]);
  if (all.length) {
    out.push('', '### Findings', '', ...all.slice(0, TOP).map(findingLine));
    if (all.length > TOP)
      out.push('', `<details><summary>${all.length - TOP} more</summary>`, '', ...all.slice(TOP).map(findingLine), '', '</details>');
    const kept = all.length;
    const total = s.findings.error + s.findings.warn + s.findings.info;
    if (total > kept) out.push('', `${total - kept} more not in this report (cut at --max-findings; counts above are exact).`);
  }
  return `${out.join('\n')}\n`;
}
