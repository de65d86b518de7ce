/**
 * One key order shared by every store, so sorted streams from Postgres and Milvus can be merged.
 *
 * - int64 keys are canonical decimal strings ("-12", "0", "9007199254740993"); they compare as
 *   integers without BigInt allocation (sign, then length, then digits). Never Number(): ids
 *   above 2^53 would collide.
 * - varchar keys compare in UTF-8 byte order, which is Postgres `COLLATE "C"` order and the order
 *   of the Milvus pager. JS `<` compares UTF-16 code units, which differs from byte order for
 *   characters above U+FFFF (surrogate pairs) against U+E000..U+FFFF: fixed up below.
 */

export type KeyType = 'int64' | 'varchar';
export type KeyCompare = (a: string, b: string) => number;

import { CANONICAL_INTEGER } from './key-types.js';

const MINUS = 45; // '-'

/** Compares two canonical decimal integer strings numerically. */
export function compareInt64(a: string, b: string): number {
  if (a === b) return 0;
  const aNeg = a.charCodeAt(0) === MINUS;
  const bNeg = b.charCodeAt(0) === MINUS;
  if (aNeg !== bNeg) return aNeg ? -1 : 1;
  const magnitude = a.length !== b.length ? a.length - b.length : a < b ? -1 : 1;
  return aNeg ? -magnitude : magnitude;
}

/** Maps a UTF-16 code unit so that unit order equals code point (= UTF-8 byte) order. */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000; // only called for units >= 0xd800
}

/** Compares two strings in UTF-8 byte order (Postgres COLLATE "C"). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
    return x - y;
  }
  return a.length - b.length;
}

export function keyCompare(type: KeyType): KeyCompare {
  return type === 'int64' ? compareInt64 : compareUtf8;
}

/** True for a canonical decimal string within the int64 range (one copy, in key-types.ts). */
export { isInt64Text as isInt64Key } from './key-types.js';

/**
 * Order of a text key column merged against an integer stream: canonical integers first, in
 * numeric order, then every other text in byte order (they match no integer, but a row stream
 * must still be sorted). Postgres: `ORDER BY (c !~ re), CASE WHEN c ~ re THEN c::numeric END, c COLLATE "C"`.
 */
export function compareIntegersThenText(a: string, b: string): number {
  const aInt = CANONICAL_INTEGER.test(a);
  const bInt = CANONICAL_INTEGER.test(b);
  if (aInt && bInt) return compareInt64(a, b);
  if (aInt !== bInt) return aInt ? -1 : 1;
  return compareUtf8(a, b);
}
