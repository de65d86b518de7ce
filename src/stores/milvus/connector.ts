/**
 * The Milvus connector: connects with the Node SDK and exposes the read-only MilvusReader.
 *
 * The SDK (gRPC + protobuf, heavy) is loaded with a dynamic import inside connectMilvus only, so
 * runs without Milvus never load it. Three SDK habits shape this module:
 * - it does not always throw on server errors (query() returns {status, data: []}; its retry
 *   interceptor turns UNIMPLEMENTED into an empty `{}` success), so every response's status is
 *   checked here, and a response without status means "the server does not support this";
 * - it starts connecting in the constructor, so connectPromise is awaited at once (an unawaited
 *   rejection would kill Node);
 * - it cannot cancel a call, so every call is raced against callTimeoutMs and the AbortSignal.
 * Nothing here writes: no insert/delete/load/release/flush/createIndex is ever called.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { DbcheckError, errorLine, isCoded, storeError, type StoreErrorCode } from '../../errors.js';
import { displayMilvusAddress, splitMilvusAddress } from './address.js';
import { capabilitiesFor, type MilvusCapabilities } from './capabilities.js';
import { checkFieldName, inExpr, keyComparison, milvusLiteral, rangeExpr } from './expr.js';
import {
  type AllocTimestamp,
  CUSTOMIZED_CONSISTENCY,
  sdkDriver,
  STRONG_CONSISTENCY,
  type MilvusClientLike,
  type MilvusClientOptions,
  type MilvusDriver,
} from './driver.js';
import { installExactJsonDecoding } from './json.js';
import { scanInKeyOrder, throwIfCancelled, type PagerRange, type PagerSource, type Row } from './pager.js';
import type {
  CallOptions,
  MilvusCollectionInfo,
  MilvusField,
  MilvusKeyType,
  MilvusLoadState,
  MilvusReader,
  MilvusScanOptions,
} from '../types.js';

export interface MilvusStoreConfig {
  /** host:port or a URL (http(s)://host:port); credentials inside it are never shown. */
  address: string;
  token?: string;
  username?: string;
  password?: string;
  database?: string;
  /** TLS with the system's CAs (Zilliz Cloud); implied by an https:// address or caFile. */
  ssl?: boolean;
  /** PEM file of the CA to trust instead of the system's (a self-signed server certificate). */
  caFile?: string;
  /** Client certificate and key (PEM files), for servers that demand mutual TLS (tls-mode 2). */
  certFile?: string;
  keyFile?: string;
  /** The name the server certificate is checked against, when it differs from the address's host. */
  serverName?: string;
  /** Per-call timeout, default 120000 ms (big counts on large collections take a while). */
  callTimeoutMs?: number;
  /** Connect + first GetVersion timeout, default 10000 ms. */
  connectTimeoutMs?: number;
}

export interface MilvusStore {
  reader: MilvusReader;
  close(): Promise<void>;
}

const DEFAULT_CALL_TIMEOUT_MS = 120_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_PAGE_SIZE = 4096;
/** The name under which a collection with a dynamic field returns its extra keys (one JSON object). */
const DYNAMIC_FIELD = '$meta';
/** Keys per `in [...]` query in getByKeys. */
const KEYS_PER_QUERY = 1000;
const INT64_MAX_TEXT = '9223372036854775807';
/** How long a scan waits for its read timestamp before falling back to Strong queries. */
const ALLOC_TIMESTAMP_TIMEOUT_MS = 10_000;
/** Real Milvus refuses offset + limit above 16384 (maxQueryResultWindow). */
const MAX_QUERY_LIMIT = 16_384;

interface ResStatusLike {
  code?: number | string;
  error_code?: number | string;
  reason?: string;
  detail?: string;
}

/** The SDK types omit `status` on these two answers although the server sends it. */
type VersionAnswer = { status?: ResStatusLike; version?: string };
type HealthAnswer = { status?: ResStatusLike; isHealthy?: boolean; reasons?: string[] };

