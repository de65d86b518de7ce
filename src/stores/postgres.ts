/**
 * Postgres connector: a pg Pool whose every session is read-only, with statement and lock
 * timeouts, behind the PostgresReader interface. Cancelling a call (AbortSignal) also cancels the
 * statement on the server, so no work is left running on production.
 */
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import { DbcheckError, storeError, type StoreErrorCode } from '../errors.js';
import { redact, registerSecret } from '../redact.js';
import type {
  CallOptions,
  LoadPoolOptions,
  PostgresLoadPool,
  PostgresReader,
  PostgresServerInfo,
  QueryResult,
  RollbackTransactionRunner,
  SqlRunner,
} from './types.js';

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
}

export interface PostgresStore {
  reader: PostgresReader;
  rollback: RollbackTransactionRunner;
  close(): Promise<void>;
}

const LABEL = 'Postgres';

/**
 * A checked-out pg client emits 'error' when its socket dies (server stopped, network cut), and
 * pg-pool listens only on idle clients: without a listener Node would crash. The failure still
 * reaches the caller through the rejected query or cursor read.
 */
const swallowSocketError = () => {};
function guardCheckedOut<C extends pg.PoolClient | pg.Client>(client: C): C {
  if (!client.listeners('error').includes(swallowSocketError)) client.on('error', swallowSocketError);
  return client;
}

/** Maps a server error (SQLSTATE) or network error to a store error code. */
function classifyPgError(err: unknown): StoreErrorCode | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return undefined;
  if (code === '28P01' || code === '28000') return 'STORE_AUTH';
  if (code === '3D000' || code === '42P01' || code === '42703' || code === '3F000') return 'STORE_MISSING_OBJECT';
  if (code === '57014' || code === '55P03') return 'STORE_TIMEOUT'; // statement / lock timeout
  if (/^[0-9A-Z]{5}$/.test(code)) return 'STORE_ERROR';
  return undefined;
}

function describeAddress(cfg: PostgresStoreConfig): string {
  if (cfg.url) {
    try {
      const u = new URL(cfg.url);
      u.password = '';
      return redact(`${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`);
    } catch {
      return 'postgres://(unparseable url)';
    }
  }
  const user = cfg.user ? `${cfg.user}@` : '';
  return `postgres://${user}${cfg.host ?? '127.0.0.1'}:${cfg.port ?? 5432}/${cfg.database ?? ''}`;
}

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
function clientConfig(cfg: PostgresStoreConfig, over: { readOnly: boolean; statementTimeoutMs?: number; applicationName?: string; database?: string }): pg.ClientConfig {
  const statementTimeout = over.statementTimeoutMs ?? cfg.statementTimeoutMs ?? 60_000;
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
    connectionTimeoutMillis: cfg.connectTimeoutMs ?? 10_000,
    keepAlive: true,
  };
}

