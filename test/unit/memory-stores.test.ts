/**
 * The in-memory Redis and Milvus readers keep the promises of the real readers' interface (key
 * order, ranges, filters, reply shapes, refusals), so a check tested on them is tested against
 * what it will see.
 */
import { describe, expect, it } from 'vitest';
import { compileFilter, globToRegExp, MemoryMilvus, MemoryRedis, UnsupportedFilterError } from '../helpers/memory-stores/index.js';

async function all<T>(it: AsyncIterable<T[]>): Promise<T[][]> {
  const pages: T[][] = [];
  for await (const p of it) pages.push(p);
  return pages;
}

describe('memory Redis', () => {
  const redis = () =>
    new MemoryRedis({
      keys: {
        'user:1': '{"id":1}',
        'user:2': { type: 'string', value: '{"id":2}', ttlMs: 5_500 },
        'user:h': { type: 'hash', value: { name: 'ann', age: '3' } },
        'session:1': { type: 'set', value: ['a', 'b'] },
      },
    });

  it('SCAN pages by COUNT, honours MATCH globs and TYPE, and yields keys as Buffers', async () => {
    const pages = await all(redis().scan({ match: 'user:*', count: 2 }));
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(pages.flat().every(Buffer.isBuffer)).toBe(true);
    expect((await all(redis().scan({ match: 'user:?', type: 'hash' }))).flat().map(String)).toEqual(['user:h']);
    expect(globToRegExp('a[bc]\\*').test('ac*')).toBe(true);
    expect(globToRegExp('a[bc]\\*').test('acx')).toBe(false);
  });

  it('pipeline replies have the real reader shapes: Buffers, TTL codes, WRONGTYPE as a reply error', async () => {
    const replies = await redis().pipeline([
      ['get', 'user:1'],
      ['get', 'nope'],
      ['pttl', 'user:2'],
      ['ttl', 'user:2'],
      ['ttl', 'user:1'],
      ['ttl', 'nope'],
      ['type', 'session:1'],
      ['hgetall', 'user:h'],
      ['get', 'user:h'],
    ]);
    expect(replies[0]).toEqual([null, Buffer.from('{"id":1}')]);
    expect(replies[1]).toEqual([null, null]);
    expect(replies.slice(2, 7).map(([, v]) => v)).toEqual([5_500, 6, -1, -2, 'set']);
    expect(replies[7]).toEqual([null, { name: Buffer.from('ann'), age: Buffer.from('3') }]);
    expect(String(replies[8][0])).toMatch(/^Error: WRONGTYPE/);
  });

  it('refuses write commands before anything runs, as the real reader does', async () => {
    const r = redis();
    await expect(
      r.pipeline([
        ['get', 'user:1'],
        ['set' as 'get', 'user:1', 'x'],
      ]),
    ).rejects.toThrow(/refused Redis command SET/);
    expect(r.calls).toEqual([]);
  });

  it('a command it does not model throws instead of answering wrongly', async () => {
    await expect(redis().pipeline([['zrange', 'z', 0, -1]])).rejects.toThrow(/does not model ZRANGE/);
  });

  it('INFO: the fixture overrides the defaults', async () => {
    expect(await new MemoryRedis({ info: { evicted_keys: '7' } }).info()).toMatchObject({ evicted_keys: '7', maxmemory: '0' });
  });
});

describe('memory Milvus', () => {
  const milvus = () =>
    new MemoryMilvus({
      collections: {
        docs: {
          fields: { id: 'Int64', doc_id: 'VarChar', model: 'VarChar', embedding: 'FloatVector' },
          rows: [
            { id: 10, doc_id: 'b', model: 'v2' },
            { id: '9223372036854775807', doc_id: 'a', model: 'v1' },
            { id: -3, doc_id: '\u{1F600}', model: 'v2' },
            { id: 2, doc_id: '\uFFFD', model: 'v2' },
          ],
        },
      },
    });

  it('scan: ascending key order (BigInt for int64, UTF-8 byte order for varchar), ranges, pages, int64 as strings', async () => {
    const ids = (await all(milvus().scan('docs', { pageSize: 3 }))).map((p) => p.map((r) => r.id));
    expect(ids).toEqual([['-3', '2', '10'], ['9223372036854775807']]);
    const byDoc = (await all(milvus().scan('docs', { keyField: 'doc_id' }))).flat().map((r) => r.doc_id);
    expect(byDoc).toEqual(['a', 'b', '\uFFFD', '\u{1F600}']);
    const range = (await all(milvus().scan('docs', { after: '2', upTo: '9223372036854775807' }))).flat().map((r) => r.id);
    expect(range).toEqual(['10', '9223372036854775807']);
  });

  it('filters: the subset dbcheck writes (literals from literal(), in-lists, and/or/not)', async () => {
    const m = milvus();
    expect(await m.count('docs', { filter: 'model == "v2"' })).toBe(3);
    expect(await m.count('docs', { filter: `id in [${m.literal('10', 'int64')}, -3] && not (model == 'v1')` })).toBe(2);
    expect(await m.count('docs', { filter: 'id > 9223372036854775806 or doc_id == "b"' })).toBe(2);
    expect(await m.count('docs', { filter: 'doc_id not in ["a", "b"]' })).toBe(2);
    expect(() => compileFilter('json_contains(tags, "x")')).toThrow(UnsupportedFilterError);
    expect(() => compileFilter('id + 1 > 2')).toThrow(UnsupportedFilterError);
  });

  it('describe, missing collections (STORE_MISSING_OBJECT), getByKeys, query limits, search hit counts', async () => {
    const m = milvus();
    expect((await m.describeCollection('docs')).primaryKey).toEqual({ name: 'id', type: 'int64' });
    await expect(m.describeCollection('nope')).rejects.toMatchObject({ code: 'STORE_MISSING_OBJECT' });
    expect((await m.getByKeys('docs', 'doc_id', ['a', 'zz'], ['model'])).map((r) => r.model)).toEqual(['v1']);
    expect(await m.query('docs', { limit: 2, filter: 'model == "v2"' })).toHaveLength(2);
    expect(
      await m.search('docs', {
        vectorField: 'embedding',
        vectors: [
          [1, 2, 3, 4],
          [0, 0, 0, 1],
        ],
        topk: 3,
        filter: 'model == "v1"',
      }),
    ).toEqual([1, 1]);
  });
});
