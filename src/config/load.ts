/**
 * The one config pipeline: defaults < file < DBCHECK_* environment < flags are merged into one
 * document first (file: YAML or JSON, ${ENV} interpolated), then validated once by one schema
 * (src/config/schema.ts), so a value obeys the same rules wherever it came from. Returns
 * {config, warnings, errors} instead of throwing: the CLI prints every problem at once, exit 2.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Document } from 'yaml';
import type { Severity } from '../plugin.js';
import { STORE_DESCRIPTORS, type StoreConfigs } from '../stores/registry.js';
import { formatPath, zodIssues, type ConfigIssue, type ConfigPath } from './issues.js';
import { configFileSchema, type ConfigFile } from './schema.js';
import { didYouMean } from './suggest.js';
import { errorLine } from '../errors.js';

export interface CheckSection {
  enabled?: boolean;
  severity: Record<string, Severity | 'off'>;
  timeoutMs?: number;
  /** The check's own options (the section minus the engine's keys); validated by the check's schema. */
  options: Record<string, unknown>;
  /** True when the config file has a section for this check. */
  present: boolean;
}

export interface ResolvedConfig {
  /** Absolute path of the config file, when one was used. */
  file?: string;
  baseDir: string;
  stores: StoreConfigs;
  plugins: string[];
  run: {
    concurrency: number;
    timeoutMs?: number;
    checkTimeoutMs: number;
    failOn: Severity;
    maxFindings: number;
    shard?: { index: number; count: number };
  };
  checks: Record<string, CheckSection>;
  /** "file:line:col" of a config path, for error messages about check options. */
  locate(p: ConfigPath): string | undefined;
}

/** Command-line flags as typed: text, validated by the same schema as the file's `run:` keys. */
export interface ConfigFlags {
  concurrency?: string;
  timeout?: string;
  checkTimeout?: string;
  failOn?: string;
  maxFindings?: string;
  shard?: string;
  plugins?: string[];
}

export interface LoadResult {
  config?: ResolvedConfig;
  /**
   * With errors only outside `checks` and `plugins` (a store or run setting): those two sections,
   * so the CLI judges the check sections in the same round instead of after the first fix.
   */
  checksOnly?: Pick<ResolvedConfig, 'checks' | 'plugins' | 'locate'>;
  /** Worth saying, not worth stopping for (e.g. a misspelt DBCHECK_ variable): the CLI prints them on stderr. */
  warnings: ConfigIssue[];
  errors: ConfigIssue[];
}

const MAX_CONFIG_BYTES = 1024 * 1024;
const DEFAULT_FILES = ['dbcheck.yml', 'dbcheck.yaml', 'dbcheck.json'];

/** Where each `run:` key can also come from; an error about the value names its source. */
const RUN_ENV: Record<string, string> = {
  concurrency: 'DBCHECK_CONCURRENCY',
  timeout: 'DBCHECK_TIMEOUT_MS',
  failOn: 'DBCHECK_FAIL_ON',
  maxFindings: 'DBCHECK_MAX_FINDINGS',
  shard: 'DBCHECK_SHARD',
};
const RUN_FLAGS: Record<string, string> = {
  concurrency: '--concurrency',
  timeout: '--timeout',
  checkTimeout: '--check-timeout',
  failOn: '--fail-on',
  maxFindings: '--max-findings',
  shard: '--shard',
};
const KNOWN_ENV = ['DBCHECK_CONFIG', ...Object.values(RUN_ENV)];

export function loadConfig(opts: { file?: string; cwd?: string; env?: NodeJS.ProcessEnv; flags?: ConfigFlags } = {}): LoadResult {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const requested = opts.file ?? env.DBCHECK_CONFIG;
  const file = requested ? path.resolve(cwd, requested) : DEFAULT_FILES.map((f) => path.join(cwd, f)).find((f) => existsSync(f));

  let raw: unknown = {};
  let locate: ResolvedConfig['locate'] = () => undefined;
  if (file) {
    const read = readConfigFile(file);
    if ('errors' in read) return { errors: read.errors, warnings: [] };
    raw = read.value;
    locate = read.locate;
  }

  return resolveConfig(raw, { file, baseDir: file ? path.dirname(file) : cwd, cwd, env, flags: opts.flags, locate });
}

