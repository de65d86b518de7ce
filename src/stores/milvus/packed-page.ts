/**
 * A page of rows held compactly while the pager waits for the count that confirms it. As answered
 * by the SDK, a row is an object of strings (~100 bytes for one int64 key); held as columns, an
 * int64 key costs 8 bytes (a BigInt64Array) and other fields one array slot each. That lets one
 * count confirm 32 pages instead of 8 (counts cost about as much as a page on real Milvus) in less
 * memory than the 8 pages of objects took. Rows are rebuilt one page at a time, when yielded.
 */
import type { MilvusKeyType } from '../types.js';

type Row = Record<string, unknown>;

export interface PackedPage {
  readonly length: number;
  /** Estimated bytes held (the budget unit of the pager's read-ahead). */
  readonly bytes: number;
  /** The rows again, in the same order; int64 keys as canonical decimal strings. */
  unpack(): Row[];
}

/** Estimated bytes of a value in an array: the slot, plus the string or object it points to. */
const valueBytes = (v: unknown) => 8 + (typeof v === 'string' ? 24 + v.length : 32);

/** Rows kept as they are (nothing to pack): their estimated size as objects. */
function asIs(rows: Row[], fields: string[]): PackedPage {
  let bytes = 0;
  for (const row of rows) {
    bytes += 64;
    for (const f of fields) bytes += valueBytes(row[f]);
  }
  return { length: rows.length, bytes, unpack: () => rows };
}

/**
 * Packs rows that share their fields (the SDK builds every row of an answer from the same columns).
 * `keyField` holds int64 keys as decimal text when `keyType` is int64; rows are rebuilt with their
 * fields in the same order, the key as canonical decimal text.
 */
export function packPage(rows: Row[], keyField: string, keyType: MilvusKeyType): PackedPage {
  const fields = rows.length ? Object.keys(rows[0]!) : [];
  const keyAt = fields.indexOf(keyField);
  if (keyType !== 'int64' || keyAt < 0) return asIs(rows, fields);
  const keys = new BigInt64Array(rows.length);
  try {
    for (let i = 0; i < rows.length; i++) keys[i] = BigInt(rows[i]![keyField] as string);
  } catch {
    return asIs(rows, fields); // not an integer (never from Milvus): keep the answer as it is
  }
  const columns = fields.map((f, c) => (c === keyAt ? [] : rows.map((row) => row[f])));
  let bytes = keys.byteLength;
  for (const column of columns) for (const v of column) bytes += valueBytes(v);
  return packed(keys, keyAt, fields, columns, bytes);
}

/**
 * The packed page, built outside packPage on purpose: a closure made there would share its scope,
 * and with it keep the answered rows alive (which packing is meant to release).
 */
function packed(keys: BigInt64Array, keyAt: number, fields: string[], columns: unknown[][], bytes: number): PackedPage {
  return {
    length: keys.length,
    bytes,
    unpack() {
      const out: Row[] = new Array(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const row: Row = {};
        for (let c = 0; c < fields.length; c++) row[fields[c]!] = c === keyAt ? String(keys[i]) : columns[c]![i];
        out[i] = row;
      }
      return out;
    },
  };
}
