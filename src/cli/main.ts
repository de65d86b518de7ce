/**
 * The command line: parses flags, loads config and checks, runs, renders, and RETURNS the exit
 * code. Only bin/dbcheck touches the process (exit, crash handlers); signals arrive here as an
 * AbortSignal so a partial report can still be printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { formatIssue, type ConfigIssue } from '../config/issues.js';
import { loadConfig, type LoadResult, type ResolvedConfig } from '../config/load.js';
import { builtinChecks } from '../../checks/index.js';
import { loadChecks, type LoadedCheck } from '../engine/load-checks.js';
import { planAudit } from '../engine/plan.js';
import { preflightAudit, runAudit } from '../engine/run.js';
import { applyBaseline, readBaseline } from '../engine/baseline.js';
import { mergeReports } from '../engine/merge.js';
import { exitCodeFor } from '../engine/run.js';
import { StrayErrors } from '../engine/stray-errors.js';
import { isCoded } from '../errors.js';
import type { Report } from '../engine/result.js';
import { SEVERITIES, type Severity } from '../plugin.js';
import { redact, secretsOf } from '../redact.js';
import { escapeControl } from '../report/escape.js';
import { FORMATS, render, type Format } from '../report/index.js';
import { applyConsistency } from '../report/consistency.js';
import { initCommand, type InitFlags } from './init.js';
import { outputProblem, writeAtomically } from './output.js';
import { expandedChecksYaml } from './print-config.js';
import { parseMinConsistency, parseReportFlags, writeReports } from './reports.js';
import { problemLines } from './problems.js';
import { PROGRESS_MODES, progressPrinter, type ProgressMode } from './progress.js';
import { errorLine } from '../errors.js';
import { commaList } from './flags.js';
import { STORE_KINDS } from '../stores/types.js';

export interface CliIO {
  /** `columns`: the terminal's width when stdout is one (the table fits it). */
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted with reason 'SIGINT' or 'SIGTERM' by bin/dbcheck. */
  signal?: AbortSignal;
  /** bin/dbcheck's uncaught-error handlers: where an error goes during an audit, and what to redact. */
  strays?: StrayRouting;
}

/**
 * Shared with bin/dbcheck's process handlers: while an audit runs, `target` takes uncaught errors
 * (a check's stray timer error fails that check, the report is still printed); `secrets` are the
 * config's secrets, which the last-resort crash line redacts too.
 */
export interface StrayRouting {
  target?: (err: unknown) => void;
  secrets: string[];
}

export const EXIT = { OK: 0, FINDINGS: 1, USAGE: 2, INCOMPLETE: 3 } as const;

class UsageExit extends Error {
  constructor(readonly exitCode: number) {
    super('exit');
  }
}

export function toolVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'dbcheck') return pkg.version ?? '0.0.0';
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

interface CommonFlags {
  config?: string;
  plugin?: string[];
  color?: boolean;
}

