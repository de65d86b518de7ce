/**
 * Postgres connector: a pg Pool whose every session is read-only, with statement and lock
 * timeouts, behind the PostgresReader interface. Cancelling a call (AbortSignal) also cancels the
 * statement on the server, so no work is left running on production.
 */
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import { DbcheckError, storeError, type StoreErrorCode } from '../../errors.js';
import { redact } from '../../redact.js';
import type {
  CallOptions,
  LoadPoolOptions,
  LoadPoolRow,
  PostgresLoadPool,
  PostgresLoadTarget,
  PostgresReader,
  PostgresServerInfo,
  QueryResult,
  RollbackTransactionRunner,
  SqlRunner,
} from '../types.js';
import { pgDriver, type PostgresDriver } from './driver.js';
import { openPostgresLoadPool } from './load-pool.js';
import {
  clientConfig,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DEADLINE_GRACE_MS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  DeadlineError,
  isDeadline,
  type PostgresStoreConfig,
} from './session.js';

export type { PostgresStoreConfig } from './session.js';

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

/**
 * Client-side deadlines. statement_timeout is enforced by the server: a server that is frozen
 * (SIGSTOP, a hung VM, a black-holed route) never enforces it, and a bare socket read waits for
 * ever. So every wait for the server — one query, one cursor read, one chunk of a COPY — has a
 * deadline of the session's statement_timeout plus a grace; past it the connection is destroyed
 * (the only way to stop waiting on it) and the call fails with STORE_TIMEOUT.
 *
 * Streams are bounded per wait, not in total: a COPY of 10M ids is one long statement, and its
 * deadline is "no bytes for statement_timeout + grace" while the reader asks for the next chunk
 * (time the consumer spends on a chunk does not count). The server still ends the statement at
 * statement_timeout, as always.
 */

/** The statement_timeout a session runs with; it follows `SET [LOCAL] statement_timeout` sent through it. */
interface SessionTimeout {
  /** 0 = no statement_timeout, hence no deadline (the check's timeout still applies). */
  statementTimeoutMs: number;
}

const SET_STATEMENT_TIMEOUT = /^\s*SET\s+(?:LOCAL\s+|SESSION\s+)?statement_timeout\s*(?:=|TO)\s*'?\s*(\d+)\s*(ms|s|min|h)?\s*'?\s*;?\s*$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };

/** After a successful statement: if it set statement_timeout, the session's deadline follows it. */
function followStatementTimeout(sql: string, session: SessionTimeout | undefined, base: number): void {
  if (!session || !/statement_timeout/i.test(sql) || !/^\s*SET\b/i.test(sql)) return;
  const m = SET_STATEMENT_TIMEOUT.exec(sql);
  if (m) session.statementTimeoutMs = Number(m[1]) * UNIT_MS[(m[2] ?? 'ms').toLowerCase()]!;
  else if (/\bDEFAULT\b/i.test(sql)) session.statementTimeoutMs = base;
  else session.statementTimeoutMs = 0; // a form not understood here: no deadline rather than a wrong one
}

/** Closes the socket at once: no Terminate message, no wait for a server that may never answer. */
function destroyConnection(client: pg.PoolClient | pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * Waits for work, but no longer than ms: then destroys the client's connection and rejects with a
 * deadline error. ms undefined or 0: no deadline.
 */
async function withinDeadline<T>(work: Promise<T>, client: pg.PoolClient | pg.Client, ms: number | undefined, why: string): Promise<T> {
  if (!ms) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      destroyConnection(client);
      reject(new DeadlineError(ms, why));
    }, ms);
  });
  work.catch(() => {}); // its late rejection (the destroyed connection) is not news
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
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

