/**
 * An in-memory MilvusReader: collections with a schema and rows, for server-free check tests.
 *
 * It keeps the reader's promises rather than a server's quirks: `scan` returns every matching row
 * once, in ascending key order (BigInt order for int64, UTF-8 byte order for varchar), as the real
 * pager guarantees on both servers; int64 values come back as strings, as the SDK returns them.
 * The paging workarounds for Milvus Lite and the 16384 window are the real pager's business and are
 * tested against the real servers (test/integration/stores/milvus.test.ts).
 */
import { DbcheckError } from '../../../src/errors.js';
import { capabilitiesFor } from '../../../src/stores/milvus/capabilities.js';
import { compareKeys, milvusLiteral } from '../../../src/stores/milvus/expr.js';
import type {
  CallOptions,
  MilvusCapabilities,
  MilvusCollectionInfo,
  MilvusField,
  MilvusKeyType,
  MilvusLoadState,
  MilvusQueryOptions,
  MilvusReader,
  MilvusScanOptions,
  MilvusSearchOptions,
} from '../../../src/plugin.js';
import { compileFilter, type Row } from './milvus-filter.js';

export interface MemoryCollection {
  /** Field name -> Milvus type (Int64, VarChar, FloatVector, Float, Bool, ...). The first Int64/VarChar is the primary key unless `primaryKey` names one. */
  fields: Record<string, string>;
  primaryKey?: string;
  /** Vector dimension of every FloatVector field (default 4). */
  dim?: number;
  rows?: Row[];
  /** Default 'loaded'. */
  loadState?: MilvusLoadState;
}

export interface MemoryMilvusData {
  collections?: Record<string, MemoryCollection>;
  version?: string;
  /** What checkHealth answers; healthy by default. */
  health?: { healthy: boolean; reasons: string[] };
}

const SCALAR_KEY_TYPES: Record<string, MilvusKeyType> = { Int64: 'int64', VarChar: 'varchar' };

export class MemoryMilvus implements MilvusReader {
  readonly kind = 'milvus' as const;
  readonly address = 'memory://milvus';
  /** Every call made, by method name: lets a test assert what a check read (e.g. "describe only"). */
  readonly calls: string[] = [];

  constructor(private readonly data: MemoryMilvusData = {}) {}

  async version(): Promise<string> {
    this.calls.push('version');
    return this.data.version ?? 'memory-2.4.0';
  }

  capabilities(): MilvusCapabilities {
    return capabilitiesFor(this.data.version ?? 'memory-2.4.0');
  }

  async checkHealth(): Promise<{ healthy: boolean; reasons: string[] }> {
    this.calls.push('checkHealth');
    return this.data.health ?? { healthy: true, reasons: [] };
  }

  async listCollections(): Promise<string[]> {
    this.calls.push('listCollections');
    return Object.keys(this.data.collections ?? {}).sort();
  }

  async describeCollection(name: string): Promise<MilvusCollectionInfo> {
    this.calls.push('describeCollection');
    const c = this.collection(name);
    const fields: MilvusField[] = Object.entries(c.fields).map(([field, dataType]) => ({
      name: field,
      dataType,
      isPrimaryKey: field === primaryKeyOf(name, c),
      ...(dataType === 'FloatVector' ? { dim: c.dim ?? 4 } : {}),
      ...(dataType === 'VarChar' ? { maxLength: 65535 } : {}),
    }));
    const pk = primaryKeyOf(name, c);
    return { name, fields, primaryKey: { name: pk, type: SCALAR_KEY_TYPES[c.fields[pk]] } };
  }

  async loadState(name: string): Promise<MilvusLoadState> {
    this.calls.push('loadState');
    return this.collection(name).loadState ?? 'loaded';
  }

  async count(collection: string, opts: CallOptions & { filter?: string; partitions?: string[] } = {}): Promise<number> {
    this.calls.push('count');
    cancelled(opts.signal);
    return this.rows(collection, opts.filter).length;
  }

