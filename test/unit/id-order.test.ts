import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareInt64, compareUtf8, isInt64Key } from '../../checks/lib/id-order.js';

const sign = (n: number) => Math.sign(n);

describe('compareInt64', () => {
  it('orders like BigInt, including beyond 2^53 and negatives', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (a, b) => {
        expect(sign(compareInt64(a.toString(), b.toString()))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
    expect(compareInt64('9007199254740993', '9007199254740992')).toBe(1); // equal as Number()
    expect(compareInt64('-10', '-9')).toBeLessThan(0);
    expect(compareInt64('10', '9')).toBeGreaterThan(0);
  });

  it('recognises canonical int64 text only', () => {
    expect(isInt64Key('9223372036854775807')).toBe(true);
    expect(isInt64Key('9223372036854775808')).toBe(false);
    expect(isInt64Key('007')).toBe(false);
    expect(isInt64Key('abc')).toBe(false);
  });
});

describe('compareUtf8', () => {
  it('orders like the UTF-8 bytes (Postgres COLLATE "C")', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(sign(compareUtf8(a, b))).toBe(sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
  });

  it('puts astral characters after U+E000..U+FFFF, unlike JS <', () => {
    const astral = '😀'; // U+1F600, UTF-16 surrogates 0xD83D 0xDE00
    const privateUse = '\uE000';
    expect(astral < privateUse).toBe(true); // what plain JS comparison says
    expect(compareUtf8(astral, privateUse)).toBeGreaterThan(0); // byte order
    expect(compareUtf8("it's", 'it"s')).toBeGreaterThan(0);
    expect(compareUtf8('a', 'ab')).toBeLessThan(0);
  });
});