function statusOk(status: ResStatusLike | undefined): boolean {
  if (!status) return false;
  const code = Number(status.code ?? 0);
  const ec = status.error_code;
  return code === 0 && (ec === undefined || ec === 0 || ec === '0' || ec === 'Success' || ec === 'SUCCESS');
}

/** Classifies a failed server status. Codes are Milvus merr codes (100 = collection not found, ...). */
function statusErrorCode(status: ResStatusLike): StoreErrorCode | 'NOT_LOADED' {
  const code = Number(status.code ?? 0);
  const text = `${status.error_code ?? ''} ${status.reason ?? ''}`;
  if (code === 100 || code === 800 || /CollectionNotExists|not exist|not found|can't find collection/i.test(text))
    return 'STORE_MISSING_OBJECT';
  if (code === 101 || /not loaded|released|call load/i.test(text)) return 'NOT_LOADED';
  if (code === 1800 || /permission|unauthenticated|authenticat|privilege/i.test(text)) return 'STORE_AUTH';
  return 'STORE_ERROR';
}

function cancelled(signal: AbortSignal): DbcheckError {
  try {
    throwIfCancelled(signal);
  } catch (err) {
    return err as DbcheckError;
  }
  return new DbcheckError('CANCELLED', 'Milvus call cancelled');
}

/**
 * Waits for an SDK promise, but no longer than timeoutMs and not past an abort. The SDK call itself
 * cannot be cancelled; its late result or rejection is ignored (race attaches a handler to it).
 */
async function bounded<T>(promise: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) {
    promise.catch(() => {});
    throw cancelled(signal);
  }
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer, timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    if (signal) {
      onAbort = () => reject(cancelled(signal));
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([promise, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** `driver` is the Milvus SDK unless a test passes a fake (see driver.ts). */
export async function connectMilvus(
  cfg: MilvusStoreConfig,
  opts: { signal?: AbortSignal; driver?: MilvusDriver } = {},
): Promise<MilvusStore> {
  const driver = opts.driver ?? sdkDriver;
  if (!cfg || typeof cfg.address !== 'string' || cfg.address.trim() === '') {
    throw new DbcheckError('CONFIG', 'Milvus: `address` is required (host:port, e.g. 127.0.0.1:19530)');
  }
  const fromUrl = splitMilvusAddress(cfg.address.trim());
  const address = displayMilvusAddress(fromUrl.address);
  const callTimeoutMs = cfg.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const connectTimeoutMs = cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

  /** Any failure as a coded store error; errors that already carry a dbcheck code pass through. */
  const fail = (err: unknown, code?: StoreErrorCode): DbcheckError => {
    if (!code && err instanceof DbcheckError) return err;
    if (!code && isCoded(err) && /^(STORE_|CANCELLED|USAGE|CONFIG)/.test(err.code)) return err as DbcheckError;
    return storeError('Milvus', address, err, code);
  };

  const tls = tlsOptions(cfg);
  // int64 inside JSON / $meta values stays exact (json.ts); never fall back to lossy parsing.
  const jsonFailure = installExactJsonDecoding();
  if (jsonFailure) {
    throw new DbcheckError('STORE_ERROR', `Milvus at ${address}: ${jsonFailure}; reinstall dbcheck with its locked dependencies (npm ci)`);
  }
  let client: MilvusClientLike & { allocTimestamp?: AllocTimestamp };
  let capabilities: MilvusCapabilities;
  try {
    client = await driver({
      address: fromUrl.address,
      token: cfg.token,
      username: cfg.username ?? fromUrl.username,
      password: cfg.password ?? fromUrl.password,
      database: cfg.database,
      ssl: cfg.ssl || tls !== undefined,
      ...(tls ? { tls } : {}),
      timeout: connectTimeoutMs, // used by the Connect RPC; raised to callTimeoutMs below
      logLevel: 'error', // the SDK logs to stdout, which belongs to the report
      telemetry: { enabled: false }, // an auditor must not phone home
    } as MilvusClientOptions);
  } catch (err) {
    throw fail(err);
  }
  try {
    await bounded(client.connectPromise, connectTimeoutMs, opts.signal);
    // Connect "succeeds" against things that are not Milvus; a real call with a status proves it.
    const v = (await bounded(client.getVersion(), connectTimeoutMs, opts.signal)) as VersionAnswer;
    if (!v?.status) throw new Error('the server did not answer GetVersion like a Milvus server');
    if (!statusOk(v.status)) {
      const code = statusErrorCode(v.status);
      throw fail(new Error(v.status.reason || String(v.status.error_code)), code === 'NOT_LOADED' ? 'STORE_ERROR' : code);
    }
    capabilities = capabilitiesFor(String(v.version ?? ''));
  } catch (err) {
    client.closeConnection().catch(() => {});
    const usingTls = Boolean(cfg.ssl || tls);
    const explained = explainConnectFailure(err, usingTls);
    if (explained) throw fail(explained.error, explained.code);
    const failure = fail(err);
    // A plain client against a TLS-only server sees only "no connection established". If the port
    // does accept TCP connections, say what is most likely wrong instead of "is it running?".
    if (!usingTls && failure.code === 'STORE_UNREACHABLE' && (await acceptsTcp(fromUrl.address, 2000))) {
      // Only a port that answers a TLS handshake gets the TLS advice; another server (Redis,
      // Postgres, a web server: a wrong port) is named as such.
      if (!(await offersTls(fromUrl.address, 2000))) {
        throw fail(
          new Error('the server accepts connections but speaks neither gRPC nor TLS: is this the Milvus port (19530 by default)?'),
          'STORE_UNREACHABLE',
        );
      }
      throw fail(
        new Error(
          'the server accepts connections but not plain (unencrypted) gRPC: it may require TLS; set ssl: true (and caFile for a private CA)',
        ),
        'STORE_TLS',
      );
    }
    throw failure;
  }
  client.timeout = callTimeoutMs;

  /** Runs one SDK call bounded by callTimeoutMs / signal, mapping every failure to a store error. */
  async function call<T>(what: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await bounded(fn(), callTimeoutMs, signal);
    } catch (err) {
      if (err instanceof TypeError) {
        // The SDK dereferences fields of an empty response (UNIMPLEMENTED turned into `{}`).
        throw fail(new Error(`${what}: unexpected or empty answer (${err.message})`), 'STORE_ERROR');
      }
      throw fail(err);
    }
  }

  /** Throws a clear store error for a failed status; `collection` makes the message specific. */
  function check(status: ResStatusLike | undefined, what: string, collection?: string): void {
    if (!status) {
      throw fail(new Error(`${what} is not supported by this server (empty answer)`), 'STORE_ERROR');
    }
    if (statusOk(status)) return;
    const reason = status.reason || status.detail || `error code ${String(status.error_code ?? status.code)}`;
    const code = statusErrorCode(status);
    const subject = collection !== undefined ? `collection "${collection}": ` : '';
    if (code === 'NOT_LOADED') {
      throw storeError(
        'Milvus',
        address,
        new Error(
          `${subject}collection is not loaded, so it cannot be queried (${reason}); dbcheck is read-only and never loads ` +
            'collections: load it (e.g. loadCollection in your app or Attu) or audit another collection',
        ),
        'STORE_ERROR',
      );
    }
    if (code === 'STORE_MISSING_OBJECT' && collection !== undefined) {
      throw storeError('Milvus', address, new Error(`collection "${collection}" does not exist (${reason})`), code);
    }
    throw storeError('Milvus', address, new Error(`${subject}${what}: ${reason}`), code);
  }

  /**
   * One status-checked query: Strong consistency, or, with `readAt`, every write before that server
   * timestamp visible (a scan's pinned read time, see readTimestamp). `limit` undefined = no limit.
   */
  async function query(
    collection: string,
    args: {
      expr: string;
      outputFields: string[];
      limit?: number;
      partitions?: string[];
      signal?: AbortSignal;
      readAt?: string;
    },
  ): Promise<Row[]> {
    const req: Record<string, unknown> = {
      collection_name: collection,
      output_fields: args.outputFields,
      consistency_level: args.readAt ? CUSTOMIZED_CONSISTENCY : STRONG_CONSISTENCY,
      timeout: callTimeoutMs,
    };
    if (args.readAt) req.guarantee_timestamp = args.readAt;
    if (args.expr) req.filter = args.expr;
    if (args.limit !== undefined) req.limit = args.limit;
    if (args.partitions?.length) req.partition_names = args.partitions;
    const res = await call('query', () => client.query(req as unknown as Parameters<MilvusClient['query']>[0]), args.signal);
    check(res?.status, 'query', collection);
    return res.data;
  }

  async function count(
    collection: string,
    opts: CallOptions & { filter?: string; partitions?: string[]; readAt?: string } = {},
  ): Promise<number> {
    // Not client.count(): it drops partition_names and throws TypeError on errors.
    requireCountStar();
    let filter = opts.filter?.trim() ?? '';
    if (!filter && opts.partitions?.length && !capabilities.partitionCountHonoured) {
      // Milvus Lite answers an unfiltered count(*) from collection statistics and ignores the
      // partitions; a filter that every row passes makes it count rows of those partitions only.
      const { name, type } = (await describeCollection(collection, opts.signal)).primaryKey;
      const v = type === 'int64' ? '0' : '""';
      filter = `${name} == ${v} || ${name} != ${v}`;
    }
    const rows = await query(collection, {
      expr: filter,
      outputFields: ['count(*)'],
      partitions: opts.partitions,
      signal: opts.signal,
      readAt: opts.readAt,
    });
    const n = Number(rows[0]?.['count(*)']);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw fail(new Error(`collection "${collection}": count(*) gave no number (${JSON.stringify(rows[0] ?? null)})`), 'STORE_ERROR');
    }
    return n;
  }

  /**
   * The time a scan reads at: a timestamp from the server's own clock, taken as the scan starts, so
   * every page and count sees every write acknowledged before it (Strong consistency's promise,
   * kept once for the scan instead of paid per query: ~200 ms of waiting per query on Milvus
   * 2.3.5). Undefined, and Strong per query, when the server has no such call (Milvus Lite) or it fails.
   */
  async function readTimestamp(signal?: AbortSignal): Promise<string | undefined> {
    if (!capabilities.pinnedReads || !client.allocTimestamp) return undefined;
    // An optional call: a server that does not answer it soon gets Strong queries instead.
    const deadlineMs = Math.min(callTimeoutMs, ALLOC_TIMESTAMP_TIMEOUT_MS);
    try {
      return await bounded(client.allocTimestamp(deadlineMs), deadlineMs, signal);
    } catch (err) {
      if (signal?.aborted) throw fail(err);
      return undefined; // Strong per query: slower, never less exact
    }
  }

  /** Exact counts (and so complete scans) need count(*), which Milvus has since 2.3.0. */
  function requireCountStar(): void {
    if (capabilities.countStar) return;
    throw fail(
      new Error(
        `server version ${capabilities.version} has no count(*) (added in Milvus 2.3.0), which dbcheck needs to count and to prove a scan complete`,
      ),
      'STORE_ERROR',
    );
  }

  async function describeCollection(name: string, signal?: AbortSignal): Promise<MilvusCollectionInfo> {
    const res = await call(
      'describeCollection',
      () => client.describeCollection({ collection_name: name, timeout: callTimeoutMs }),
      signal,
    );
    check(res?.status, 'describeCollection', name);
    const raw = (res.schema?.fields ?? []) as Array<{
      name: string;
      data_type: string | number;
      is_primary_key?: boolean;
      type_params?: Array<{ key: string; value: string }>;
    }>;
    const fields: MilvusField[] = raw.map((f) => {
      const param = (key: string) => f.type_params?.find((p) => p.key === key)?.value;
      const field: MilvusField = { name: f.name, dataType: String(f.data_type), isPrimaryKey: Boolean(f.is_primary_key) };
      const dim = param('dim');
      if (dim !== undefined) field.dim = Number(dim);
      const maxLength = param('max_length');
      if (maxLength !== undefined) field.maxLength = Number(maxLength);
      return field;
    });
    const pk = fields.find((f) => f.isPrimaryKey);
    const pkType = pk && keyTypeOf(pk);
    if (!pk || !pkType) {
      throw fail(new Error(`collection "${name}": no int64 or varchar primary key in its schema`), 'STORE_ERROR');
    }
    const dynamicField = Boolean((res.schema as { enable_dynamic_field?: boolean } | undefined)?.enable_dynamic_field);
    return { name, fields, primaryKey: { name: pk.name, type: pkType }, dynamicField };
  }

  /** The key field's type, checked against the schema (a scan key must be int64 or varchar). */
  function keyFieldOf(info: MilvusCollectionInfo, keyField: string): { name: string; type: MilvusKeyType } {
    checkFieldName(keyField);
    const f = info.fields.find((x) => x.name === keyField);
    if (!f) throw fail(new Error(`collection "${info.name}" has no field "${keyField}"`), 'STORE_MISSING_OBJECT');
    const type = keyTypeOf(f);
    if (!type) {
      throw new DbcheckError(
        'USAGE',
        `Milvus at ${address}: field "${keyField}" of collection "${info.name}" is ${f.dataType}; a key field must be Int64 or VarChar`,
      );
    }
    return { name: keyField, type };
  }

  function outputFieldsFor(info: MilvusCollectionInfo, keyField: string, extra: string[] = []): string[] {
    for (const f of extra) {
      if (f === DYNAMIC_FIELD && info.dynamicField) continue; // the dynamic field, as one JSON object
      checkFieldName(f);
      if (!info.fields.some((x) => x.name === f)) {
        throw fail(new Error(`collection "${info.name}" has no field "${f}"`), 'STORE_MISSING_OBJECT');
      }
    }
    return [...new Set([keyField, ...extra])];
  }

  /**
   * Real Milvus 2.3.x counts an entity whose Int64 key is exactly INT64_MAX but returns it from no
   * query (docs/milvus-paging.md). Asked for that key and handed nothing, a caller would report it
   * missing: a false alarm. If count(*) sees it, this throws instead (the lookup is incomplete).
   */
  async function refuseUnqueryableMax(
    collection: string,
    key: { name: string; type: MilvusKeyType },
    keys: string[],
    rows: Row[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (key.type !== 'int64' || !keys.some((k) => milvusLiteral(k, 'int64') === INT64_MAX_TEXT)) return;
    if (rows.some((r) => r[key.name] === INT64_MAX_TEXT)) return;
    const n = await count(collection, { filter: `${key.name} == ${INT64_MAX_TEXT}`, signal });
    if (n > 0) {
      throw fail(
        new Error(
          `collection "${collection}": count(*) counts ${n} row(s) keyed ${INT64_MAX_TEXT} (the int64 maximum) ` +
            'but no query returns them (a known fault of Milvus 2.3.x, see docs/milvus-paging.md); they cannot be compared',
        ),
        'STORE_ERROR',
      );
    }
  }

  const reader: MilvusReader = {
    kind: 'milvus',
    address,

    async version() {
      const res = (await call('getVersion', () => client.getVersion())) as VersionAnswer;
      check(res?.status, 'GetVersion');
      return String(res.version);
    },

    async checkHealth() {
      const res = (await call('checkHealth', () => client.checkHealth())) as HealthAnswer;
      if (!res?.status) {
        // CheckHealth unimplemented (the SDK hands back `{}`): a server that answers GetVersion is up.
        const v = await reader.version();
        return { healthy: true, reasons: [`CheckHealth is not supported by this server; GetVersion answered (${v})`] };
      }
      check(res.status, 'CheckHealth');
      return { healthy: Boolean(res.isHealthy), reasons: (res.reasons ?? []).map(String) };
    },

    async listCollections() {
      const res = await call('showCollections', () => client.showCollections({ timeout: callTimeoutMs }));
      check(res?.status, 'ShowCollections');
      return (res.data ?? []).map((c) => c.name).sort();
    },

    describeCollection: (name) => describeCollection(name),

    async loadState(name) {
      const res = await call('getLoadState', () => client.getLoadState({ collection_name: name, timeout: callTimeoutMs }));
      if (!res?.status) return 'unknown';
      check(res.status, 'GetLoadState', name);
      const state = String(res.state);
      if (state === 'LoadStateNotExist') {
        throw storeError('Milvus', address, new Error(`collection "${name}" does not exist`), 'STORE_MISSING_OBJECT');
      }
      const map: Record<string, MilvusLoadState> = {
        LoadStateLoaded: 'loaded',
        LoadStateLoading: 'loading',
        LoadStateNotLoad: 'not-loaded',
      };
      return map[state] ?? 'unknown';
    },

    count,

    capabilities: () => capabilities,

    async *scan(collection, opts: MilvusScanOptions = {}) {
      requireCountStar();
      const info = await describeCollection(collection, opts.signal);
      const key = keyFieldOf(info, opts.keyField ?? info.primaryKey.name);
      const outputFields = outputFieldsFor(info, key.name, opts.outputFields);
      // Validate bounds up front (a bad bound is a usage error) and make int64 bounds canonical.
      const bound = (v: string | undefined) =>
        v === undefined ? undefined : key.type === 'int64' ? milvusLiteral(v, 'int64') : (milvusLiteral(v, 'varchar'), v);
      const filter = opts.filter;
      const toExpr = (r: PagerRange) => {
        const e = rangeExpr(key.name, key.type, r, filter);
        const except = r.except === undefined ? '' : keyComparison(key.name, '!=', r.except, key.type);
        return e && except ? `${e} && ${except}` : e || except;
      };
      const readAt = await readTimestamp(opts.signal);
      const source: PagerSource = {
        query: (r, limit) =>
          query(collection, { expr: toExpr(r), limit, outputFields, partitions: opts.partitions, signal: opts.signal, readAt }),
        count: (r) => count(collection, { filter: toExpr(r), partitions: opts.partitions, signal: opts.signal, readAt }),
      };
      yield* scanInKeyOrder(source, {
        keyField: key.name,
        keyType: key.type,
        after: bound(opts.after),
        upTo: bound(opts.upTo),
        pageSize: opts.pageSize ?? DEFAULT_PAGE_SIZE,
        signal: opts.signal,
        where: `Milvus at ${address}, collection "${collection}"`,
      });
    },

    async getByKeys(collection, keyField, keys, outputFields, opts: CallOptions = {}) {
      // Each key once: Milvus Lite returns a row once per repetition of its key in `in [...]`.
      keys = [...new Set(keys)];
      if (keys.length === 0) return [];
      const info = await describeCollection(collection, opts.signal);
      const key = keyFieldOf(info, keyField);
      const fields = outputFieldsFor(info, key.name, outputFields);
      const rows: Row[] = [];
      for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
        throwIfCancelled(opts.signal);
        const batch = keys.slice(i, i + KEYS_PER_QUERY);
        // No limit: `in [...]` returns at most the rows of those keys (Milvus Lite ignores limit here).
        const part = await query(collection, { expr: inExpr(key.name, key.type, batch), outputFields: fields, signal: opts.signal });
        for (const row of part) {
          row[key.name] = String(row[key.name]);
          rows.push(row);
        }
      }
      await refuseUnqueryableMax(collection, key, keys, rows, opts.signal);
      return rows;
    },

    literal: (value, type) => milvusLiteral(value, type),

    async query(collection, opts) {
      if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > MAX_QUERY_LIMIT) {
        throw new DbcheckError('USAGE', `Milvus query limit must be 1..${MAX_QUERY_LIMIT}, not ${opts.limit}`);
      }
      const req: Record<string, unknown> = {
        collection_name: collection,
        output_fields: opts.outputFields ?? [],
        limit: opts.limit,
        timeout: callTimeoutMs,
      };
      if (opts.filter?.trim()) req.filter = opts.filter;
      const res = await call('query', () => client.query(req as unknown as Parameters<MilvusClient['query']>[0]), opts.signal);
      check(res?.status, 'query', collection);
      return res.data;
    },

    async search(collection, opts) {
      const req: Record<string, unknown> = {
        collection_name: collection,
        anns_field: opts.vectorField,
        data: opts.vectors,
        limit: opts.topk,
        output_fields: [],
        timeout: callTimeoutMs,
      };
      if (opts.filter?.trim()) req.filter = opts.filter;
      if (opts.metricType) req.metric_type = opts.metricType;
      const res = await call('search', () => client.search(req as unknown as Parameters<MilvusClient['search']>[0]), opts.signal);
      check(res?.status, 'search', collection);
      // One query vector: a flat list of hits; several: one list per query vector.
      const results = (res.results ?? []) as unknown[];
      return opts.vectors.length === 1 && !Array.isArray(results[0])
        ? [results.length]
        : results.map((r) => (Array.isArray(r) ? r.length : 0));
    },
  };

  return {
    reader,
    async close() {
      await client.closeConnection().catch(() => {});
    },
  };
}

/**
 * The SDK's `tls` option from caFile / certFile / keyFile / serverName. The files are read here,
 * so a missing or unreadable one is a configuration error naming the option (the SDK would throw
 * from its constructor with a bare ENOENT).
 */
function tlsOptions(cfg: MilvusStoreConfig): Record<string, unknown> | undefined {
  if (!cfg.caFile && !cfg.certFile && !cfg.keyFile && !cfg.serverName) return undefined;
  if (Boolean(cfg.certFile) !== Boolean(cfg.keyFile)) {
    throw new DbcheckError('CONFIG', 'Milvus: certFile and keyFile go together (a client certificate needs its key)');
  }
  const read = (option: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new DbcheckError('CONFIG', `Milvus: ${option} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const tls: Record<string, unknown> = {};
  // rootCert must be given whenever a client certificate is: the SDK's mutual-TLS path needs it.
  if (cfg.caFile) tls.rootCert = read('caFile', cfg.caFile);
  if (cfg.certFile) tls.certChain = read('certFile', cfg.certFile);
  if (cfg.keyFile) tls.privateKey = read('keyFile', cfg.keyFile);
  if (cfg.serverName) tls.serverName = cfg.serverName;
  return tls;
}

/**
 * gRPC reports TLS and auth trouble in words of its own; this turns the usual ones into a store
 * error with the right code and a reason a person can act on. Other errors pass through.
 */
function explainConnectFailure(err: unknown, usingTls: boolean): { error: Error; code: StoreErrorCode } | undefined {
  if (err instanceof DbcheckError) return undefined;
  const text = errorLine(err);
  if (/unauthenticated|auth.*fail|incorrect (user|password)|invalid (user|token|credential)/i.test(text)) {
    return { error: new Error('the server refused the credentials (user/password or token)'), code: 'STORE_AUTH' };
  }
  if (/certificate|self[- ]signed|handshake|ssl|tls|wrong version number|unable to verify/i.test(text)) {
    const advice = usingTls ? "; set caFile to the CA that signed the server's certificate" : '';
    return { error: new Error(`the TLS handshake failed (${text})${advice}`), code: 'STORE_TLS' };
  }
  return undefined;
}

/** Whether host:port (or scheme://host:port) accepts a TCP connection within timeoutMs. */
/**
 * Whether the port completes a TLS handshake (certificates unchecked: only "is this TLS?"), or
 * refuses it with a TLS alert (a server that wants a client certificate is TLS too).
 */
function offersTls(address: string, timeoutMs: number): Promise<boolean> {
  const m = ADDRESS.exec(address);
  if (!m) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: m[1], port: Number(m[2]), timeout: timeoutMs, rejectUnauthorized: false });
    const done = (tls: boolean) => {
      socket.destroy();
      resolve(tls);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', (err) => done(/alert/i.test(err.message)));
  });
}

const ADDRESS = /^(?:[a-z][a-z0-9+.-]*:\/\/)?\[?([^\]/]*?)\]?:(\d+)(?:\/.*)?$/i;

function acceptsTcp(address: string, timeoutMs: number): Promise<boolean> {
  const m = ADDRESS.exec(address);
  if (!m) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect({ host: m[1], port: Number(m[2]), timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

function keyTypeOf(f: MilvusField): MilvusKeyType | undefined {
  return f.dataType === 'Int64' ? 'int64' : f.dataType === 'VarChar' ? 'varchar' : undefined;
}
