/**
 * Parser for PostgreSQL `COPY ... TO STDOUT` text format, straight from the raw byte chunks.
 *
 * COPY text is the fastest way to read millions of keys from Postgres (see docs/performance.md):
 * one line per row, fields separated by TAB, NULL written as `\N`, and backslash escapes for
 * backslash, control characters (\b \f \n \r \t \v) and, on input, octal/hex bytes. Chunks from
 * the server split anywhere, including inside a line or a multi-byte character, so the partial
 * tail of each chunk is carried over to the next.
 *
 * Output is columnar, one batch per chunk: `columns[c][r]` is field c of row r. Plain fields are
 * decoded straight from the chunk; only fields that contain a backslash are unescaped.
 */

export interface CopyBatch {
  rows: number;
  columns: Array<Array<string | null>>;
}

const NEWLINE = 10;
const TAB = 9;
const BACKSLASH = 92;
const N_UPPER = 78;

export class CopyTextError extends Error {
  readonly code = 'COPY_FORMAT';
}

/** Streams COPY text chunks as batches of rows with exactly `columnCount` fields each. */
export async function* parseCopyText(chunks: AsyncIterable<Buffer | Uint8Array>, columnCount: number): AsyncGenerator<CopyBatch> {
  let carry: Buffer | null = null;
  for await (const raw of chunks) {
    let chunk: Buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (carry) {
      chunk = Buffer.concat([carry, chunk]);
      carry = null;
    }
    const batch = emptyBatch(columnCount);
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end < 0) break;
      parseLine(chunk, start, end, batch);
      start = end + 1;
    }
    // Copy the tail: a subarray would pin the whole chunk until the next one arrives.
    if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
    if (batch.rows > 0) yield batch;
  }
  if (carry && carry.length > 0) {
    const batch = emptyBatch(columnCount);
    parseLine(carry, 0, carry.length, batch);
    yield batch;
  }
}

function emptyBatch(columnCount: number): CopyBatch {
  const columns: Array<Array<string | null>> = [];
  for (let c = 0; c < columnCount; c++) columns.push([]);
  return { rows: 0, columns };
}

function parseLine(buf: Buffer, start: number, end: number, batch: CopyBatch): void {
  const columns = batch.columns;
  const last = columns.length - 1;
  let fieldStart = start;
  for (let c = 0; c < last; c++) {
    const tab = buf.indexOf(TAB, fieldStart);
    if (tab < 0 || tab >= end) throw new CopyTextError(`COPY row has ${c + 1} fields, expected ${columns.length}`);
    columns[c].push(decodeField(buf, fieldStart, tab));
    fieldStart = tab + 1;
  }
  const extraTab = buf.indexOf(TAB, fieldStart);
  if (extraTab >= 0 && extraTab < end) throw new CopyTextError(`COPY row has more than ${columns.length} fields`);
  columns[last].push(decodeField(buf, fieldStart, end));
  batch.rows++;
}

/** One field: `\N` is NULL; fields without a backslash decode directly. */
export function decodeField(buf: Buffer, start: number, end: number): string | null {
  const slash = buf.indexOf(BACKSLASH, start);
  if (slash < 0 || slash >= end) return buf.toString('utf8', start, end);
  if (end - start === 2 && buf[start + 1] === N_UPPER) return null;
  return unescapeCopyText(buf, start, end);
}

const SIMPLE_ESCAPES: Record<number, number> = {
  98: 8, // \b
  102: 12, // \f
  110: 10, // \n
  114: 13, // \r
  116: 9, // \t
  118: 11, // \v
};

/** Undoes COPY text escaping on bytes (escapes may produce raw bytes), then decodes UTF-8. */
export function unescapeCopyText(buf: Buffer, start: number, end: number): string {
  const out = Buffer.allocUnsafe(end - start);
  let o = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b !== BACKSLASH || i + 1 >= end) {
      out[o++] = b;
      continue;
    }
    const next = buf[++i];
    if (next in SIMPLE_ESCAPES) {
      out[o++] = SIMPLE_ESCAPES[next];
    } else if (next >= 48 && next <= 55) {
      // \d, \dd or \ddd: octal byte value
      let value = next - 48;
      for (let k = 0; k < 2 && i + 1 < end && buf[i + 1] >= 48 && buf[i + 1] <= 55; k++) value = value * 8 + (buf[++i] - 48);
      out[o++] = value & 0xff;
    } else if (next === 120 && i + 1 < end && isHex(buf[i + 1])) {
      // \xh or \xhh
      let value = hexValue(buf[++i]);
      if (i + 1 < end && isHex(buf[i + 1])) value = value * 16 + hexValue(buf[++i]);
      out[o++] = value;
    } else {
      out[o++] = next; // \\ and any other escaped character stand for themselves
    }
  }
  return out.toString('utf8', 0, o);
}

function isHex(b: number): boolean {
  return (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102);
}

function hexValue(b: number): number {
  return b <= 57 ? b - 48 : (b | 32) - 87;
}