/** Merges the layers over an already-parsed config object (from a file, or built by tests) and validates it once. */
export function resolveConfig(
  raw: unknown,
  ctx: { file?: string; baseDir: string; cwd?: string; env?: NodeJS.ProcessEnv; flags?: ConfigFlags; locate?: ResolvedConfig['locate'] },
): LoadResult {
  const { file, baseDir } = ctx;
  const cwd = ctx.cwd ?? baseDir;
  const env = ctx.env ?? process.env;
  const flags = ctx.flags ?? {};
  const locate = ctx.locate ?? (() => undefined);
  const warnings = unknownEnvWarnings(env);
  const errors: ConfigIssue[] = [];
  raw = interpolate(raw ?? {}, env, [], errors, locate);
  if (errors.length) return { errors, warnings };

  // Merge: the file's document, with environment and flags laid over its `run:` keys, and, without
  // a file, the local default stores (from PG*/REDIS_URL/MILVUS_* variables). `sources` remembers
  // which variable or flag gave a value, so an error names it instead of a file line.
  const doc = withoutExtensionKeys(raw as Record<string, unknown>);
  const sources = new Map<string, string>();
  const run = doc.run;
  if (run === undefined || isPlainObject(run)) {
    const merged: Record<string, unknown> = { ...((run as Record<string, unknown>) ?? {}) };
    for (const [key, name] of Object.entries(RUN_ENV)) {
      if (env[name] === undefined || env[name] === '') continue;
      merged[key] = fromText(env[name]!);
      sources.set(`run.${key}`, `${name}="${env[name]}"`);
    }
    for (const [key, name] of Object.entries(RUN_FLAGS)) {
      const v = flags[key as keyof ConfigFlags];
      if (typeof v !== 'string') continue;
      merged[key] = fromText(v);
      sources.set(`run.${key}`, `${name} "${v}"`);
    }
    doc.run = merged;
  }
  if (!file && doc.stores === undefined) doc.stores = defaultStores(env, sources);

  const plugins = (list: string[] | undefined) => [
    ...(list ?? []).map((p) => path.resolve(baseDir, p)),
    ...(flags.plugins ?? []).map((p) => path.resolve(cwd, p)),
  ];
  const parsed = configFileSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, configFileSchema, [], locate).map((issue) => {
      const source = sources.get(issue.path);
      return source ? { path: source, message: issue.message } : issue;
    });
    if (issues.some((i) => /^(checks|plugins)(\.|$)/.test(i.path))) return { errors: issues, warnings };
    const part = checksAndPluginsSchema.safeParse({ checks: doc.checks, plugins: doc.plugins });
    const checksOnly = part.success ? { checks: checkSections(part.data.checks), plugins: plugins(part.data.plugins), locate } : undefined;
    return { errors: issues, warnings, ...(checksOnly ? { checksOnly } : {}) };
  }
  const config: ConfigFile = parsed.data;
  const checks = checkSections(config.checks);

  const stores = storeConfigs(config);
  if (Object.keys(stores).length === 0) {
    // Nothing to audit is a config mistake, not a pass.
    return {
      errors: [
        {
          path: 'stores',
          location: locate(['stores']) ?? locate([]),
          message: `no store is configured: add ${storeSectionList()}`,
        },
      ],
      warnings,
    };
  }

  return {
    errors: [],
    warnings,
    config: {
      file,
      baseDir,
      stores,
      plugins: plugins(config.plugins),
      run: {
        concurrency: config.run.concurrency,
        timeoutMs: config.run.timeout,
        checkTimeoutMs: config.run.checkTimeout,
        failOn: config.run.failOn,
        maxFindings: config.run.maxFindings,
        ...(config.run.shard && config.run.shard.count > 1 ? { shard: config.run.shard } : {}),
      },
      checks,
      locate,
    },
  };
}

const checksAndPluginsSchema = configFileSchema.pick({ checks: true, plugins: true });

/** The `checks:` sections as the planner reads them: options apart from enabled/severity/timeout. */
function checkSections(sections: ConfigFile['checks']): Record<string, CheckSection> {
  const checks: Record<string, CheckSection> = {};
  for (const [id, section] of Object.entries(sections ?? {})) {
    const { enabled, severity, timeout, ...options } = section ?? {};
    checks[id] = { enabled, severity: severity ?? {}, timeoutMs: timeout, options, present: true };
  }
  return checks;
}

/** A number typed as text ("5", "-4", "1.5") becomes a number, so the schema judges its value; the rest stays text. */
function fromText(v: string): unknown {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Top-level `x-...` keys are ignored: a place for YAML anchors shared with `<<:` merge keys. */
function withoutExtensionKeys(doc: Record<string, unknown>): Record<string, unknown> {
  if (!isPlainObject(doc)) return doc;
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !k.startsWith('x-')));
}

/** A DBCHECK_ variable that is almost a known one is a typo that would be silently ignored. */
function unknownEnvWarnings(env: NodeJS.ProcessEnv): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('DBCHECK_') || KNOWN_ENV.includes(name)) continue;
    const hint = didYouMean(name, KNOWN_ENV);
    if (hint) out.push({ path: name, message: `is not a dbcheck setting and is ignored${hint}` });
  }
  return out;
}

