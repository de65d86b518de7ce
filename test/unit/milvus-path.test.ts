/** Paths into Milvus JSON / dynamic fields (issue 14.1) and the exact JSON decoding behind them. */
import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../src/stores/milvus/json.js';
import { isMilvusPathSyntax, milvusPathText, resolveMilvusPath } from '../../src/stores/milvus/path.js';
import type { MilvusCollectionInfo } from '../../src/stores/types.js';

const info = (dynamicField: boolean): MilvusCollectionInfo => ({
  name: 'docs',
  dynamicField,
  primaryKey: { name: 'pk', type: 'varchar' },
  fields: [
    { name: 'pk', dataType: 'VarChar', isPrimaryKey: true },
    { name: 'doc_id', dataType: 'Int64', isPrimaryKey: false },
    { name: 'metadata', dataType: 'JSON', isPrimaryKey: false },
  ],
});

describe('parseJsonExact', () => {
  it('keeps integers a double cannot hold as digits, everything else as JSON.parse does', () => {
    const text =
      '{"a": 9007199254740993, "b": -9223372036854775808, "c": 9007199254740991, "d": 1.5e3, "e": "x\\"\\u00e9", "f": [true, null, {}], "g": 12345678901234567890123}';
    expect(parseJsonExact(text)).toEqual({
      a: '9007199254740993',
      b: '-9223372036854775808',
      c: 9007199254740991,
      d: 1500,
      e: 'x"é',
      f: [true, null, {}],
      g: '12345678901234567890123',
    });
    for (const t of ['[1, 2.5, "s", {"k": [false]}]', '"plain"', '0', '-0', '{}', ' [ ] '])
      expect(parseJsonExact(t)).toEqual(JSON.parse(t));
  });
  it('refuses malformed text', () => {
    for (const t of ['{"a":1', '[1,]', '{"a" 1}', '01', '1 2', '']) expect(() => parseJsonExact(t)).toThrow(SyntaxError);
  });
});

describe('resolveMilvusPath', () => {
  it('a schema field wins; a bare unknown name goes to $meta only when there is a dynamic field', () => {
    expect(resolveMilvusPath(info(true), 'doc_id')).toMatchObject({ field: 'doc_id', keys: [], dataType: 'Int64' });
    expect(resolveMilvusPath(info(true), 'source')).toEqual({
      field: '$meta',
      keys: ['source'],
      text: '$meta["source"]',
      dataType: 'JSON',
    });
    expect(resolveMilvusPath(info(false), 'source')).toEqual({
      problem: 'Milvus collection docs has no field "source" and no dynamic field (fields: pk, doc_id, metadata)',
    });
  });
  it('explicit paths into JSON fields and $meta, nested, with escaped keys', () => {
    expect(resolveMilvusPath(info(false), 'metadata["doc_id"]')).toMatchObject({
      field: 'metadata',
      keys: ['doc_id'],
      text: 'metadata["doc_id"]',
    });
    expect(resolveMilvusPath(info(true), '$meta[ "a" ]["b \\" c"]')).toMatchObject({
      field: '$meta',
      keys: ['a', 'b " c'],
      text: '$meta["a"]["b \\" c"]',
    });
    expect(resolveMilvusPath(info(false), '$meta["a"]')).toEqual({
      problem: 'Milvus collection docs has no dynamic field, so $meta["a"] names nothing (fields: pk, doc_id, metadata)',
    });
    expect(resolveMilvusPath(info(true), 'doc_id["a"]')).toEqual({
      problem: 'Milvus field docs.doc_id is Int64, not JSON, so doc_id["a"] names nothing',
    });
    expect(resolveMilvusPath(info(true), 'nope["a"]')).toMatchObject({ problem: expect.stringContaining('has no field "nope"') });
  });
  it('syntax: names and ["key"] chains only, so nothing else reaches an expression', () => {
    for (const ok of ['doc_id', '$meta["x"]', 'metadata["a"]["b"]']) expect(isMilvusPathSyntax(ok)).toBe(true);
    for (const bad of ['doc id', '$meta', 'metadata[0]', "metadata['a']", 'a["b"] || true', 'metadata.doc_id', ''])
      expect(isMilvusPathSyntax(bad)).toBe(false);
  });
});

describe('milvusPathText', () => {
  const path = resolveMilvusPath(info(true), '$meta["a"]["b"]') as Exclude<ReturnType<typeof resolveMilvusPath>, { problem: string }>;
  it('reads nested values as comparison text; absent or null is null', () => {
    expect(milvusPathText({ $meta: { a: { b: 12 } } }, path)).toBe('12');
    expect(milvusPathText({ $meta: { a: { b: '9007199254740993' } } }, path)).toBe('9007199254740993');
    expect(milvusPathText({ $meta: { a: { b: { c: 1 } } } }, path)).toBe('{"c":1}');
    for (const row of [{ $meta: {} }, { $meta: { a: 5 } }, { $meta: { a: { b: null } } }, {}]) expect(milvusPathText(row, path)).toBeNull();
  });
});
