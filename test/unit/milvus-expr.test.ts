import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  checkFieldName,
  compareKeys,
  compareUtf8,
  escapeVarchar,
  inExpr,
  isInt64Text,
  keyComparison,
  milvusLiteral,
  rangeExpr,
} from '../../src/stores/milvus/expr.js';
import { displayMilvusAddress, splitMilvusAddress } from '../../src/stores/milvus/address.js';

describe('milvusLiteral', () => {
  it('formats int64 keys as canonical digits, beyond 2^53 without loss', () => {
    expect(milvusLiteral('9007199254740993', 'int64')).toBe('9007199254740993');
    expect(milvusLiteral('-42', 'int64')).toBe('-42');
    expect(milvusLiteral('007', 'int64')).toBe('7');
    expect(milvusLiteral('9223372036854775807', 'int64')).toBe('9223372036854775807');
    expect(milvusLiteral('-9223372036854775808', 'int64')).toBe('-9223372036854775808');
  });

  it('rejects anything that is not an int64', () => {
    for (const bad of ['', ' 1', '1 ', '+1', '1e3', '1.0', '0x10', '1 || true', '9223372036854775808', 'abc']) {
      expect(() => milvusLiteral(bad, 'int64'), bad).toThrow(/not an int64 key/);
    }
    expect(() => milvusLiteral(5 as unknown as string, 'int64')).toThrow(/not an int64 key/);
    expect(isInt64Text('-9223372036854775809')).toBe(false);
  });

  it('quotes varchar and escapes backslash, double quote and line breaks', () => {
    expect(milvusLiteral('plain', 'varchar')).toBe('"plain"');
    expect(milvusLiteral('a"b', 'varchar')).toBe('"a\\"b"');
    expect(milvusLiteral('back\\slash', 'varchar')).toBe('"back\\\\slash"');
    expect(milvusLiteral("it's", 'varchar')).toBe(`"it's"`);
    expect(milvusLiteral('sp ace ünï 😀', 'varchar')).toBe('"sp ace ünï 😀"');
    expect(milvusLiteral('l1\nl2\r\t', 'varchar')).toBe('"l1\\nl2\\r\\t"');
    // An injection attempt stays inside the literal.
    expect(milvusLiteral('" || id > 0 || "', 'varchar')).toBe('"\\" || id > 0 || \\""');
  });

  it('escaped text never contains an unescaped quote (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const body = escapeVarchar(s);
        // Drop escape pairs; what remains must hold no quote, backslash or line break.
        expect(body.replace(/\\./gs, '')).not.toMatch(/["\\\n\r]/);
      }),
    );
  });
});

describe('expressions', () => {
  it('builds an exclusive-inclusive key range ANDed with a parenthesised filter', () => {
    expect(rangeExpr('id', 'int64', { after: '5', upTo: '9' }, 'model == "v2"')).toBe('id > 5 && id <= 9 && (model == "v2")');
    expect(rangeExpr('id', 'int64', {})).toBe('');
    expect(rangeExpr('k', 'varchar', { after: 'a"' })).toBe('k > "a\\""');
  });

  it('builds in-lists', () => {
    expect(inExpr('id', 'int64', ['1', '-2'])).toBe('id in [1, -2]');
    expect(inExpr('k', 'varchar', ['x', 'y"'], 'n > 1')).toBe('k in ["x", "y\\""] && (n > 1)');
  });

  it('never writes the INT64_MIN literal (real Milvus cannot parse it): exact equivalents over INT64_MIN + 1', () => {
    const MIN = '-9223372036854775808';
    expect(keyComparison('id', '>', MIN, 'int64')).toBe('id >= -9223372036854775807');
    expect(keyComparison('id', '!=', MIN, 'int64')).toBe('id >= -9223372036854775807');
    expect(keyComparison('id', '<=', MIN, 'int64')).toBe('id < -9223372036854775807');
    expect(keyComparison('id', '==', MIN, 'int64')).toBe('id < -9223372036854775807');
    expect(keyComparison('id', '>', '-9223372036854775807', 'int64')).toBe('id > -9223372036854775807');
    expect(keyComparison('k', '>', MIN, 'varchar')).toBe('k > "-9223372036854775808"');
    expect(rangeExpr('id', 'int64', { after: MIN, upTo: '-0' })).toBe('id >= -9223372036854775807 && id <= 0');
    expect(rangeExpr('id', 'int64', { upTo: MIN })).toBe('id < -9223372036854775807');
    expect(inExpr('id', 'int64', [MIN])).toBe('id < -9223372036854775807');
    expect(inExpr('id', 'int64', ['3', MIN], 'n > 1')).toBe('(id in [3] || id < -9223372036854775807) && (n > 1)');
    expect(inExpr('k', 'varchar', [MIN])).toBe('k in ["-9223372036854775808"]');
  });

  it('accepts only plain identifiers as field names', () => {
    expect(checkFieldName('document_id')).toBe('document_id');
    expect(() => checkFieldName('id || true')).toThrow(/not a valid Milvus field name/);
    expect(() => checkFieldName('1abc')).toThrow();
  });
});

describe('compareKeys', () => {
  it('orders int64 strings numerically, including negatives and values above 2^53', () => {
    const keys = ['10', '-1', '9', '9007199254740993', '9007199254740992', '-9223372036854775808', '0', '-10'];
    keys.sort((a, b) => compareKeys(a, b, 'int64'));
    expect(keys).toEqual(['-9223372036854775808', '-10', '-1', '0', '9', '10', '9007199254740992', '9007199254740993']);
  });

  it('agrees with BigInt order (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (x, y) => {
        expect(Math.sign(compareKeys(x.toString(), y.toString(), 'int64'))).toBe(x < y ? -1 : x > y ? 1 : 0);
      }),
    );
  });

  it('orders varchar by UTF-8 bytes, unlike JS <', () => {
    // U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80) in bytes; JS puts the surrogate pair first.
    expect('😀' < '｡').toBe(true);
    expect(compareKeys('｡', '😀', 'varchar')).toBeLessThan(0);
    expect(compareKeys('a', 'ab', 'varchar')).toBeLessThan(0);
    expect(compareKeys('b', 'ab', 'varchar')).toBeGreaterThan(0);
    expect(compareKeys('same', 'same', 'varchar')).toBe(0);
  });

  it('agrees with Buffer.compare of the UTF-8 encodings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('displayMilvusAddress', () => {
  it('drops credentials and query strings', () => {
    expect(displayMilvusAddress('127.0.0.1:19530')).toBe('127.0.0.1:19530');
    expect(displayMilvusAddress('https://root:Milvus@db.example:19530')).toBe('https://db.example:19530');
    expect(displayMilvusAddress('https://db.example:19530?token=abc')).toBe('https://db.example:19530');
  });

  it('takes credentials out of the address the SDK gets', () => {
    expect(splitMilvusAddress('127.0.0.1:19530')).toEqual({ address: '127.0.0.1:19530' });
    expect(splitMilvusAddress('https://root:p%40ss:word@db:19530')).toEqual({
      address: 'https://db:19530',
      username: 'root',
      password: 'p@ss:word',
    });
    expect(splitMilvusAddress('user@db:19530')).toEqual({ address: 'db:19530', username: 'user', password: undefined });
  });
});
