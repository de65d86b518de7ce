/**
 * What every Postgres session of dbcheck starts with, shared by the connector (audits) and the load
 * pool (pool-stress): the store's settings, the session options (read-only, timeouts, TLS,
 * application_name) and the client-side deadline's error.
 */
import type pg from 'pg';

export interface PostgresStoreConfig {
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** disable | prefer | require | verify-ca | verify-full */
  sslmode?: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  sslrootcert?: string;
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  connectTimeoutMs?: number;
  poolMax?: number;
  applicationName?: string;
  /**
   * How long past its statement_timeout a statement may keep the server silent before dbcheck
   * gives up on the connection (default 5000 ms). Not in the config file: tests shorten it.
   */
  deadlineGraceMs?: number;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000;
export const DEFAULT_DEADLINE_GRACE_MS = 5_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** A deadline passed and the connection was destroyed (code ETIMEDOUT: storeError says "timed out"). */
export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number, why: string) {
    super(`no answer from the server within ${ms} ms (${why}); connection closed`);
  }
}
export const isDeadline = (err: unknown): err is DeadlineError => err instanceof DeadlineError;

function sslOption(cfg: PostgresStoreConfig): pg.ClientConfig['ssl'] {
  switch (cfg.sslmode) {
    case undefined:
    case 'disable':
      return false;
    case 'prefer': // pg has no "try TLS, fall back": treat as require-without-verification
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return { rejectUnauthorized: true, ...(cfg.sslrootcert ? { ca: cfg.sslrootcert } : {}) };
  }
}

/** Builds pg client settings: read-only sessions with timeouts, set at connection start. */
export function clientConfig(
  cfg: PostgresStoreConfig,
  over: { readOnly: boolean; statementTimeoutMs?: number; applicationName?: string; database?: string },
): pg.ClientConfig {
  const statementTimeout = over.statementTimeoutMs ?? cfg.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const options = [
    `-c default_transaction_read_only=${over.readOnly ? 'on' : 'off'}`,
    `-c statement_timeout=${statementTimeout}`,
    `-c lock_timeout=${cfg.lockTimeoutMs ?? 5_000}`,
    `-c idle_in_transaction_session_timeout=${Math.max(statementTimeout * 2, 60_000)}`,
  ].join(' ');
  const base: pg.ClientConfig = cfg.url
    ? { connectionString: cfg.url }
    : { host: cfg.host ?? '127.0.0.1', port: cfg.port ?? 5432, user: cfg.user, password: cfg.password, database: cfg.database };
  return {
    ...base,
    ...(over.database ? { database: over.database } : {}),
    ssl: sslOption(cfg),
    options,
    application_name: over.applicationName ?? cfg.applicationName ?? 'dbcheck',
    connectionTimeoutMillis: cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: true,
  };
}
