/**
 * Loads the config: file (YAML or JSON) -> ${ENV} interpolation -> schema -> defaults, with
 * flags > DBCHECK_* env > file > defaults. Returns {config, errors} instead of throwing, so the CLI
 * can print every problem at once and exit 2.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Document } from 'yaml';
import type { Severity } from '../plugin.js';
import { registerSecret } from '../redact.js';
import type { MilvusStoreConfig } from '../stores/milvus.js';
import type { PostgresStoreConfig } from '../stores/postgres.js';
import type { RedisStoreConfig } from '../stores/redis.js';
import type { StoreKind } from '../stores/types.js';
import { formatPath, zodIssues, type ConfigIssue, type ConfigPath } from './issues.js';
import { configFileSchema, ENGINE_CHECK_KEYS, type ConfigFile } from './schema.js';

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
  stores: { postgres?: PostgresStoreConfig; redis?: RedisStoreConfig; milvus?: MilvusStoreConfig };
  plugins: string[];
  run: { concurrency: number; timeoutMs?: number; checkTimeoutMs: number; failOn: Severity; maxFindings: number };
  checks: Record<string, CheckSection>;
  /** "file:line:col" of a config path, for error messages about check options. */
  locate(p: ConfigPath): string | undefined;
}

export interface ConfigOverrides {
  concurrency?: number;
  timeoutMs?: number;
  checkTimeoutMs?: number;
  failOn?: Severity;
  maxFindings?: number;
  plugins?: string[];
}

export interface LoadResult {
  config?: ResolvedConfig;
  errors: ConfigIssue[];
}

const MAX_CONFIG_BYTES = 1024 * 1024;
const DEFAULT_FILES = ['dbcheck.yml', 'dbcheck.yaml', 'dbcheck.json'];

export function loadConfig(opts: { file?: string; cwd?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigOverrides } = {}): LoadResult {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const requested = opts.file ?? env.DBCHECK_CONFIG;
  const file = requested ? path.resolve(cwd, requested) : DEFAULT_FILES.map((f) => path.join(cwd, f)).find((f) => existsSync(f));

  let raw: unknown = {};
  let locate: ResolvedConfig['locate'] = () => undefined;
  if (file) {
    const read = readConfigFile(file);
    if ('errors' in read) return { errors: read.errors };
    raw = read.value;
    locate = read.locate;
  }

  return resolveConfig(raw, { file, baseDir: file ? path.dirname(file) : cwd, cwd, env, overrides: opts.overrides, locate });
}

/** Validates and resolves an already-parsed config object (from a file, or built by tests). */
export function resolveConfig(
  raw: unknown,
  ctx: { file?: string; baseDir: string; cwd?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigOverrides; locate?: ResolvedConfig['locate'] },
): LoadResult {
  const { file, baseDir } = ctx;
  const cwd = ctx.cwd ?? baseDir;
  const env = ctx.env ?? process.env;
  const locate = ctx.locate ?? (() => undefined);
  const errors: ConfigIssue[] = [];
  raw = interpolate(raw, env, [], errors, locate);
  if (errors.length) return { errors };

  const parsed = configFileSchema.safeParse(raw ?? {});
  if (!parsed.success) return { errors: zodIssues(parsed.error, configFileSchema, [], locate) };
  const fileConfig: ConfigFile = parsed.data;

  const runFile = fileConfig.run ?? {};
  const o = ctx.overrides ?? {};
  const envNumber = (name: string) => (env[name] !== undefined && env[name] !== '' ? Number(env[name]) : undefined);
  const envFailOn = env.DBCHECK_FAIL_ON as Severity | undefined;
  if (envFailOn && !['error', 'warn', 'info'].includes(envFailOn)) {
    return { errors: [{ path: 'DBCHECK_FAIL_ON', message: 'must be error, warn or info' }] };
  }

  const checks: Record<string, CheckSection> = {};
  for (const [id, section] of Object.entries(fileConfig.checks ?? {})) {
    const s = section ?? {};
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) if (!(ENGINE_CHECK_KEYS as readonly string[]).includes(k)) options[k] = v;
    const engineKeys = checkEngineKeys(s, ['checks', id], errors, locate);
    checks[id] = { ...engineKeys, options, present: true };
  }
  if (errors.length) return { errors };

  const stores = resolveStores(fileConfig, env, Boolean(file) || fileConfig.stores !== undefined);
  if (file && Object.keys(stores).length === 0) {
    // Nothing to audit is a config mistake, not a pass.
    return { errors: [{ path: 'stores', location: locate(['stores']) ?? locate([]), message: 'no store is configured: add stores.postgres, stores.redis and/or stores.milvus' }] };
  }
  for (const s of Object.values(stores)) registerSecret((s as { password?: string; token?: string } | undefined)?.password);
  registerSecret(stores.milvus?.token);

  return {
    errors: [],
    config: {
      file,
      baseDir,
      stores,
      plugins: [...(fileConfig.plugins ?? []).map((p) => path.resolve(baseDir, p)), ...(o.plugins ?? []).map((p) => path.resolve(cwd, p))],
      run: {
        concurrency: o.concurrency ?? envNumber('DBCHECK_CONCURRENCY') ?? runFile.concurrency ?? 4,
        timeoutMs: o.timeoutMs ?? envNumber('DBCHECK_TIMEOUT_MS') ?? runFile.timeout,
        checkTimeoutMs: o.checkTimeoutMs ?? runFile.checkTimeout ?? 30 * 60_000,
        failOn: o.failOn ?? envFailOn ?? runFile.failOn ?? 'error',
        maxFindings: o.maxFindings ?? envNumber('DBCHECK_MAX_FINDINGS') ?? runFile.maxFindings ?? 100,
      },
      checks,
      locate,
    },
  };
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
    return { errors: [{ path: file, message: code === 'ENOENT' ? 'config file not found' : `cannot read config file (${code ?? 'error'})` }] };
  }
  // An empty file would audit nothing and exit 0: a false all-clear for a cron job.
  if (text.trim() === '') return { errors: [{ path: name, location: `${name}:1:1`, message: 'the config file is empty (see docs/config.md)' }] };
  const lineCounter = new LineCounter();
  // JSON is YAML 1.2, so one parser serves both and gives line/column for either.
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      errors: doc.errors.slice(0, 5).map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: name, location: `${name}:${pos.line}:${pos.col}`, message: `invalid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  let value: unknown;
  try {
    // Throws on an alias without its anchor and on alias bombs (more than maxAliasCount expansions).
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = String((err as Error)?.message ?? err).split('\n')[0];
    return { errors: [{ path: name, message: `invalid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${message}` }] };
  }
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    return { errors: [{ path: name, location: `${name}:1:1`, message: 'the config must be a mapping (stores:, checks:, ...)' }] };
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
  return { value: value ?? {}, locate };
}

/** Replaces ${VAR} and ${VAR:-default} in every string value; secrets stay in the environment. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, at: ConfigPath, errors: ConfigIssue[], locate: ResolvedConfig['locate']): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def?: string) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (def !== undefined) return def;
      errors.push({ path: formatPath(at), location: locate(at), message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` });
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

