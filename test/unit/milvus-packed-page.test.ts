/** packed-page.ts: the pager's compact holding of pages gives back exactly the rows it took. */
import { describe, expect, it } from 'vitest';
import { packPage } from '../../src/stores/milvus/packed-page.js';

describe('packPage', () => {
  it('gives back int64-keyed rows exactly, field order and other fields included, in 8 bytes per key-only row', () => {
    const rows = [
      { pk: '-9223372036854775808', doc: '9007199254740993', meta: { a: 1 }, none: null },
      { pk: '-1', doc: undefined, meta: { b: 'x' }, none: null },
      { pk: '9007199254740993', doc: 'text', meta: null, none: null },
      { pk: '9223372036854775807', doc: '', meta: [1, 2], none: null },
    ];
    const packed = packPage(rows, 'pk', 'int64');
    expect(packed.length).toBe(4);
    const back = packed.unpack();
    expect(back).toEqual(rows);
    expect(back.map((r) => Object.keys(r))).toEqual(rows.map((r) => Object.keys(r)));
    expect(back[2]!.meta).toBe(rows[2]!.meta);
    const keyOnly = Array.from({ length: 1000 }, (_, i) => ({ id: String(BigInt(i) * 10n ** 15n) }));
    const small = packPage(keyOnly, 'id', 'int64');
    expect(small.bytes).toBe(8000);
    expect(small.unpack()).toEqual(keyOnly);
  });

  it('keeps VarChar-keyed rows as answered, and estimates them larger than packed ones', () => {
    const rows = [{ k: 'a' }, { k: '😀' }];
    const packed = packPage(rows, 'k', 'varchar');
    expect(packed.unpack()).toBe(rows);
    expect(packed.bytes).toBeGreaterThan(2 * 8);
    expect(packPage([], 'k', 'int64').unpack()).toEqual([]);
  });
});
