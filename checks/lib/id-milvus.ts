/**
 * Milvus side of the id diff: key types from the collection schema, filters, and the pager's rows
 * as merge batches. The pager (MilvusReader.scan) returns rows in ascending key order, complete,
 * duplicates adjacent; values of int64 fields arrive as strings.
 */
import { CheckError, milvusPathText, type MilvusCollectionInfo, type MilvusReader, type MilvusValuePath } from '../../src/plugin.js';
import type { KeyBatch } from './id-merge.js';
import type { KeyType } from './id-order.js';

/** The key type of a field that can be paged by: Int64 or VarChar. */
export function milvusFieldKeyType(info: MilvusCollectionInfo, field: string): KeyType {
  const f = info.fields.find((x) => x.name === field);
  if (!f) {
    const names = info.fields.map((x) => x.name).join(', ');
    throw new CheckError('CONFIG', `Milvus collection ${info.name} has no field ${JSON.stringify(field)} (fields: ${names})`);
  }
  if (/^int64$/i.test(f.dataType)) return 'int64';
  if (/^varchar$/i.test(f.dataType)) return 'varchar';
  throw new CheckError(
    'CONFIG',
    `Milvus field ${info.name}.${field} is ${f.dataType}; only Int64 and VarChar fields can be compared as keys`,
  );
}

/** `(a) && (b)` of the given Milvus filter expressions, skipping empty ones. */
export function andFilter(...filters: Array<string | undefined>): string | undefined {
  const parts = filters.filter((f): f is string => typeof f === 'string' && f.trim() !== '');
  return parts.length ? parts.map((f) => `(${f})`).join(' && ') : undefined;
}

/** A field value as text for comparisons (int64 already a string; floats and bools stringified). */
export function fieldText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

export interface MilvusKeyStreamOptions {
  keyField: string;
  /** Field names, or paths into JSON / the dynamic field (resolveMilvusPath). */
  extraFields?: Array<string | MilvusValuePath>;
  filter?: string;
  partitions?: string[];
  signal?: AbortSignal;
  pageSize?: number;
  /** Sees every page's raw rows (e.g. to tally model tags) before they become a batch. */
  onPage?: (rows: Array<Record<string, unknown>>) => void;
}

export async function* milvusKeyBatches(milvus: MilvusReader, collection: string, opts: MilvusKeyStreamOptions): AsyncGenerator<KeyBatch> {
  const extraFields = opts.extraFields ?? [];
  const outputFields = [...new Set([opts.keyField, ...extraFields.map((f) => (typeof f === 'string' ? f : f.field))])];
  const pages = milvus.scan(collection, {
    keyField: opts.keyField,
    outputFields,
    filter: opts.filter,
    partitions: opts.partitions,
    signal: opts.signal,
    pageSize: opts.pageSize,
  });
  for await (const rows of pages) {
    opts.onPage?.(rows);
    const keys = rows.map((row) => fieldText(row[opts.keyField]) as string);
    const extra = extraFields.map((f) => rows.map((row) => (typeof f === 'string' ? fieldText(row[f]) : milvusPathText(row, f))));
    yield { keys, extra };
  }
}