function checkEngineKeys(s: Record<string, unknown>, at: ConfigPath, errors: ConfigIssue[], locate: ResolvedConfig['locate']) {
  const out: { enabled?: boolean; severity: Record<string, Severity | 'off'>; timeoutMs?: number } = { severity: {} };
  if (s.enabled !== undefined) {
    if (typeof s.enabled !== 'boolean') errors.push({ path: formatPath([...at, 'enabled']), location: locate([...at, 'enabled']), message: 'must be true or false' });
    else out.enabled = s.enabled;
  }
  if (s.severity !== undefined) {
    if (!s.severity || typeof s.severity !== 'object' || Array.isArray(s.severity)) {
      errors.push({ path: formatPath([...at, 'severity']), location: locate([...at, 'severity']), message: 'must map finding codes to error, warn, info or off' });
    } else {
      for (const [code, sev] of Object.entries(s.severity)) {
        if (!['error', 'warn', 'info', 'off'].includes(sev as string)) {
          errors.push({ path: formatPath([...at, 'severity', code]), location: locate([...at, 'severity', code]), message: 'must be error, warn, info or off' });
        } else out.severity[code] = sev as Severity | 'off';
      }
    }
  }
  if (s.timeout !== undefined) {
    const m = typeof s.timeout === 'number' ? s.timeout : typeof s.timeout === 'string' ? parseDuration(s.timeout) : undefined;
    if (m === undefined) errors.push({ path: formatPath([...at, 'timeout']), location: locate([...at, 'timeout']), message: 'must be a duration like 30s or 5m' });
    else out.timeoutMs = m;
  }
  return out;
}

function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(v.trim());
  return m ? Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms']) : undefined;
}

/**
 * Stores: with a config file, exactly the stores it lists (a store it leaves out is "not
 * configured"). Without one, the three local defaults, each overridable by the usual env vars.
 */
function resolveStores(file: ConfigFile, env: NodeJS.ProcessEnv, hasFile: boolean): ResolvedConfig['stores'] {
  const out: ResolvedConfig['stores'] = {};
  const s = file.stores;
  if (hasFile && s) {
    if (s.postgres) {
      const { statementTimeout, lockTimeout, connectTimeout, ...rest } = s.postgres;
      out.postgres = { ...rest, statementTimeoutMs: statementTimeout, lockTimeoutMs: lockTimeout, connectTimeoutMs: connectTimeout };
    }
    if (s.redis) {
      const { connectTimeout, commandTimeout, ...rest } = s.redis;
      out.redis = { ...rest, connectTimeoutMs: connectTimeout, commandTimeoutMs: commandTimeout };
    }
    if (s.milvus) {
      const { callTimeout, connectTimeout, ...rest } = s.milvus;
      out.milvus = { ...rest, callTimeoutMs: callTimeout, connectTimeoutMs: connectTimeout };
    }
    return out;
  }
  if (hasFile && !s) return out;
  out.postgres = env.DATABASE_URL
    ? { url: env.DATABASE_URL }
    : {
        host: env.PGHOST ?? '127.0.0.1',
        port: env.PGPORT ? Number(env.PGPORT) : 5432,
        user: env.PGUSER ?? 'postgres',
        password: env.PGPASSWORD,
        database: env.PGDATABASE ?? 'postgres',
        sslmode: env.PGSSLMODE as PostgresStoreConfig['sslmode'],
      };
  out.redis = env.REDIS_URL ? { url: env.REDIS_URL } : { host: '127.0.0.1', port: 6379 };
  out.milvus = { address: env.MILVUS_ADDRESS ?? '127.0.0.1:19530', token: env.MILVUS_TOKEN };
  return out;
}

export const STORE_LABEL: Record<StoreKind, string> = { postgres: 'Postgres', redis: 'Redis', milvus: 'Milvus' };
