/**
 * The `init` command: loads the store settings (a config file, or the local defaults and
 * DATABASE_URL / REDIS_URL / MILVUS_ADDRESS), runs src/init, prints the proposal on stdout.
 * Exit 0 when every configured store was read, 3 when one could not be (the proposal still
 * covers the others), 2 for a bad config or option.
 */
import { formatIssue } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import { runInit } from '../init/index.js';
import { redact, secretsOf } from '../redact.js';
import { escapeControl } from '../report/escape.js';
import { commaList } from './flags.js';

/** Long enough for a catalog read, a sample per collection and a SCAN sample on a slow link. */
const DEFAULT_TIMEOUT_MS = 120_000;

export interface InitFlags {
  config?: string;
  timeout?: string;
  schemas?: string;
  collections?: string;
  redisMatch?: string;
}

interface InitIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal?: AbortSignal;
}

export async function initCommand(flags: InitFlags, io: InitIO, version: string): Promise<number> {
  const { config, errors, warnings } = loadConfig({ file: flags.config, cwd: io.cwd, env: io.env, flags: { timeout: flags.timeout } });
  const say = (line: string, secrets: readonly string[] = []) => io.stderr.write(`${escapeControl(redact(line, secrets))}\n`);
  for (const w of warnings) say(`dbcheck: warning: ${formatIssue(w)}`);
  if (!config) {
    say('dbcheck: invalid config');
    for (const e of errors) say(`  ${formatIssue(e)}`);
    return 2;
  }
  const secrets = secretsOf(config.stores);
  const signals = [AbortSignal.timeout(config.run.timeoutMs ?? DEFAULT_TIMEOUT_MS), ...(io.signal ? [io.signal] : [])];
  const scope = { schemas: commaList(flags.schemas), collections: commaList(flags.collections), redisMatch: flags.redisMatch };
  const { text, unread } = await runInit(config, { signal: AbortSignal.any(signals), version, scope });
  io.stdout.write(text);
  for (const u of unread) say(`dbcheck: init: ${u.kind} not read: ${u.reason}`, secrets);
  return unread.length ? 3 : 0;
}