/** `driver` is node-postgres unless a test passes a fake (see driver.ts). */
export async function connectPostgres(
  cfg: PostgresStoreConfig,
  opts: CallOptions & { driver?: PostgresDriver } = {},
): Promise<PostgresStore> {
  const driver = opts.driver ?? pgDriver;
  if (cfg.url) {
    // The config schema rejects these already; a direct caller gets the same config error as Redis's.
    try {
      decodeURIComponent(new URL(cfg.url).password);
    } catch {
      throw new DbcheckError('CONFIG', 'stores.postgres.url is not a valid URL');
    }
  }
  const address = describeAddress(cfg);
  const fail = (err: unknown) => storeError(LABEL, address, err, classifyPgError(err));

  const baseStatementTimeoutMs = cfg.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const graceMs = cfg.deadlineGraceMs ?? DEFAULT_DEADLINE_GRACE_MS;
  const connectTimeoutMs = cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

  // pg-pool applies its connectionTimeoutMillis to waiting for a free connection too: a check
  // queued behind long scans would fail as "timed out" although the server is fine. So the pool
  // waits without a limit (the check's timeout and abort still apply) and each new connection
  // carries connectTimeout itself (pg.Client bounds TCP connect, TLS and login with it).
  class ConnectBoundedClient extends driver.Client {
    constructor(config?: pg.ClientConfig) {
      // pg-pool keeps the password as a non-enumerable property, which a spread would drop.
      super({ ...config, password: config?.password, connectionTimeoutMillis: connectTimeoutMs });
    }
  }
  const pool = new driver.Pool({
    ...clientConfig(cfg, { readOnly: true }),
    connectionTimeoutMillis: 0,
    Client: ConnectBoundedClient,
    max: cfg.poolMax ?? 4,
    idleTimeoutMillis: 10_000,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener Node crashes.
  pool.on('error', () => {});
  const closers = new Set<() => Promise<void>>();
  /** Runs one statement on client within the session's deadline (see "Client-side deadlines"). */
  const bounded = <T>(client: pg.PoolClient | pg.Client, work: Promise<T>, session: SessionTimeout): Promise<T> =>
    withinDeadline(
      work,
      client,
      session.statementTimeoutMs > 0 ? session.statementTimeoutMs + graceMs : undefined,
      `statement_timeout ${session.statementTimeoutMs} ms + ${graceMs} ms grace`,
    );

  let info: PostgresServerInfo;
  try {
    if (opts.signal?.aborted) throw new DbcheckError('CANCELLED', 'cancelled');
    const client = guardCheckedOut(await pool.connect());
    let lost: unknown;
    try {
      // Part of connecting: a server that accepts and then never answers fails within connectTimeout.
      const r = await withinDeadline(
        client.query(
          "SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num, current_database() AS db, current_user AS usr",
        ),
        client,
        connectTimeoutMs,
        `connectTimeout ${connectTimeoutMs} ms`,
      ).catch((e) => {
        lost = e;
        throw e;
      });
      const row = r.rows[0];
      info = { version: String(row.version).split(' ')[0], versionNum: row.num, database: row.db, user: row.usr };
    } finally {
      client.release(lost ? (lost as Error) : undefined);
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw fail(err);
  }

  /**
   * The SQL methods over one way to get a connection. `session` is the statement_timeout the
   * connection runs with; a transaction's runner follows the `SET LOCAL statement_timeout` sent
   * through it (`follow`), the pool's runner does not (each query may get another connection).
   * `release` gets an error when the connection cannot be used again (dead, mid-COPY, destroyed).
   */
  const runner = (
    acquire: () => Promise<pg.PoolClient | pg.Client>,
    release: (c: pg.PoolClient | pg.Client, err?: unknown) => void,
    session: SessionTimeout,
    follow = false,
  ): SqlRunner => ({
    async query<R>(sql: string, params?: unknown[], callOpts: CallOptions = {}): Promise<QueryResult<R>> {
      const client = await acquire().catch((e) => {
        throw fail(e);
      });
      const stopCancel = cancelOnAbort(driver, client, cfg, callOpts.signal);
      let lost: unknown;
      try {
        const r = await bounded(client, client.query(sql, params as unknown[]), session);
        followStatementTimeout(sql, follow ? session : undefined, baseStatementTimeoutMs);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
      } catch (err) {
        if (isDeadline(err)) lost = err;
        throw callOpts.signal?.aborted ? new DbcheckError('CANCELLED', 'cancelled') : fail(err);
      } finally {
        if (stopCancel()) lost ??= new Error('dropped after the abort');
        release(client, lost);
      }
    },
    cursor<R>(sql: string, params?: unknown[], callOpts: CallOptions & { batchSize?: number } = {}): AsyncIterable<R[]> {
      return {
        async *[Symbol.asyncIterator]() {
          const client = await acquire().catch((e) => {
            throw fail(e);
          });
          const stopCancel = cancelOnAbort(driver, client, cfg, callOpts.signal);
          const cursor = client.query(new Cursor(sql, params as unknown[]));
          let broken: unknown;
          try {
            for (;;) {
              // Each read is one round trip: its own deadline.
              const rows = await bounded(client, cursor.read(callOpts.batchSize ?? 10_000), session);
              if (rows.length === 0) break;
              yield rows as R[];
            }
          } catch (err) {
            broken = err;
            throw callOpts.signal?.aborted ? new DbcheckError('CANCELLED', 'cancelled') : fail(err);
          } finally {
            if (stopCancel()) broken ??= new Error('dropped after the abort');
            // A cursor whose connection died waits for a ReadyForQuery that never comes: only close
            // it on a live connection (a broken client is destroyed on release anyway).
            if (!broken)
              await bounded(client, cursor.close(), session).catch((e) => {
                broken = e;
              });
            release(client, broken);
          }
        },
      };
    },
    copyOut(selectSql: string, callOpts: CallOptions = {}): AsyncIterable<Buffer> {
      return {
        async *[Symbol.asyncIterator]() {
          const client = await acquire().catch((e) => {
            throw fail(e);
          });
          const stopCancel = cancelOnAbort(driver, client, cfg, callOpts.signal);
          const stream = client.query(copyStreams.to(`COPY (${selectSql}) TO STDOUT`));
          const chunks = stream[Symbol.asyncIterator]();
          let broken: unknown;
          try {
            for (;;) {
              // The deadline runs only while waiting for the next chunk: idle time, not total time.
              const next = await bounded(client, chunks.next(), session);
              if (next.done) break;
              yield next.value as Buffer;
            }
          } catch (err) {
            broken = err;
            throw callOpts.signal?.aborted ? new DbcheckError('CANCELLED', 'cancelled') : fail(err);
          } finally {
            if (stopCancel()) broken ??= new Error('dropped after the abort');
            if (!stream.readableEnded) {
              // The consumer stopped early, or the server stopped answering: the connection is
              // mid-COPY and cannot be reused.
              broken ??= new Error('copy abandoned');
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
    { statementTimeoutMs: baseStatementTimeoutMs },
  );

  const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

  /**
   * Ends a transaction's connection: ROLLBACK (bounded) unless the connection is unusable, in
   * which case it is closed and the server rolls back. Returns the reason it became unusable.
   */
  const rollbackOrDrop = async (client: pg.PoolClient | pg.Client, unusable: unknown): Promise<unknown> => {
    if (unusable) return unusable;
    return bounded(client, client.query('ROLLBACK'), { statementTimeoutMs: baseStatementTimeoutMs }).then(
      () => undefined,
      (e: unknown) => e,
    );
  };

  const reader: PostgresReader = {
    kind: 'postgres',
    address,
    info,
    ...pooled,
    quoteIdent,
    quoteTable: (table, schema) => (schema ? `${quoteIdent(schema)}.${quoteIdent(table)}` : quoteIdent(table)),
    async withSnapshot(fn, callOpts = {}) {
      const client = await pool
        .connect()
        .then(guardCheckedOut)
        .catch((e) => {
          throw fail(e);
        });
      // Set when a stream inside the snapshot was abandoned mid-COPY or its connection died or
      // timed out: such a connection never answers a ROLLBACK, so it is destroyed instead (the
      // server then rolls back).
      let unusable: unknown;
      let failed: unknown;
      try {
        const session = runner(
          async () => client,
          (_c, err) => {
            unusable ??= err;
          },
          { statementTimeoutMs: baseStatementTimeoutMs },
          true,
        );
        await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        return await fn(session);
      } catch (err) {
        failed = err;
        throw err;
      } finally {
        unusable = await rollbackOrDrop(client, unusable);
        client.release(unusable ? (unusable as Error) : failed ? (failed as Error) : undefined);
        void callOpts;
      }
    },
    createLoadPool<O extends LoadPoolOptions>(o: O) {
      const lp = openPostgresLoadPool({ kind: 'postgres-load-target', store: { ...cfg }, options: o }, driver) as PostgresLoadPool<
        LoadPoolRow<O['prepare']>
      >;
      closers.add(lp.close);
      return lp;
    },
  };

  const rollback: RollbackTransactionRunner = {
    async run(fn, o = {}) {
      const client = new driver.Client({
        ...clientConfig(cfg, { readOnly: false, database: o.database, applicationName: 'dbcheck-rollback-dry-run' }),
      });
      client.on('error', () => {});
      try {
        await client.connect(); // bounded by connectionTimeoutMillis (connectTimeout)
      } catch (err) {
        throw fail(err);
      }
      const stopCancel = cancelOnAbort(driver, client, cfg, o.signal);
      let unusable: unknown;
      try {
        const tx = runner(
          async () => client,
          (_c, err) => {
            unusable ??= err;
          },
          { statementTimeoutMs: baseStatementTimeoutMs },
          true,
        );
        await tx.query('BEGIN');
        await tx.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs ?? cfg.lockTimeoutMs ?? 5_000))}`);
        return await fn(tx);
      } finally {
        // Always roll back: the dry-run proves things, it never keeps them. A connection left
        // mid-COPY, dead or timed out cannot take a ROLLBACK: closing it rolls the transaction back.
        unusable = await rollbackOrDrop(client, unusable);
        if (stopCancel()) unusable ??= new Error('dropped after the abort');
        if (unusable) destroyConnection(client);
        else await withinDeadline(client.end(), client, graceMs, `closing, ${graceMs} ms`).catch(() => {});
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
 * After an abort, how long a statement gets to end by the server's cancel before its connection is
 * dropped: a live server answers a cancel in milliseconds; a frozen one never does, and without
 * the drop the run would wait out the engine's abandon and close timers (3 s each).
 */
const CANCEL_WAIT_MS = 1_500;

/**
 * When the signal aborts, asks the server to cancel the statement running on this client
 * (pg_cancel_backend over a separate connection, which is what psql's Ctrl-C does), then, if the
 * statement has not ended CANCEL_WAIT_MS later, destroys the client's socket so the call fails at
 * once. The returned stop() says whether it did: such a connection must not be reused.
 */
function cancelOnAbort(
  driver: PostgresDriver,
  client: pg.PoolClient | pg.Client,
  cfg: PostgresStoreConfig,
  signal?: AbortSignal,
): () => boolean {
  if (!signal) return () => false;
  const pid = (client as unknown as { processID?: number }).processID;
  let dropTimer: NodeJS.Timeout | undefined;
  let dropped = false;
  const onAbort = () => {
    dropTimer = setTimeout(() => {
      dropped = true;
      destroyConnection(client);
    }, CANCEL_WAIT_MS);
    if (!pid) return;
    const c = new driver.Client(clientConfig(cfg, { readOnly: true, applicationName: 'dbcheck-cancel' }));
    c.on('error', () => {});
    // Bounded like everything else: a frozen server must not keep this side connection open.
    const ms = cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    c.connect()
      .then(() => withinDeadline(c.query('SELECT pg_cancel_backend($1)', [pid]), c, ms, `cancel request, connectTimeout ${ms} ms`))
      .then(() => withinDeadline(c.end(), c, ms, `closing, connectTimeout ${ms} ms`))
      .catch(() => destroyConnection(c));
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    clearTimeout(dropTimer);
    signal.removeEventListener('abort', onAbort);
    return dropped;
  };
}