interface AuditFlags extends CommonFlags {
  format: Format;
  output?: string;
  only?: string;
  skip?: string;
  failOn?: Severity;
  timeout?: string;
  checkTimeout?: string;
  concurrency?: string;
  maxFindings?: string;
  verbose?: boolean;
  report?: string[];
  minConsistency?: string;
  progress: ProgressMode;
  shard?: string;
  baseline?: string;
  failOnNew?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export async function main(argv: string[], io: CliIO): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command('dbcheck')
    .description('Audit consistency between PostgreSQL rows, Milvus vectors and Redis caches.')
    .version(toolVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage/config/plugin error,
            3 incomplete (a check errored or a store was unreachable), 130/143 interrupted.
Docs: README.md, docs/config.md, docs/checks/<id>.md`,
    );

  const withCommon = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'config file (YAML or JSON); default ./dbcheck.yml if present, else local defaults')
      .option('--plugin <path>', 'load checks from a module (repeatable)', collect)
      .option('--no-color', 'disable colours (NO_COLOR is honoured too)');

  const withRun = (cmd: Command) =>
    withCommon(cmd)
      .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
      .option('-o, --output <file>', 'write the report to a file instead of stdout')
      .addOption(new Option('--fail-on <severity>', 'lowest severity that makes the exit code 1 (default: error)').choices(SEVERITIES))
      .option('--timeout <duration>', 'time limit for the whole run, e.g. 10m')
      .option('--check-timeout <duration>', 'time limit per check (default 30m)')
      .option('--concurrency <n>', 'checks run at once (default 4)')
      .option('--max-findings <n>', 'findings kept per check in the report (counts stay exact; default 100)')
      .option('-v, --verbose', 'debug lines from checks on stderr')
      .option(
        '--report <format:path>',
        'also write a report to PATH, FORMAT one of junit, markdown, prometheus, sarif, json (repeatable)',
        collect,
      )
      .option('--min-consistency <percent>', 'exit 1 when a mapping or relation is less consistent than this, e.g. 99.99')
      .addOption(
        new Option(
          '--progress <mode>',
          'progress on stderr: auto (live lines on a terminal, nothing on a pipe), tty, plain (a line every 10 s, for logs), off',
        )
          .choices(PROGRESS_MODES)
          .default('auto'),
      )
      .option(
        '--shard <i/n>',
        'audit shard i (0-based) of n: n processes cover every key once; join their JSON reports with `dbcheck merge`',
      )
      .option('--baseline <file>', 'an earlier JSON report: label findings new or unchanged and list the resolved ones')
      .option('--fail-on-new', 'with --baseline: only new findings at or above --fail-on make the exit code 1');

  withRun(program.command('audit'))
    .description('run the selected checks and report')
    .option('--only <ids>', 'run only these checks (comma-separated); also enables opt-in checks')
    .option('--skip <ids>', 'skip these checks (comma-separated)')
    .addHelpText(
      'after',
      `
Examples:
  dbcheck audit                              audit the local defaults
  dbcheck audit -c dbcheck.yml --format json > report.json
  dbcheck audit --only cache-drift,orphan-scan --fail-on warn
  dbcheck audit --only pool-stress           run the opt-in load check`,
    )
    .action(async (flags: AuditFlags) => {
      exitCode = await audit(flags, io);
    });

  withRun(program.command('health'))
    .description('check that every configured store is up, fast and within its limits')
    .addHelpText('after', '\nExample:\n  dbcheck health -c dbcheck.yml')
    .action(async (flags: AuditFlags) => {
      exitCode = await audit({ ...flags, only: 'health', skip: undefined }, io);
    });

  program
    .command('merge')
    .description('join the JSON reports of a sharded run (--shard i/n) into one report')
    .argument('<reports...>', 'one JSON report per shard')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .addHelpText('after', '\nExample:\n  dbcheck merge shard-0.json shard-1.json shard-2.json --format json -o report.json')
    .action(async (files: string[], flags: { format: Format; output?: string; color?: boolean }) => {
      exitCode = merge(files, flags, io);
    });

  withCommon(program.command('checks'))
    .description('list available checks (built-in and plugins)')
    .option('--codes', 'also list every finding code with its default severity')
    .addHelpText('after', '\nExample:\n  dbcheck checks --plugin ./my-check.js --codes')
    .action(async (flags: CommonFlags & { codes?: boolean }) => {
      exitCode = await listChecks(flags, io);
    });

  withCommon(program.command('validate'))
    .description('validate a config file (and each check section against its schema); exit 0 or 2')
    .option(
      '--connect',
      'also resolve tables, columns, collections, fields and key types in the live stores (no data read); 3 if unreachable',
    )
    .option('--print', 'print the checks section as the checks read it: presets and defaults expanded (YAML on stdout)')
    .addHelpText('after', '\nExamples:\n  dbcheck validate -c dbcheck.yml\n  dbcheck validate -c dbcheck.yml --connect')
    .action(async (flags: CommonFlags & { connect?: boolean; print?: boolean }) => {
      exitCode = await validate(flags, io);
    });

  program
    .command('init')
    .description('connect read-only and propose a commented config (YAML) on stdout from sampled stores')
    .option(
      '-c, --config <file>',
      'where to connect (its stores section); default: the local defaults and DATABASE_URL, REDIS_URL, MILVUS_ADDRESS',
    )
    .option('--timeout <duration>', 'time limit for the whole look (default 2m)')
    .option('--schemas <names>', 'Postgres schemas to look at (comma-separated; default: all)')
    .option('--collections <names>', 'Milvus collections to look at (comma-separated names, or prefixes ending in *)')
    .option('--redis-match <glob>', 'SCAN MATCH pattern for the Redis key sample (default: every key)')
    .addHelpText('after', '\nExample:\n  dbcheck init > dbcheck.yml && dbcheck validate -c dbcheck.yml --connect')
    .action(async (flags: InitFlags) => {
      exitCode = await initCommand(flags, io, toolVersion());
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version exit 0; every usage error is 2 (commander's default would be 1 = "findings"),
      // bare `dbcheck` too (commander prints the usage to stderr with exit code 1).
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof UsageExit) return err.exitCode;
    say(io, `dbcheck: ${describe(err)}`);
    return EXIT.USAGE;
  }
}

/** One stderr line: redacted (also of the config's own secrets) and with control characters shown. */
function say(io: CliIO, line: string, secrets: readonly string[] = io.strays?.secrets ?? []): void {
  io.stderr.write(`${escapeControl(redact(line, secrets))}\n`);
}

function describe(err: unknown, secrets: readonly string[] = []): string {
  const msg = redact(errorLine(err), secrets);
  if (isCoded(err) && err.code !== 'INTERNAL') return `${msg}${err.hint ? ` (${err.hint})` : ''}`;
  return `internal error: ${msg}`;
}

function fail(io: CliIO, title: string, issues: ConfigIssue[] | string): never {
  io.stderr.write(`dbcheck: ${title}\n`);
  for (const line of typeof issues === 'string' ? [issues] : issues.map(formatIssue)) say(io, `  ${line}`);
  throw new UsageExit(EXIT.USAGE);
}

async function setup(
  flags: CommonFlags & Partial<AuditFlags>,
  io: CliIO,
): Promise<{ config: ResolvedConfig; checks: LoadedCheck[]; secrets: string[] }> {
  // Flags go in as typed: the config pipeline validates them with the same schema as the file.
  const { config, errors, warnings, checksOnly } = loadConfig({
    file: flags.config,
    cwd: io.cwd,
    env: io.env,
    flags: {
      plugins: flags.plugin,
      failOn: flags.failOn,
      concurrency: flags.concurrency,
      maxFindings: flags.maxFindings,
      timeout: flags.timeout,
      checkTimeout: flags.checkTimeout,
      shard: flags.shard,
    },
  });
  for (const w of warnings) say(io, `dbcheck: warning: ${formatIssue(w)}`);
  if (!config) fail(io, 'invalid config', [...errors, ...(await checkSectionProblems(checksOnly))]);
  // From here on every line is redacted of the config's secrets, bare passwords included.
  const secrets = secretsOf(config.stores);
  if (io.strays) io.strays.secrets = secrets;
  let checks: LoadedCheck[];
  try {
    checks = await loadChecks(builtinChecks, config.plugins);
  } catch (err) {
    fail(io, 'cannot load checks', describe(err, secrets));
  }
  return { config, checks, secrets };
}

/**
 * The check sections' own problems when the config failed elsewhere (a store or run setting), so
 * one round lists both. Every store counts as configured here: the stores' errors are listed already.
 */
async function checkSectionProblems(part: LoadResult['checksOnly']): Promise<ConfigIssue[]> {
  if (!part) return [];
  try {
    const checks = await loadChecks(builtinChecks, part.plugins);
    const everyStore = Object.fromEntries(STORE_KINDS.map((kind) => [kind, {}])) as ResolvedConfig['stores'];
    return planAudit({ ...part, stores: everyStore }, checks, {}).errors.filter((e) => e.path.startsWith('checks.'));
  } catch {
    return []; // a plugin that does not load is reported on its own once the rest of the config loads
  }
}

function useColor(flags: CommonFlags, io: CliIO, toFile: boolean): boolean {
  if (flags.color === false || toFile) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return Boolean(io.stdout.isTTY);
}

async function audit(flags: AuditFlags, io: CliIO): Promise<number> {
  // An empty list must not read as "no filter": the user meant some checks and named none (a
  // `--skip "$SKIP"` with an unset variable skips nothing while the user thinks it skipped some).
  for (const [flag, value] of [
    ['--only', flags.only],
    ['--skip', flags.skip],
  ] as const) {
    if (value !== undefined && !commaList(value)?.length) {
      fail(
        io,
        'invalid option',
        `${flag} ${JSON.stringify(value)} names no check: give check ids separated by commas (dbcheck checks lists them)`,
      );
    }
  }
  const { config, checks: loaded, secrets } = await setup(flags, io);
  // A stray error thrown by a check's own timer or promise fails that check, not the run.
  const strays = new StrayErrors(secrets);
  const checks = loaded.map((l) => ({ ...l, check: strays.guard(l.check) }));
  const { plan, errors } = planAudit(config, checks, { only: commaList(flags.only), skip: commaList(flags.skip) });
  if (errors.length) fail(io, 'invalid config', errors);
  // Before any store is touched: a long audit must not end in "cannot write".
  const outputFile = flags.output === undefined ? undefined : path.resolve(io.cwd, flags.output);
  const badOutput = outputFile && outputProblem(outputFile);
  if (badOutput) fail(io, 'invalid option', `--output ${flags.output}: ${badOutput}`);
  const reports = parseReportFlags(flags.report, io.cwd);
  if ('problem' in reports) fail(io, 'invalid option', reports.problem);
  const minConsistency = parseMinConsistency(flags.minConsistency);
  if ('problem' in minConsistency) fail(io, 'invalid option', minConsistency.problem);
  if (flags.failOnNew && !flags.baseline) fail(io, 'invalid option', '--fail-on-new needs --baseline FILE');
  let baseline: ReturnType<typeof readBaseline> | undefined;
  try {
    baseline = flags.baseline === undefined ? undefined : readBaseline(path.resolve(io.cwd, flags.baseline));
  } catch (err) {
    fail(io, 'invalid option', describe(err, secrets));
  }

  const progress = progressPrinter(flags.progress, io.stderr, io.env);
  if (io.strays) io.strays.target = (err) => strays.handle(err);
  let report: Report;
  try {
    report = await runAudit({
      config,
      plan,
      signal: io.signal,
      onProgress: progress && ((e) => progress.onEvent(e)),
      // Through the progress printer when there is one: a debug line must not break its live lines.
      log: flags.verbose ? (line) => (progress ? progress.log(redact(line, secrets)) : say(io, line, secrets)) : undefined,
      version: toolVersion(),
      strays,
    });
  } finally {
    progress?.stop();
    if (io.strays) io.strays.target = undefined;
  }
  if (baseline) {
    applyBaseline(report, baseline, { failOnNew: Boolean(flags.failOnNew) });
    report.exitCode = exitCodeFor(report);
  }
  applyConsistency(report, minConsistency.value);
  let exitCode = report.exitCode;
  const text = render(report, flags.format, {
    color: useColor(flags, io, Boolean(outputFile)),
    width: tableWidth(io, Boolean(outputFile)),
  });
  if (!writeReport(io, text, outputFile, flags.output) && (exitCode === EXIT.OK || exitCode === EXIT.FINDINGS)) exitCode = EXIT.INCOMPLETE;
  for (const line of writeReports(report, reports.targets, io.cwd)) {
    say(io, `dbcheck: ${line}`, secrets);
    if (exitCode === EXIT.OK || exitCode === EXIT.FINDINGS) exitCode = EXIT.INCOMPLETE;
  }
  // One line per problem on stderr, whatever the format: a cron log shows why a run is incomplete.
  for (const line of problemLines(report)) say(io, `dbcheck: ${line}`, secrets);
  return exitCode;
}

/**
 * The width the table fits: the terminal's on a TTY, else COLUMNS when set (a CI log viewer), else
 * none (a file or pipe keeps whole box rows for grep and diff).
 */
function tableWidth(io: CliIO, toFile: boolean): number | undefined {
  if (!toFile && io.stdout.isTTY && io.stdout.columns) return io.stdout.columns;
  const columns = Number(io.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

/**
 * Writes the report to --output, or stdout. When the file cannot be written, the report is not lost:
 * it goes to stdout, and false says the run did not end as asked (3, unless 130/143 or 2 outranks it).
 */
function writeReport(io: CliIO, text: string, outputFile: string | undefined, asGiven: string | undefined): boolean {
  if (!outputFile) {
    io.stdout.write(text);
    return true;
  }
  try {
    writeAtomically(outputFile, text);
    return true;
  } catch (err) {
    say(io, `dbcheck: cannot write ${asGiven} (${(err as { code?: string }).code ?? describe(err)}): the report follows on stdout`);
    io.stdout.write(text);
    return false;
  }
}

/** A file as the user can read it: relative to the working folder when inside it, else absolute. */
function shownPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function merge(files: string[], flags: { format: Format; output?: string; color?: boolean }, io: CliIO): number {
  // Checked first, as audit does: a bad --output is a usage error, not a stack of errno text.
  const outputFile = flags.output === undefined ? undefined : path.resolve(io.cwd, flags.output);
  const badOutput = outputFile && outputProblem(outputFile);
  if (badOutput) fail(io, 'invalid option', `--output ${flags.output}: ${badOutput}`);
  const reports = files.map((f) => {
    const file = path.resolve(io.cwd, f);
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Report;
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code;
      return fail(io, 'cannot merge', `${f}: ${why ?? 'not JSON (write shard reports with --format json)'}`);
    }
  });
  let report: Report;
  try {
    // Reports written before they carried their stat rules merge by the built-ins' declarations.
    const builtinRules = Object.fromEntries(builtinChecks.map((c) => [c.meta.id, c.meta.stats]));
    report = mergeReports(reports, files, builtinRules);
  } catch (err) {
    fail(io, 'cannot merge', describe(err));
  }
  // Ratios from the summed counts (each shard's own would be shard 0's after the merge).
  applyConsistency(report, reports[0].minConsistency);
  const text = render(report, flags.format, { color: useColor(flags, io, flags.output !== undefined) });
  const written = writeReport(io, text, outputFile, flags.output);
  for (const line of problemLines(report)) say(io, `dbcheck: ${line}`);
  return !written && (report.exitCode === EXIT.OK || report.exitCode === EXIT.FINDINGS) ? EXIT.INCOMPLETE : report.exitCode;
}

async function listChecks(flags: CommonFlags & { codes?: boolean }, io: CliIO): Promise<number> {
  const { config, checks } = await setup(flags, io);
  const sorted = [...checks].sort((a, b) => a.check.meta.id.localeCompare(b.check.meta.id));
  const width = Math.max(...sorted.map((c) => c.check.meta.id.length));
  for (const { check, source } of sorted) {
    const m = check.meta;
    const stores = [...m.requires, ...(m.uses ?? []).map((s) => `${s}?`)].join(',') || '-';
    const flagsText = [
      m.optIn ? 'opt-in' : '',
      m.exclusive ? 'exclusive' : '',
      m.access === 'rollback-txn' ? 'rollback-txn' : '',
      source === 'builtin' ? '' : `plugin ${shownPath(io.cwd, source)}`,
    ]
      .filter(Boolean)
      .join(', ');
    const configured = config.checks[m.id]?.present ? 'configured' : '';
    io.stdout.write(
      `${m.id.padEnd(width)}  ${m.title}  [${stores}]${flagsText ? ` (${flagsText})` : ''}${configured ? ` ${configured}` : ''}\n`,
    );
    // A plugin's text: escaped like any text that reaches the terminal.
    if (m.description) io.stdout.write(`${''.padEnd(width)}  ${escapeControl(m.description)}\n`);
    if (flags.codes) {
      for (const [code, def] of Object.entries(m.codes))
        io.stdout.write(`${''.padEnd(width)}    ${def.severity.padEnd(5)} ${code}${def.description ? `: ${def.description}` : ''}\n`);
    }
  }
  return EXIT.OK;
}

async function validate(flags: CommonFlags & { connect?: boolean; print?: boolean }, io: CliIO): Promise<number> {
  const { config, checks } = await setup(flags, io);
  const { plan, errors } = planAudit(config, checks, {});
  if (errors.length) fail(io, 'invalid config', errors);
  // --print: the expansion on stdout; the verdict lines below go to stderr so stdout stays YAML.
  if (flags.print) io.stdout.write(expandedChecksYaml(plan));
  const verdict = flags.print ? io.stderr : io.stdout;
  const name = config.file ? shownPath(io.cwd, config.file) : '(no config file: local defaults)';
  if (flags.connect) {
    // Every check's preflight against the live stores: all problems in one round, no data read.
    const { results, stores, exitCode } = await preflightAudit({ config, plan, signal: io.signal });
    const problems = results.flatMap((r) =>
      r.problems.map((p) => ({ path: `checks.${r.checkId}${p.path ? `.${p.path}` : ''}`, message: p.message, location: p.location })),
    );
    if (problems.length) say(io, 'dbcheck: invalid config (checked against the live stores)');
    for (const p of problems) say(io, `  ${formatIssue(p)}`);
    // One line per unreachable store, then check errors that are not that store's error again.
    const said = new Set<string>();
    for (const st of stores) if (st.error) said.add(st.error.message);
    for (const m of said) say(io, `dbcheck: ${m}`);
    for (const r of results) if (r.error && !said.has(r.error.message)) say(io, `dbcheck: ${r.checkId}: ${r.error.message}`);
    if (exitCode !== EXIT.OK) return exitCode;
    const reached = stores.filter((st) => st.connected).map((st) => st.kind);
    const checked = results.map((r) => r.checkId);
    verdict.write(
      `${name}: valid (against the live stores: ${reached.join(', ') || 'none needed'}; preflight: ${checked.join(', ') || 'none'})\n`,
    );
    return EXIT.OK;
  }
  verdict.write(`${name}: valid\n`);
  return EXIT.OK;
}