function readConfigFile(file: string): { value: unknown; locate: ResolvedConfig['locate'] } | { errors: ConfigIssue[] } {
  const name = path.basename(file);
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) return { errors: [{ path: name, message: 'is a directory, not a config file' }] };
    if (st.size > MAX_CONFIG_BYTES) return { errors: [{ path: name, message: `is ${st.size} bytes; a config file may be at most 1 MiB` }] };
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    return {
      errors: [{ path: file, message: code === 'ENOENT' ? 'config file not found' : `cannot read config file (${code ?? 'error'})` }],
    };
  }
  // An empty file would audit nothing and exit 0: a false all-clear for a cron job.
  if (text.trim() === '')
    return { errors: [{ path: name, location: `${name}:1:1`, message: 'the config file is empty (see docs/config.md)' }] };
  const lineCounter = new LineCounter();
  // JSON is YAML 1.2, so one parser serves both and gives line/column for either.
  // merge: YAML 1.1 merge keys (`<<: *defaults`), which configs with several similar sections use.
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length) {
    return {
      errors: doc.errors.slice(0, 5).map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          path: name,
          location: `${name}:${pos.line}:${pos.col}`,
          message: `invalid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${errorLine(e)}`,
        };
      }),
    };
  }
  // Points at the key of the deepest existing node on the path (where a reader would look).
  const locate = (p: ConfigPath) => {
    let node: unknown = doc.contents;
    let offset: number | undefined = (node as { range?: number[] })?.range?.[0];
    for (const step of p) {
      if (isMap(node)) {
        const pair = node.items.find((i) => (isScalar(i.key) ? i.key.value : i.key) === step);
        if (!pair) break;
        offset = (pair.key as { range?: number[] })?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof step === 'number' && node.items[step]) {
        node = node.items[step];
        offset = (node as { range?: number[] }).range?.[0] ?? offset;
      } else break;
    }
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return `${name}:${pos.line}:${pos.col}`;
  };
  let value: unknown;
  try {
    // Throws on an alias without its anchor and on alias bombs (more than maxAliasCount expansions).
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = errorLine(err);
    return { errors: [{ path: name, message: `invalid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${message}` }] };
  }
  // An alias inside its own anchor (`a: &a { b: *a }`) makes a cycle: say where, never recurse into it.
  const cycle = findCycle(value);
  if (cycle)
    return {
      errors: [
        {
          path: formatPath(cycle),
          location: locate(cycle),
          message: 'a YAML alias refers to a node that contains it (a cycle); copy the values instead',
        },
      ],
    };
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    return { errors: [{ path: name, location: `${name}:1:1`, message: 'the config must be a mapping (stores:, checks:, ...)' }] };
  }
  return { value: value ?? {}, locate };
}

/** The path to the first object that contains itself (through YAML aliases), if any. Iterative: deep documents are fine. */
function findCycle(root: unknown): ConfigPath | undefined {
  const onPath = new Set<object>();
  // Each frame: a node, its path, and its children still to visit; a node leaves the path when done.
  const stack: Array<{ node: object; at: ConfigPath; children: Array<[string | number, unknown]> }> = [];
  const enter = (node: unknown, at: ConfigPath): ConfigPath | undefined => {
    if (typeof node !== 'object' || node === null) return undefined;
    if (onPath.has(node)) return at;
    onPath.add(node);
    stack.push({ node, at, children: Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node) });
    return undefined;
  };
  let found = enter(root, []);
  while (!found && stack.length) {
    const top = stack[stack.length - 1];
    const next = top.children.shift();
    if (!next) {
      onPath.delete(top.node);
      stack.pop();
    } else found = enter(next[1], [...top.at, next[0]]);
  }
  return found;
}

/** Replaces ${VAR} and ${VAR:-default} in every string value; secrets stay in the environment. */
function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  at: ConfigPath,
  errors: ConfigIssue[],
  locate: ResolvedConfig['locate'],
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def?: string) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (def !== undefined) return def;
      errors.push({
        path: formatPath(at),
        location: locate(at),
        message: `environment variable ${name} is not set (use \${${name}:-default} for a default)`,
      });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...at, i], errors, locate));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, [...at, k], errors, locate);
    return out;
  }
  return value;
}

/** The validated store sections, as each store's descriptor turns them into its connector's config. */
function storeConfigs(file: ConfigFile): StoreConfigs {
  const out: Record<string, unknown> = {};
  const sections = (file.stores ?? {}) as Record<string, unknown>;
  for (const d of STORE_DESCRIPTORS) if (sections[d.kind]) out[d.kind] = d.toConfig(sections[d.kind]);
  return out as StoreConfigs;
}

/** "stores.postgres, stores.redis and/or stores.milvus" */
function storeSectionList(): string {
  const names = STORE_DESCRIPTORS.map((d) => `stores.${d.kind}`);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and/or ${names[names.length - 1]}` : names.join('');
}

/**
 * Without a config file: each store's local defaults, overridable by the usual variables (its
 * descriptor says which). They go through the same schema; `sources` makes an error name the
 * variable (PGPORT=abc).
 */
function defaultStores(env: NodeJS.ProcessEnv, sources: Map<string, string>): Record<string, unknown> {
  const read = (key: string, name: string, fallback?: unknown) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    sources.set(key, name);
    return key.endsWith('.port') ? fromText(v) : v;
  };
  const withoutUnset = (section: Record<string, unknown>) => Object.fromEntries(Object.entries(section).filter(([, v]) => v !== undefined));
  return Object.fromEntries(STORE_DESCRIPTORS.map((d) => [d.kind, withoutUnset(d.environmentDefaults(env, read))]));
}
