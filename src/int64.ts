/** Integers as text: the canonical spelling every store prints for an integer key, and the int64 range. */

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** A canonical decimal integer: no sign on zero, no leading zeros, no "+". Any length. */
export const CANONICAL_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/** True for a canonical decimal string within the int64 range ("-12", "9007199254740993"). */
export function isInt64Text(s: string): boolean {
  if (!CANONICAL_INTEGER.test(s)) return false;
  if (s.length < 19) return true; // at most 18 digits: always in range, no BigInt needed
  const v = BigInt(s);
  return v >= INT64_MIN && v <= INT64_MAX;
}