  scan(collection: string, opts: MilvusScanOptions = {}): AsyncIterable<Row[]> {
    this.calls.push('scan');
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const c = self.collection(collection);
        const keyField = opts.keyField ?? primaryKeyOf(collection, c);
        const type = SCALAR_KEY_TYPES[c.fields[keyField]];
        if (!type)
          throw new DbcheckError('STORE_MISSING_OBJECT', `memory Milvus: ${collection}.${keyField} is not an Int64 or VarChar field`);
        const inRange = (key: string) =>
          (opts.after === undefined || compareKeys(key, opts.after, type) > 0) &&
          (opts.upTo === undefined || compareKeys(key, opts.upTo, type) <= 0);
        const rows = self
          .rows(collection, opts.filter)
          .filter((r) => inRange(String(r[keyField])))
          .sort((a, b) => compareKeys(String(a[keyField]), String(b[keyField]), type));
        const pageSize = Math.min(opts.pageSize ?? 4096, 16384);
        const fields = [...new Set([keyField, ...(opts.outputFields ?? [])])];
        for (let i = 0; i < rows.length; i += pageSize) {
          cancelled(opts.signal);
          yield rows.slice(i, i + pageSize).map((r) => pick(r, fields));
        }
      },
    };
  }

  async getByKeys(collection: string, keyField: string, keys: string[], outputFields: string[], opts: CallOptions = {}): Promise<Row[]> {
    this.calls.push('getByKeys');
    cancelled(opts.signal);
    const wanted = new Set(keys);
    const fields = [...new Set([keyField, ...outputFields])];
    return this.rows(collection)
      .filter((r) => wanted.has(String(r[keyField])))
      .map((r) => pick(r, fields));
  }

  literal(value: string, type: MilvusKeyType): string {
    return milvusLiteral(value, type);
  }

  async query(collection: string, opts: MilvusQueryOptions): Promise<Row[]> {
    this.calls.push('query');
    cancelled(opts.signal);
    const c = this.collection(collection);
    const fields = opts.outputFields?.length ? opts.outputFields : [primaryKeyOf(collection, c)];
    return this.rows(collection, opts.filter)
      .slice(0, opts.limit)
      .map((r) => pick(r, fields));
  }

  async search(collection: string, opts: MilvusSearchOptions): Promise<number[]> {
    this.calls.push('search');
    cancelled(opts.signal);
    const c = this.collection(collection);
    if (c.fields[opts.vectorField] !== 'FloatVector')
      throw new DbcheckError('STORE_ERROR', `memory Milvus: ${collection}.${opts.vectorField} is not a FloatVector field`);
    const matching = this.rows(collection, opts.filter).length;
    return opts.vectors.map(() => Math.min(opts.topk, matching));
  }

  private collection(name: string): MemoryCollection {
    const c = this.data.collections?.[name];
    // The real reader's code for a collection that does not exist: a config mistake (exit 2).
    if (!c) throw new DbcheckError('STORE_MISSING_OBJECT', `Milvus collection ${name} does not exist`);
    return c;
  }

  /** The collection's rows matching `filter`, int64 fields as strings (as the SDK returns them). */
  private rows(name: string, filter?: string): Row[] {
    const c = this.collection(name);
    const int64 = Object.keys(c.fields).filter((f) => c.fields[f] === 'Int64');
    const match = compileFilter(filter);
    return (c.rows ?? []).map((r) => normalise(r, int64)).filter(match);
  }
}

function primaryKeyOf(name: string, c: MemoryCollection): string {
  const pk = c.primaryKey ?? Object.keys(c.fields).find((f) => SCALAR_KEY_TYPES[c.fields[f]]);
  if (!pk || !SCALAR_KEY_TYPES[c.fields[pk]])
    throw new Error(`memory Milvus fixture: collection ${name} needs an Int64 or VarChar primary key`);
  return pk;
}

function normalise(row: Row, int64Fields: string[]): Row {
  const out = { ...row };
  for (const f of int64Fields) if (typeof out[f] === 'number' || typeof out[f] === 'bigint') out[f] = String(out[f]);
  return out;
}

function pick(row: Row, fields: string[]): Row {
  return Object.fromEntries(fields.filter((f) => f in row).map((f) => [f, row[f]]));
}

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DbcheckError('CANCELLED', 'cancelled');
}
