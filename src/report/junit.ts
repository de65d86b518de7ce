/**
 * The JUnit XML reporter, for CI servers' test views (Jenkins, GitLab, GitHub test reporters): a
 * testsuite per check and a testcase per mapping or relation (the names the check's stats carry),
 * or one testcase for a check that has none. A finding fails the testcase of its mapping/relation
 * (`data.mapping` / `data.relation`), else the check's own testcase. Valid against the Jenkins
 * JUnit schema (test/fixtures/report-schemas/junit.xsd).
 */
import type { CheckResult, Finding, Report } from '../engine/result.js';
import { consistencyText } from './consistency.js';
import type { ReportContext } from './context.js';

/** XML 1.0 allows no C0 control characters but tab/newline/CR, even escaped: shown as \xNN. */
function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\\ufffd') // lone surrogates
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

interface Case {
  name: string;
  findings: Finding[];
  /** Exact counts of failing findings for the case (kept findings may be fewer). */
  failing: number;
  notes: string[];
}

/** The mapping/relation names a check's stats list, in order. */
function partsOf(r: CheckResult): string[] {
  const named = (r.stats.mappings ?? r.stats.relations) as Record<string, unknown> | undefined;
  return named && typeof named === 'object' ? Object.keys(named) : [];
}

function partOf(f: Finding): string | undefined {
  const d = f.data ?? {};
  const name = d.mapping ?? d.relation;
  return typeof name === 'string' ? name : undefined;
}

/** Problem counters a mapping's or relation's stats keep (exact, unlike the kept findings). */
const PROBLEM_COUNTERS = [
  'inconsistentKeys',
  'pending',
  'missingAtLeast',
  'extraEntitiesAtLeast',
  'orphanKeys',
  'orphanEntities',
  'orphanValues',
];

function statsShowProblems(r: CheckResult, name: string): boolean {
  const named = (r.stats.mappings ?? r.stats.relations) as Record<string, Record<string, unknown>>;
  return PROBLEM_COUNTERS.some((k) => typeof named?.[name]?.[k] === 'number' && (named[name][k] as number) > 0);
}

const RANK = { error: 3, warn: 2, info: 1 } as const;

function casesOf(r: CheckResult, failOn: Report['failOn']): Case[] {
  const fails = (f: Finding) => RANK[f.severity] >= RANK[failOn];
  const names = partsOf(r);
  const cases = new Map<string, Case>(names.map((n) => [n, { name: n, findings: [], failing: 0, notes: [] }]));
  const whole: Case = { name: r.id, findings: [], failing: 0, notes: [] };
  for (const f of r.findings) {
    const c = cases.get(partOf(f) ?? '') ?? whole;
    c.findings.push(f);
    if (fails(f)) c.failing++;
  }
  for (const cons of r.consistency ?? [])
    cases.get(cons.name)?.notes.push(consistencyText(cons) + (cons.belowMinimum ? ' (below --min-consistency)' : ''));
  // Findings cut at --max-findings: a failing finding not kept may belong to any mapping. A case
  // without a kept one but with problems in its exact counters fails too, never a false pass.
  const exactFailing = (Object.keys(RANK) as Array<keyof typeof RANK>)
    .filter((s) => RANK[s] >= RANK[failOn])
    .reduce((n, s) => n + r.counts[s], 0);
  const keptFailing = r.findings.filter(fails).length;
  if (exactFailing > keptFailing) {
    // Already failing cases whose counters show problems can own the cut findings.
    let attributed = [...cases.values()].some((c) => c.failing > 0 && statsShowProblems(r, c.name));
    for (const c of cases.values()) {
      if (c.failing === 0 && statsShowProblems(r, c.name)) {
        c.failing = 1;
        c.notes.push('findings of this one were cut at --max-findings (the JSON report keeps the exact counts in stats)');
        attributed = true;
      }
    }
    if (!attributed) {
      whole.failing += exactFailing - keptFailing;
      whole.notes.push(`${exactFailing - keptFailing} more finding(s) at or above ${failOn} were cut at --max-findings`);
    }
  }
  return [...(whole.findings.length || whole.failing || cases.size === 0 ? [whole] : []), ...cases.values()];
}

export function renderJunit(report: Report, _ctx: ReportContext = {}): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const r of report.checks) {
    const cases = casesOf(r, report.failOn);
    const lines: string[] = [];
    let suiteFailures = 0;
    for (const c of cases) {
      const belowMinimum = (r.consistency ?? []).some((x) => x.name === c.name && x.belowMinimum);
      const failed = c.failing > 0 || belowMinimum;
      lines.push(
        `    <testcase classname="dbcheck.${xml(r.id)}" name="${xml(c.name)}" time="${seconds(c.name === r.id ? r.durationMs : 0)}">`,
      );
      if (r.status === 'skipped') lines.push(`      <skipped message="${xml(r.skipReason ?? 'skipped')}"/>`);
      else if (failed) {
        suiteFailures++;
        const first = c.findings[0];
        const message = first
          ? `${first.code}: ${first.message}${c.findings.length > 1 ? ` (and ${c.findings.length - 1} more in this report)` : ''}`
          : c.notes.join('; ');
        const body = c.findings.map((f) => `${f.severity} ${f.code}: ${f.message}`).join('\n');
        lines.push(`      <failure type="${xml(first?.code ?? 'min-consistency')}" message="${xml(message)}">${xml(body)}</failure>`);
      }
      const notes = [...c.notes, ...(failed ? [] : c.findings.map((f) => `${f.severity} ${f.code}: ${f.message}`))];
      if (notes.length) lines.push(`      <system-out>${xml(notes.join('\n'))}</system-out>`);
      lines.push('    </testcase>');
    }
    // A check that could not finish is an error of its whole suite, on its first testcase's level.
    const suiteErrors = r.status === 'error' ? 1 : 0;
    if (r.error) {
      lines.push(`    <testcase classname="dbcheck.${xml(r.id)}" name="${xml(`${r.id} completed`)}" time="0">`);
      lines.push(
        `      <error type="${xml(r.error.code)}" message="${xml(r.error.message)}">${xml([r.error.message, r.error.hint ?? '', ...(r.configProblems ?? []).map((p) => `${p.path ?? ''}: ${p.message}`)].filter(Boolean).join('\n'))}</error>`,
      );
      lines.push('    </testcase>');
    }
    const count = cases.length + (r.error ? 1 : 0);
    const skipped = r.status === 'skipped' ? cases.length : 0;
    tests += count;
    failures += suiteFailures;
    errors += suiteErrors;
    suites.push(
      `  <testsuite name="${xml(r.id)}" tests="${count}" failures="${suiteFailures}" errors="${suiteErrors}" skipped="${skipped}" time="${seconds(r.durationMs)}" timestamp="${report.startedAt.slice(0, 19)}">`,
      ...lines,
      '  </testsuite>',
    );
  }
  out.push(
    `<testsuites name="dbcheck" tests="${tests}" failures="${failures}" errors="${errors}" time="${seconds(report.durationMs)}">`,
    ...suites,
    '</testsuites>',
  );
  return `${out.join('\n')}\n`;
}
