/**
 * The SARIF 2.1.0 reporter, for code-scanning UIs (GitHub code scanning, GitLab, Azure DevOps):
 * only findings that point at a file become results (today rollback-validation's migration
 * findings: `data.file`, relative to `stats.migrationsDir`, and `data.line`). The path is made
 * relative to the folder the run started in (the repository checkout in CI).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding, Report } from '../engine/result.js';
import type { ReportContext } from './context.js';
import { stringifyForTerminal } from './json.js';

const LEVEL = { error: 'error', warn: 'warning', info: 'note' } as const;

/** A relative URI reference (each segment percent-encoded), or a file:// URI outside `cwd`. */
function fileUri(file: string, baseDir: string | undefined, cwd: string): { uri: string; uriBaseId?: string } {
  const absolute = path.resolve(baseDir ?? cwd, file);
  const relative = path.relative(cwd, absolute);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return { uri: pathToFileURL(absolute).href };
  return { uri: relative.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function location(f: Finding, baseDir: string | undefined, cwd: string): object | undefined {
  const file = f.data?.file;
  if (typeof file !== 'string' || file === '') return undefined;
  const line = f.data?.line;
  return {
    physicalLocation: {
      artifactLocation: fileUri(file, baseDir, cwd),
      ...(typeof line === 'number' && Number.isInteger(line) && line >= 1 ? { region: { startLine: line } } : {}),
    },
  };
}

export function renderSarif(report: Report, ctx: ReportContext = {}): string {
  const cwd = ctx.cwd ?? process.cwd();
  const rules = new Map<string, { id: string; name: string; shortDescription: { text: string } }>();
  const results: object[] = [];
  for (const r of report.checks) {
    const baseDir = typeof r.stats.migrationsDir === 'string' ? r.stats.migrationsDir : undefined;
    for (const f of r.findings) {
      const loc = location(f, baseDir, cwd);
      if (!loc) continue;
      const ruleId = `${f.checkId}/${f.code}`;
      if (!rules.has(ruleId)) rules.set(ruleId, { id: ruleId, name: f.code, shortDescription: { text: `${f.checkId}: ${f.code}` } });
      results.push({
        ruleId,
        level: LEVEL[f.severity],
        message: { text: f.message },
        locations: [loc],
        // Stable across runs (check, code, subject): code scanning tracks the alert by it.
        partialFingerprints: { 'dbcheck/v1': f.fingerprint },
      });
    }
  }
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: report.tool.name, version: report.tool.version, rules: [...rules.values()] } },
        // 0 and 1: every check ran to the end; otherwise the results may be incomplete.
        invocations: [
          {
            executionSuccessful: report.exitCode === 0 || report.exitCode === 1,
            exitCode: report.exitCode,
            startTimeUtc: report.startedAt,
          },
        ],
        results,
      },
    ],
  };
  return `${stringifyForTerminal(log)}\n`;
}