export async function connectPostgres(cfg: PostgresStoreConfig, opts: CallOptions = {}): Promise<PostgresStore> {
  registerSecret(cfg.password);
  if (cfg.url) {
    try {
      registerSecret(decodeURIComponent(new URL(cfg.url).password));
    } catch {
      /* reported on connect */
    }
  }
  const address = describeAddress(cfg);
  const fail = (err: unknown) => storeError(LABEL, address, err, classifyPgError(err));

  const pool = new pg.Pool({ ...clientConfig(cfg, { readOnly: true }), max: cfg.poolMax ?? 4, idleTimeoutMillis: 10_000 });
  // An idle client that loses its server emits 'error' on the pool; without a listener Node crashes.
  pool.on('error', () => {});
  const closers = new Set<() => Promise<void>>();

  let info: PostgresServerInfo;
  try {
    if (opts.signal?.aborted) throw new DbcheckError('CANCELLED', 'cancelled');
    const r = await pool.query(
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num, current_database() AS db, current_user AS usr",
    );
    const row = r.rows[0];
    info = { version: String(row.version).split(' ')[0], versionNum: row.num, database: row.db, user: row.usr };
  } catch (err) {
    await pool.end().catch(() => {});
    throw fail(err);
  }

  const runner = (acquire: () => Promise<pg.PoolClient | pg.Client>, release: (c: pg.PoolClient | pg.Client, err?: unknown) => void): SqlRunner => ({
    async query<R>(sql: string, params?: unknown[], callOpts: CallOptions = {}): Promise<QueryResult<R>> {
      const client = await acquire().catch((e) => { throw fail(e); });
      const stopCancel = cancelOnAbort(client, cfg, callOpts.signal);
      try {
        const r = await client.query(sql, params as unknown[]);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
      } catch (err) {
        throw callOpts.signal?.aborted ? new DbcheckError('CANCELLED', 'cancelled') : fail(err);
      } finally {
        stopCancel();
        release(client);
      }
    },
    cursor<R>(sql: string, params?: unknown[], callOpts: CallOptions & { batchSize?: number } = {}): AsyncIterable<R[]> {
      return {
        async *[Symbol.asyncIterator]() {
          const client = await acquire().catch((e) => { throw fail(e); });
          const stopCancel = cancelOnAbort(client, cfg, callOpts.signal);
          const cursor = client.query(new Cursor(sql, params as unknown[]));
          let broken: unknown;
          try {
            for (;;) {
              const rows = await cursor.read(callOpts.batchSize ?? 10_000);
              if (rows.length === 0) break;
              yield rows as R[];
            }
          } catch (err) {
            broken = err;
            throw callOpts.signal?.aborted ? new DbcheckError('CANCELLED', 'cancelled') : fail(err);
          } finally {
            stopCancel();
            // A cursor whose connection died waits for a ReadyForQuery that never comes: only close
            // it on a live connection (a broken client is destroyed on release anyway).
            if (!broken) await cursor.close().catch(() => {});
            release(client, broken);
          }
        },
      };
    },
    copyOut(selectSql: string, callOpts: CallOptions = {}): AsyncIterable<Buffer> {
      return {
        async *[Symbol.asyncIterator]() {
          const client = await acquire().catch((e) => { throw fail(e); });
          const stopCancel = cancelOnAbort(client, cfg, callOpts.signal);
          const stream = client.query(copyStreams.to(`COPY (${selectSql}) TO STDOUT`));
          let broken: unknown;
          try {
            for await (const chunk of stream) yield chunk as Buffer;
          } catch (err) {
            broken = err;
            throw callOpts.signal?.aborted ? new DbcheckError('CANCELLED', 'cancelled') : fail(err);
          } finally {
            stopCancel();
            if (!stream.readableEnded && !broken) {
              // The consumer stopped early: the connection is mid-COPY and cannot be reused.
              broken = new Error('copy abandoned');
              stream.destroy();
            }
            release(client, broken);
          }
        },
      };
    },
  });

  const pooled = runner(
    () => pool.connect().then(guardCheckedOut),
    (c, err) => (c as pg.PoolClient).release(err ? (err as Error) : undefined),
  );

  const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

  const reader: PostgresReader = {
    kind: 'postgres',
    address,
    info,
    ...pooled,
    quoteIdent,
    quoteTable: (table, schema) => (schema ? `${quoteIdent(schema)}.${quoteIdent(table)}` : quoteIdent(table)),
    async withSnapshot(fn, callOpts = {}) {
      const client = await pool.connect().then(guardCheckedOut).catch((e) => { throw fail(e); });
      // Set when a stream inside the snapshot was abandoned mid-COPY or its connection died: such a
      // connection never answers a ROLLBACK, so it is destroyed instead (the server then rolls back).
      let unusable: unknown;
      let failed: unknown;
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const session = runner(async () => client, (_c, err) => { unusable ??= err; });
        return await fn(session);
      } catch (err) {
        failed = err;
        throw err;
      } finally {
        if (!unusable) await client.query('ROLLBACK').catch((e) => { unusable = e; });
        client.release(unusable ? (unusable as Error) : failed ? (failed as Error) : undefined);
        void callOpts;
      }
    },
    createLoadPool(o: LoadPoolOptions) {
      const lp = createLoadPool(cfg, o);
      closers.add(lp.close);
      return lp;
    },
  };

  const rollback: RollbackTransactionRunner = {
    async run(fn, o = {}) {
      const client = new pg.Client({
        ...clientConfig(cfg, { readOnly: false, database: o.database, applicationName: 'dbcheck-rollback-dry-run' }),
      });
      client.on('error', () => {});
      try {
        await client.connect();
      } catch (err) {
        throw fail(err);
      }
      const stopCancel = cancelOnAbort(client, cfg, o.signal);
      let unusable: unknown;
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs ?? cfg.lockTimeoutMs ?? 5_000))}`);
        const tx = runner(async () => client, (_c, err) => { unusable ??= err; });
        return await fn(tx);
      } finally {
        // Always roll back: the dry-run proves things, it never keeps them. A connection left
        // mid-COPY or dead cannot take a ROLLBACK: closing it rolls the transaction back.
        if (!unusable) await client.query('ROLLBACK').catch(() => {});
        stopCancel();
        await client.end().catch(() => {});
      }
    },
  };

  return {
    reader,
    rollback,
    async close() {
      await Promise.allSettled([...closers].map((c) => c()));
      await pool.end().catch(() => {});
    },
  };
}

/**
 * When the signal aborts, asks the server to cancel the statement running on this client
 * (pg_cancel_backend over a separate connection, which is what psql's Ctrl-C does).
 */
function cancelOnAbort(client: pg.PoolClient | pg.Client, cfg: PostgresStoreConfig, signal?: AbortSignal): () => void {
  if (!signal) return () => {};
  const pid = (client as unknown as { processID?: number }).processID;
  const onAbort = () => {
    if (!pid) return;
    const c = new pg.Client(clientConfig(cfg, { readOnly: true, applicationName: 'dbcheck-cancel' }));
    c.on('error', () => {});
    c.connect()
      .then(() => c.query('SELECT pg_cancel_backend($1)', [pid]))
      .catch(() => {})
      .finally(() => c.end().catch(() => {}));
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/**
 * A pool for load generation. With `prepare`, every distinct SQL text gets a statement name
 * (dbcheck_load_1, _2, ...) and is sent as a named statement with array rows: each connection
 * parses and plans it once, then only binds and executes, as an app's ORM does with its hot query.
 */
function createLoadPool(cfg: PostgresStoreConfig, o: LoadPoolOptions): PostgresLoadPool {
  const applicationName = `dbcheck${o.applicationNameSuffix ? `-${o.applicationNameSuffix}` : ''}`.slice(0, 63);
  const pool = new pg.Pool({
    ...clientConfig(cfg, { readOnly: true, statementTimeoutMs: o.statementTimeoutMs, applicationName }),
    max: o.max,
    connectionTimeoutMillis: o.acquireTimeoutMs,
    idleTimeoutMillis: 5_000,
  });
  pool.on('error', () => {});
  const statementNames = new Map<string, string>();
  // pg accepts a query config object wherever it accepts text: the same call serves both modes.
  const toQuery = (sql: string, params?: unknown[]): pg.QueryConfig | pg.QueryArrayConfig => {
    if (!o.prepare) return { text: sql, values: params };
    let name = statementNames.get(sql);
    if (!name) statementNames.set(sql, (name = `dbcheck_load_${statementNames.size + 1}`));
    return { name, text: sql, values: params, rowMode: 'array' };
  };
  const result = (r: pg.QueryResult | pg.QueryArrayResult) => ({ rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? r.rows.length });
  const query = async (sql: string, params?: unknown[]) => result(await pool.query(toQuery(sql, params) as pg.QueryConfig));
  return {
    applicationName,
    query,
    async acquire() {
      const client = guardCheckedOut(await pool.connect());
      return {
        query: async (sql: string, params?: unknown[]) => result(await client.query(toQuery(sql, params) as pg.QueryConfig)),
        release: () => client.release(),
      };
    },
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      if (!pool.ended) await pool.end().catch(() => {});
    },
  };
}
