/**
 * The narrow, dbcheck-owned store interfaces that checks see.
 *
 * They expose reads only: a check given these handles has no way to write. The two
 * exceptions are explicit and separate: `createLoadPool` (pool-stress; its sessions are
 * read-only too) and `RollbackTransactionRunner` (only for checks declaring
 * access: 'rollback-txn', and always rolled back).
 */

import type { MilvusCapabilities } from './milvus/capabilities.js';

export type { MilvusCapabilities } from './milvus/capabilities.js';

export type StoreKind = 'postgres' | 'redis' | 'milvus';
export const STORE_KINDS: readonly StoreKind[] = ['postgres', 'redis', 'milvus'];

export interface CallOptions {
  /** Cancels the call; for Postgres the running statement is cancelled on the server too. */
  signal?: AbortSignal;
}

// ---------------------------------------------------------------- Postgres

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Something that runs SQL: a pooled read-only session, or one connection inside a transaction. */
export interface SqlRunner {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], opts?: CallOptions): Promise<QueryResult<R>>;
  /** Streams a SELECT through a server-side cursor, `batchSize` rows at a time. */
  cursor<R = Record<string, unknown>>(sql: string, params?: unknown[], opts?: CallOptions & { batchSize?: number }): AsyncIterable<R[]>;
  /**
   * Streams `COPY (<select>) TO STDOUT` (text format) as raw chunks: the fastest way to read
   * millions of keys. Chunks split anywhere, including mid-line: the reader must carry partial lines over.
   */
  copyOut(selectSql: string, opts?: CallOptions): AsyncIterable<Buffer>;
}

export interface PostgresServerInfo {
  version: string; // e.g. "15.19"
  versionNum: number; // server_version_num, e.g. 150019
  database: string;
  user: string;
}

export interface PostgresReader extends SqlRunner {
  readonly kind: 'postgres';
  /** Human-readable address with credentials removed, e.g. "postgres://app@db:5432/app". */
  readonly address: string;
  readonly info: PostgresServerInfo;
  /** Quotes an identifier ("my ""table"""); never interpolate config values raw into SQL. */
  quoteIdent(name: string): string;
  /** Quotes schema.table (schema optional). */
  quoteTable(table: string, schema?: string): string;
  /**
   * Runs fn on one connection inside a READ ONLY REPEATABLE READ transaction, so all of its
   * queries see one snapshot. Returns fn's result; the transaction is always ended.
   */
  withSnapshot<T>(fn: (session: SqlRunner) => Promise<T>, opts?: CallOptions): Promise<T>;
  /**
   * A separate pool for load generation (pool-stress). Sessions are read-only as well; one query
   * in flight per connection (src/stores/postgres/load-pool.ts).
   */
  createLoadPool<O extends LoadPoolOptions>(opts: O): PostgresLoadPool<LoadPoolRow<O['prepare']>>;
}

export interface LoadPoolOptions {
  max: number;
  /**
   * How long an acquire (opening a connection included) may wait before failing. 0: the wait for a
   * free connection has no limit (opening one is still bounded by the store's connect timeout).
   */
  acquireTimeoutMs: number;
  /**
   * statement_timeout of the sessions. Also the client-side deadline of each query, plus the
   * store's grace: a frozen server fails the query (connection closed) instead of holding it.
   */
  statementTimeoutMs: number;
  /** Appended to application_name so the server-side view can find this pool's sessions. */
  applicationNameSuffix?: string;
  /**
   * Send every query as a named prepared statement with array rows: parsed and planned once per
   * connection, and less client CPU per call (what an app's ORM usually does). Default false.
   */
  prepare?: boolean;
}

/** Rows come back as arrays with `prepare: true`, as objects without. */
export type LoadPoolRow<Prepare extends boolean | undefined> = Prepare extends true ? unknown[] : Record<string, unknown>;

/**
 * Where and how to open a load pool, as plain data a worker thread can receive (postMessage):
 * `openPostgresLoadPool(target)` from 'dbcheck/load' opens the same kind of pool there, with its
 * own connections. It carries the store's credentials: hand it to a worker, never print it.
 */
