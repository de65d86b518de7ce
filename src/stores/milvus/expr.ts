/**
 * Milvus filter-expression building blocks: literals, key ranges and key order.
 *
 * Pure functions with no SDK dependency, so they are unit-tested on their own. Every value that
 * reaches an expression goes through `milvusLiteral`; nothing from config or data is pasted raw.
 */
import { DbcheckError } from '../../errors.js';
import type { MilvusKeyType } from '../types.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_TEXT = /^-?\d+$/;

/** True for a decimal int64 in range ("-12", "9007199254740993"); no "+", spaces, or exponents. */
export function isInt64Text(value: string): boolean {
  if (!INT64_TEXT.test(value)) return false;
  const n = BigInt(value);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * Escapes a string for a double-quoted Milvus string literal. The expression grammar (real Milvus
 * and Milvus Lite) accepts any character except `"`, `\` and raw line breaks inside quotes, so
 * those are escaped; everything else (quotes ', spaces, unicode) passes through unchanged.
 */
export function escapeVarchar(value: string): string {
  return value.replace(/[\\"\n\r\t]/g, (ch) => (ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch === '\t' ? '\\t' : `\\${ch}`));
}

/** Formats a key for an expression: int64 as canonical digits, varchar quoted and escaped. */
export function milvusLiteral(value: string, type: MilvusKeyType): string {
  if (type === 'int64') {
    if (typeof value !== 'string' || !isInt64Text(value)) {
      throw new DbcheckError('USAGE', `not an int64 key: ${JSON.stringify(String(value)).slice(0, 60)}`);
    }
    return BigInt(value).toString(); // canonical: "-0" -> "0", "007" -> "7"
  }
  if (typeof value !== 'string') throw new DbcheckError('USAGE', `not a varchar key: ${String(value).slice(0, 60)}`);
  return `"${escapeVarchar(value)}"`;
}

/** Field names come from config: allow only plain identifiers so they cannot change an expression. */
export function checkFieldName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new DbcheckError('USAGE', `not a valid Milvus field name: ${JSON.stringify(name).slice(0, 80)}`);
  }
  return name;
}

const INT64_MIN_TEXT = INT64_MIN.toString();
const INT64_MIN_PLUS_ONE_TEXT = (INT64_MIN + 1n).toString();

/**
 * `field op value` for one key. Real Milvus cannot parse the literal -9223372036854775808 (it parses
 * the digits, then negates: "strconv.ParseInt: value out of range"), while a row keyed INT64_MIN is
 * stored and returned; so a comparison with INT64_MIN is sent as its exact equivalent over
 * INT64_MIN + 1, which both servers parse (checked live on Milvus 2.3.5 and Milvus Lite 3.2).
 */
export function keyComparison(field: string, op: '>' | '<=' | '==' | '!=', value: string, type: MilvusKeyType): string {
  const literal = milvusLiteral(value, type);
  if (type !== 'int64' || literal !== INT64_MIN_TEXT) return `${field} ${op} ${literal}`;
  return op === '>' || op === '!=' ? `${field} >= ${INT64_MIN_PLUS_ONE_TEXT}` : `${field} < ${INT64_MIN_PLUS_ONE_TEXT}`;
}

export interface KeyRange {
  /** Exclusive lower bound; absent = from the start. */
  after?: string;
  /** Inclusive upper bound; absent = to the end. */
  upTo?: string;
}

/**
 * `field > after && field <= upTo` (+ the user's filter, parenthesised), or the filter alone.
 * Returns '' when nothing restricts the query.
 */
export function rangeExpr(field: string, type: MilvusKeyType, range: KeyRange, filter?: string): string {
  const parts: string[] = [];
  if (range.after !== undefined) parts.push(keyComparison(field, '>', range.after, type));
  if (range.upTo !== undefined) parts.push(keyComparison(field, '<=', range.upTo, type));
  if (filter && filter.trim()) parts.push(`(${filter})`);
  return parts.join(' && ');
}

/** `field in [..]` for a batch of keys (+ filter). */
export function inExpr(field: string, type: MilvusKeyType, keys: string[], filter?: string): string {
  const literals = keys.map((k) => milvusLiteral(k, type));
  // INT64_MIN cannot be written as a literal on real Milvus (see keyComparison): match it by a range.
  const rest = type === 'int64' ? literals.filter((l) => l !== INT64_MIN_TEXT) : literals;
  const inList = `${field} in [${rest.join(', ')}]`;
  const minKey = keyComparison(field, '==', INT64_MIN_TEXT, 'int64');
  const list = rest.length === literals.length ? inList : rest.length ? `(${inList} || ${minKey})` : minKey;
  return filter && filter.trim() ? `${list} && (${filter})` : list;
}

/**
 * Compares two keys in the order Milvus uses for ranges: numeric (BigInt) for int64 strings,
 * UTF-8 byte order for varchar. JS `<` on strings compares UTF-16 code units, which puts
 * characters above U+FFFF (surrogate pairs) before U+E000..U+FFFF: wrong for a byte-order merge.
 */
export function compareKeys(a: string, b: string, type: MilvusKeyType): number {
  if (type === 'int64') {
    if (a.length !== b.length || a[0] === '-' || b[0] === '-') {
      const x = BigInt(a);
      const y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    // Same length, both non-negative canonical digits: string order is numeric order (fast path).
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return compareUtf8(a, b);
}

/** UTF-8 byte order == Unicode code point order; compare by code points without encoding. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (D800-DFFF) stands for a code point above FFFF, so it sorts after E000-FFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}
