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
    const consumed = parseLines(chunk, batch);
    // Copy the tail: a subarray would pin the whole chunk until the next one arrives.
    if (consumed < chunk.length) carry = Buffer.from(chunk.subarray(consumed));
    if (batch.rows > 0) yield batch;
  }
  if (carry && carry.length > 0) {
    // COPY ends every line with a newline; be lenient with a source that does not.
    const batch = emptyBatch(columnCount);
    parseLines(Buffer.concat([carry, Buffer.from([NEWLINE])]), batch);
    yield batch;
  }
}

function emptyBatch(columnCount: number): CopyBatch {
  const columns: Array<Array<string | null>> = [];
  for (let c = 0; c < columnCount; c++) columns.push([]);
  return { rows: 0, columns };
}

/**
 * Parses every complete line of `buf` into `batch` in one pass over the bytes (searching for the
 * next separator from each field start with indexOf would rescan the chunk: quadratic).
 * Returns the offset just after the last complete line.
 */
function parseLines(buf: Buffer, batch: CopyBatch): number {
  const columns = batch.columns;
  const width = columns.length;
  let lineStart = 0;
  let fieldStart = 0;
  let column = 0;
  let escaped = false; // the field holds a backslash
  let ascii = true; // the field is plain ASCII
  const n = buf.length;
  // One native decode per chunk; ASCII fields are then cheap substrings of it (latin1 maps bytes
  // 1:1 to characters, so offsets agree). Other fields are decoded as UTF-8 on their own.
  const text = buf.toString('latin1', 0, n);
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b > BACKSLASH) {
      if (b > 127) ascii = false;
      continue;
    }
    if (b === BACKSLASH) {
      escaped = true;
      i++; // the escaped byte is never a separator
      continue;
    }
    if (b !== TAB && b !== NEWLINE) continue;
    if (column >= width) throw new CopyTextError(`COPY row has more than ${width} fields`);
    columns[column++].push(
      escaped ? decodeEscaped(buf, fieldStart, i) : ascii ? text.slice(fieldStart, i) : buf.toString('utf8', fieldStart, i),
    );
    fieldStart = i + 1;
    escaped = false;
    ascii = true;
    if (b === NEWLINE) {
      if (column !== width) throw new CopyTextError(`COPY row has ${column} fields, expected ${width}`);
      batch.rows++;
      column = 0;
      lineStart = i + 1;
    }
  }
  // Fields already taken from an incomplete last line are parsed again with the next chunk.
  for (let c = 0; c < column; c++) columns[c].pop();
  return lineStart;
}

/** A field with a backslash: `\N` alone is NULL, anything else is unescaped. */
function decodeEscaped(buf: Buffer, start: number, end: number): string | null {
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