export interface PostgresLoadTarget {
  readonly kind: 'postgres-load-target';
  /** The store's connection settings (opaque). */
  readonly store: Readonly<Record<string, unknown>>;
  readonly options: LoadPoolOptions;
}

export interface PostgresLoadPool<Row = unknown[] | Record<string, unknown>> {
  readonly applicationName: string;
  /** This pool as a serialisable value, to open the like of it in a worker thread. */
  readonly target: PostgresLoadTarget;
  query(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
  /** Holds a connection until release() is called (used to exhaust the pool on purpose). */
  acquire(): Promise<{ query: PostgresLoadPool<Row>['query']; release(): void }>;
  stats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/** Only for checks with access 'rollback-txn': ONE transaction that is always rolled back. */
export interface RollbackTransactionRunner {
  /**
   * Opens a connection (to `database` when given, e.g. a shadow DB), BEGINs a read-write
   * transaction with lock_timeout set, runs fn, then ROLLBACKs on every path.
   */
  run<T>(fn: (tx: SqlRunner) => Promise<T>, opts?: CallOptions & { database?: string; lockTimeoutMs?: number }): Promise<T>;
}

// ---------------------------------------------------------------- Redis

/** Redis commands a check may send. Anything else is refused before it reaches the server. */
export const REDIS_READ_COMMANDS = [
  'get',
  'mget',
  'getrange',
  'strlen',
  'hgetall',
  'hget',
  'hmget',
  'hlen',
  'type',
  'ttl',
  'pttl',
  'exists',
  'scan',
  'hscan',
  'sscan',
  'zscan',
  'dbsize',
  'info',
  'ping',
  'memory',
  'object',
  'lrange',
  'llen',
  'smembers',
  'scard',
  'zrange',
  'zcard',
  'xlen',
] as const;
export type RedisReadCommand = (typeof REDIS_READ_COMMANDS)[number];

export interface RedisScanOptions extends CallOptions {
  /** SCAN MATCH glob; '*' when absent. */
  match?: string;
  /** SCAN COUNT hint, default 1000. */
  count?: number;
  /** SCAN TYPE filter (string, hash, ...). */
  type?: string;
}

export interface RedisReader {
  readonly kind: 'redis';
  readonly address: string;
  readonly db: number;
  /** Iterates the keyspace with SCAN (never KEYS), one page of keys at a time. Keys are raw bytes. */
  scan(opts?: RedisScanOptions): AsyncIterable<Buffer[]>;
  /**
   * Sends read commands in one pipeline. Each reply is [error, value]; values of string-typed
   * replies are Buffers (binary-safe). Unknown or write commands throw before anything is sent.
   */
  pipeline(
    commands: Array<[RedisReadCommand, ...(string | Buffer | number)[]]>,
    opts?: CallOptions,
  ): Promise<Array<[Error | null, unknown]>>;
  /** INFO parsed into key/value pairs (all sections unless one is named). */
  info(section?: string): Promise<Record<string, string>>;
  /** One PING; resolves to the round trip in milliseconds. */
  ping(): Promise<number>;
  /** A new, separate connection for load generation (pool-stress); read commands only. */
  createLoadConnection(opts?: { commandTimeoutMs?: number; connectionName?: string }): Promise<RedisLoadConnection>;
}

export interface RedisLoadConnection {
  readonly name: string;
  command(cmd: RedisReadCommand, ...args: (string | Buffer | number)[]): Promise<unknown>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- Milvus

export type MilvusKeyType = 'int64' | 'varchar';

export interface MilvusField {
  name: string;
  /** Milvus data type name: Int64, VarChar, FloatVector, ... */
  dataType: string;
  isPrimaryKey: boolean;
  /** Vector dimension for vector fields. */
  dim?: number;
  maxLength?: number;
}

export interface MilvusCollectionInfo {
  name: string;
  fields: MilvusField[];
  primaryKey: { name: string; type: MilvusKeyType };
  /** The collection has a dynamic field: keys outside the schema live in `$meta` (an output field). */
  dynamicField?: boolean;
}

export type MilvusLoadState = 'loaded' | 'loading' | 'not-loaded' | 'unknown';

export interface MilvusScanOptions extends CallOptions {
  /** The field to order and page by: the primary key (default) or an int64/varchar scalar field. */
  keyField?: string;
  /** Extra boolean expression ANDed into every page (e.g. `model == "v2"`). */
  filter?: string;
  partitions?: string[];
  /** Further fields to return with each row (never vectors unless you mean it). */
  outputFields?: string[];
  /** Rows per page request, default 4096, at most 16384. */
  pageSize?: number;
  /** Only keys > after (exclusive) / <= upTo (inclusive); as strings, compared in key order. */
  after?: string;
  upTo?: string;
}

export interface MilvusReader {
  readonly kind: 'milvus';
  readonly address: string;
  /** Server version string, e.g. "v2.4.5" or "milvus_lite-3.2.2". */
  version(): Promise<string>;
  /** What the server (by the version it reported at connect) does that dbcheck relies on; `notes` says what was assumed. */
  capabilities(): MilvusCapabilities;
  checkHealth(): Promise<{ healthy: boolean; reasons: string[] }>;
  listCollections(): Promise<string[]>;
  describeCollection(name: string): Promise<MilvusCollectionInfo>;
  loadState(name: string): Promise<MilvusLoadState>;
  /** count(*) with an optional filter, Strong consistency. Counts duplicate primary keys too. */
  count(collection: string, opts?: CallOptions & { filter?: string; partitions?: string[] }): Promise<number>;
  /**
   * Every row of the collection (or filter), in ascending key order (BigInt order for int64,
   * UTF-8 byte order for varchar), complete and without repeats — correct on Milvus Lite (which
   * returns query results unordered) and on real Milvus (16384 window, duplicate keys). Key values
   * are strings. Rows sharing a non-primary keyField value are all returned, adjacently; for the
   * primary key the scan returns what the server's queries show (see docs/milvus-paging.md: real
   * Milvus counts re-inserted primary keys twice but queries show one row). Every write made before
   * the scan starts is seen: on real Milvus each page and count reads at one server timestamp
   * taken as the scan starts, elsewhere each query is Strong (docs/milvus-paging.md).
   */
  scan(collection: string, opts?: MilvusScanOptions): AsyncIterable<Array<Record<string, unknown>>>;
  /** Rows whose keyField is one of keys (at most a few thousand keys per call). */
  getByKeys(
    collection: string,
    keyField: string,
    keys: string[],
    outputFields: string[],
    opts?: CallOptions,
  ): Promise<Array<Record<string, unknown>>>;
  /** Formats a literal for a filter expression: int64 as digits, varchar quoted and escaped. */
  literal(value: string, type: MilvusKeyType): string;
  /**
   * One bounded query (pool-stress's Milvus load, and to sample rows): at most `limit` rows
   * (1..16384) matching `filter` (every row when empty), in no promised order, at the collection's
   * own consistency level. Ask for vector fields only when you mean to.
   */
  query(collection: string, opts: MilvusQueryOptions): Promise<Array<Record<string, unknown>>>;
  /**
   * One read-only vector search (pool-stress's Milvus load): nq = `vectors.length` query vectors,
   * `topk` hits each, an optional filter. Resolves to the number of hits of each query vector.
   */
  search(collection: string, opts: MilvusSearchOptions): Promise<number[]>;
}

export interface MilvusQueryOptions extends CallOptions {
  filter?: string;
  limit: number;
  outputFields?: string[];
}

export interface MilvusSearchOptions extends CallOptions {
  /** The FloatVector field to search. */
  vectorField: string;
  vectors: number[][];
  topk: number;
  filter?: string;
  /** Default: the metric the field's index was built with. */
  metricType?: string;
}

export interface StoreHandles {
  postgres?: PostgresReader;
  redis?: RedisReader;
  milvus?: MilvusReader;
}

/** What the engine knows about each configured store, for checks like health. */
export interface StoreStatus {
  kind: StoreKind;
  configured: boolean;
  address?: string;
  /** Set once a connection was attempted. */
  connected?: boolean;
  connectMs?: number;
  /** Clear, redacted reason when the connection failed. */
  error?: { code: string; message: string };
}
