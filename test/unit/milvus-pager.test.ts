/**
 * The pager's logic against in-memory models of the two server behaviours it must survive. These
 * are models of documented semantics, not stand-ins for integration tests (those run against the
 * real Milvus Lite in test/integration/stores/milvus.test.ts). Real Milvus is not available here,
 * so its rules (ascending limited results, the 16384 window, short pages with duplicates) are
 * checked on a model only.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { compareKeys } from '../../src/stores/milvus/expr.js';
import {
  MILVUS_QUERY_WINDOW,
  maxRowsHeld,
  scanInKeyOrder,
  type PagerRange,
  type PagerSource,
  type PagerStats,
  type Row,
} from '../../src/stores/milvus/pager.js';
import type { MilvusKeyType } from '../../src/stores/types.js';
import { seededShuffle } from '../helpers/seeded-shuffle.js';

type Behaviour = 'lite' | 'real' | 'real-short-pages';

/** A collection of {key, rowId} rows in insertion order, queried with one server's semantics. */
function model(
  rows: Array<{ key: string; rowId: number }>,
  type: MilvusKeyType,
  behaviour: Behaviour,
  seed = 1,
): PagerSource & { calls: number } {
  let rnd = seed;
  const random = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const inRange = (r: PagerRange) =>
    rows.filter(
      ({ key }) =>
        (r.after === undefined || compareKeys(key, r.after, type) > 0) &&
        (r.upTo === undefined || compareKeys(key, r.upTo, type) <= 0) &&
        (r.except === undefined || key !== r.except),
    );
  const src = {
    calls: 0,
    async query(r: PagerRange, limit: number | undefined): Promise<Row[]> {
      src.calls++;
      let hits = inRange(r);
      if (behaviour === 'lite') {
        // Insertion order; the limit cuts that order.
      } else if (limit === undefined) {
        hits = [...hits].sort(() => random() - 0.5); // no order promised without a limit
      } else {
        if (limit > MILVUS_QUERY_WINDOW) throw new Error('offset+limit exceeds 16384');
        hits = [...hits].sort((a, b) => compareKeys(a.key, b.key, type)); // smallest keys, ascending
      }
      if (behaviour === 'real-short-pages' && limit !== undefined && hits.length > limit && random() < 0.3) {
        // Issue #52659: when the limit binds, a page can come back short, even empty (never on the
        // retry with the full window, which a second empty answer would turn into an error).
        hits = hits.slice(0, limit).slice(0, limit === MILVUS_QUERY_WINDOW ? limit : Math.floor(random() * limit));
      } else if (limit !== undefined) {
        hits = hits.slice(0, limit);
      }
      return hits.map((h) => ({ k: h.key, rowId: h.rowId }));
    },
    async count(r: PagerRange) {
      src.calls++;
      return inRange(r).length;
    },
  };
  return src;
}

async function collect(
  source: PagerSource,
  type: MilvusKeyType,
  pageSize: number,
  bounds: { after?: string; upTo?: string } = {},
  stats?: PagerStats,
) {
  const out: Row[] = [];
  for await (const page of scanInKeyOrder(source, { keyField: 'k', keyType: type, pageSize, ...bounds }, stats)) out.push(...page);
  return out;
}

function expected(rows: Array<{ key: string; rowId: number }>, type: MilvusKeyType, bounds: { after?: string; upTo?: string } = {}) {
  return rows
    .filter(
      ({ key }) =>
        (bounds.after === undefined || compareKeys(key, bounds.after, type) > 0) &&
        (bounds.upTo === undefined || compareKeys(key, bounds.upTo, type) <= 0),
    )
    .map((r) => r.key)
    .sort((a, b) => compareKeys(a, b, type));
}

/** Scan output must be the keys in order, and every row exactly once. */
function assertComplete(out: Row[], rows: Array<{ key: string; rowId: number }>, type: MilvusKeyType, bounds = {}) {
  expect(out.map((r) => r.k)).toEqual(expected(rows, type, bounds));
  const ids = out.map((r) => r.rowId as number);
  expect(new Set(ids).size).toBe(ids.length);
}

const shuffled = <T>(xs: T[], seed = 7) => seededShuffle(xs, seed);

describe('scanInKeyOrder', () => {
  const behaviours: Behaviour[] = ['lite', 'real', 'real-short-pages'];

  for (const behaviour of behaviours) {
    it(`${behaviour}: shuffled int64 keys (negative, above 2^53) come back complete and ascending`, async () => {
      const keys = [
        ...Array.from({ length: 1500 }, (_, i) => String(i * 3 - 700)),
        '9007199254740993',
        '9007199254740992',
        '-9223372036854775808',
      ];
      const rows = shuffled(keys).map((key, rowId) => ({ key, rowId }));
      const out = await collect(model(rows, 'int64', behaviour), 'int64', 50);
      assertComplete(out, rows, 'int64');
    });

    it(`${behaviour}: a key with many duplicates spanning pages is returned whole, adjacently`, async () => {
      // 700 rows share key 5 (more than 2 pages of 100), around other keys with 1-3 rows each.
      const keys = [...Array.from({ length: 700 }, () => '5'), ...Array.from({ length: 900 }, (_, i) => String(i % 300))];
      const rows = shuffled(keys, 3).map((key, rowId) => ({ key, rowId }));
      const out = await collect(model(rows, 'int64', behaviour), 'int64', 100);
      assertComplete(out, rows, 'int64');
    });

    it(`${behaviour}: varchar keys in UTF-8 byte order with after/upTo bounds`, async () => {
      const keys = Array.from({ length: 800 }, (_, i) => [`k${i}`, `q"${i}`, `b\\${i}`, `ü${i}`, `😀${i}`, `｡${i}`][i % 6]!);
      const rows = shuffled(keys, 11).map((key, rowId) => ({ key, rowId }));
      assertComplete(await collect(model(rows, 'varchar', behaviour), 'varchar', 37), rows, 'varchar');
      const bounds = { after: 'k5', upTo: 'ü7' };
      assertComplete(await collect(model(rows, 'varchar', behaviour), 'varchar', 37, bounds), rows, 'varchar', bounds);
    });
  }

  it('holds for random data, page sizes and bounds on every behaviour (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 400 }),
        fc.integer({ min: 1, max: 40 }),
        fc.option(fc.integer({ min: -60, max: 60 }), { nil: undefined }),
        fc.option(fc.integer({ min: -60, max: 60 }), { nil: undefined }),
        fc.constantFrom<Behaviour>(...behaviours),
        fc.integer({ min: 1, max: 1000 }),
        async (ints, pageSize, after, upTo, behaviour, seed) => {
          const rows = ints.map((n, rowId) => ({ key: String(n), rowId }));
          const bounds = { after: after === undefined ? undefined : String(after), upTo: upTo === undefined ? undefined : String(upTo) };
          const out = await collect(model(rows, 'int64', behaviour, seed), 'int64', pageSize, bounds);
          assertComplete(out, rows, 'int64', bounds);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on real-Milvus semantics one count confirms a growing batch of pages (1, 2, 4, ... 32)', async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ key: String(i), rowId: i }));
    const stats: PagerStats = { pageQueries: 0, rangeQueries: 0, counts: 0, rows: 0, countMismatches: 0 };
    await collect(model(rows, 'int64', 'real'), 'int64', 100, {}, stats);
    // 100 pages + the empty one that ends the scan; batches of 1+2+4+8+16+32+32+5 pages, the last
    // count covering the rest (it proves the end too).
    expect(stats).toEqual({ pageQueries: 101, rangeQueries: 0, counts: 8, rows: 10_000, countMismatches: 0 });
  });

  it('holds at most one batch of pages plus the pages read ahead, however many rows the collection has', async () => {
    // Rows the pager has received from the source and not yet handed to the consumer, at their most.
    const maxHeld = async (n: number) => {
      const source = model(
        Array.from({ length: n }, (_, i) => ({ key: String(i), rowId: i })),
        'int64',
        'real',
      );
      let received = 0;
      let consumed = 0;
      let most = 0;
      const counting: PagerSource = {
        query: async (r, limit) => {
          const rows = await source.query(r, limit);
          received += rows.length;
          most = Math.max(most, received - consumed);
          return rows;
        },
        count: (r) => source.count(r),
      };
      for await (const page of scanInKeyOrder(counting, { keyField: 'k', keyType: 'int64', pageSize: 100 })) consumed += page.length;
      expect(consumed).toBe(n);
      return most;
    };
    const bound = maxRowsHeld(100);
    expect(bound).toBe(36 * 100); // 32 pages confirmed by one count, and the 4 read ahead of them
    const small = await maxHeld(8_000);
    const large = await maxHeld(16_000);
    expect(large).toBeLessThanOrEqual(bound);
    expect(large).toBe(small);
    expect(maxRowsHeld(MILVUS_QUERY_WINDOW)).toBe(36 * MILVUS_QUERY_WINDOW);
  });

  it('keeps asking for the next pages while the consumer is busy with a confirmed batch (real Milvus)', async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ key: String(i), rowId: i }));
    const real = model(rows, 'int64', 'real');
    let busy = false;
    let askedWhileBusy = 0;
    const serverTime = () => new Promise((resolve) => setTimeout(resolve, 1));
    const source: PagerSource = {
      count: async (r) => (await serverTime(), real.count(r)),
      async query(r, limit) {
        if (busy) askedWhileBusy++;
        await serverTime();
        return real.query(r, limit);
      },
    };
    const stats: PagerStats = { pageQueries: 0, rangeQueries: 0, counts: 0, rows: 0, countMismatches: 0 };
    const out: Row[] = [];
    for await (const page of scanInKeyOrder(source, { keyField: 'k', keyType: 'int64', pageSize: 100 }, stats)) {
      busy = true; // a merge taking its time: the server should not wait for it
      await new Promise((resolve) => setTimeout(resolve, 1));
      busy = false;
      out.push(...page);
    }
    assertComplete(out, rows, 'int64');
    // The page queries are the same ones (100 pages and the empty one), only asked earlier. A pager
    // that asks for nothing while its pages are consumed (the one before page-chain.ts) scores 0.
    expect(stats.pageQueries).toBe(101);
    expect(askedWhileBusy).toBeGreaterThanOrEqual(8);
  });

  it('a short page inside a batch is found by bisection and its range fetched whole', async () => {
    const rows = Array.from({ length: 3200 }, (_, i) => ({ key: String(i), rowId: i }));
    const real = model(rows, 'int64', 'real');
    let pageNo = 0;
    const source: PagerSource = {
      count: (r) => real.count(r),
      async query(r, limit) {
        const page = await real.query(r, limit);
        // The 20th page (inside the batch of 16 pages 16..31) loses its last 30 rows but keeps its largest key.
        return limit === 100 && ++pageNo === 20 ? [...page.slice(0, 60), page[99]!] : page;
      },
    };
    const stats: PagerStats = { pageQueries: 0, rangeQueries: 0, counts: 0, rows: 0, countMismatches: 0 };
    assertComplete(await collect(source, 'int64', 100, {}, stats), rows, 'int64');
    expect(stats.rangeQueries).toBe(1);
    expect(stats.countMismatches).toBe(0);
  });

  it('names rows keyed INT64_MAX that count(*) counts and no query returns (real Milvus 2.3.5)', async () => {
    const MAX = '9223372036854775807';
    const rows = [...Array.from({ length: 250 }, (_, i) => ({ key: String(i), rowId: i })), { key: MAX, rowId: 250 }];
    const real = model(rows, 'int64', 'real');
    const source: PagerSource = {
      count: (r) => real.count(r),
      query: async (r, limit) => (await real.query(r, limit)).filter((row) => row.k !== MAX),
    };
    const out: Row[] = [];
    const run = async () => {
      for await (const page of scanInKeyOrder(source, { keyField: 'k', keyType: 'int64', pageSize: 100 })) out.push(...page);
    };
    await expect(run()).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringMatching(/1 row\(s\) keyed 9223372036854775807 \(the int64 maximum\) but no query returns them/),
    });
    expect(out).toHaveLength(250); // every other row came through first, in order
  });

  it('stops between pages once the signal fires', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ key: String(i), rowId: i }));
    const ac = new AbortController();
    const pages: Row[][] = [];
    const run = async () => {
      for await (const page of scanInKeyOrder(model(rows, 'int64', 'real'), {
        keyField: 'k',
        keyType: 'int64',
        pageSize: 100,
        signal: ac.signal,
      })) {
        pages.push(page);
        if (pages.length === 2) ac.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(pages).toHaveLength(2);
  });

  it('reports a count that disagrees with what the server returns instead of skipping rows', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ key: String(i), rowId: i }));
    const lying: PagerSource = { query: async () => [], count: async () => 5 };
    await expect(collect(lying, 'int64', 10)).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringMatching(/5 remain/) });
    expect(rows).toHaveLength(50);
  });

  it('asks again when a closed range comes back short although its limit did not bind', async () => {
    const rows = shuffled(Array.from({ length: 400 }, (_, i) => ({ key: String(i), rowId: i })));
    const lite = model(rows, 'int64', 'lite');
    let dropped = 0;
    const flaky: PagerSource = {
      count: (r) => lite.count(r),
      async query(r, limit) {
        const got = await lite.query(r, limit);
        // Every fourth closed-range answer loses its last row (a server hiccup, not the data).
        if (r.upTo !== undefined && limit !== undefined && got.length > 1 && ++dropped % 4 === 0) return got.slice(0, -1);
        return got;
      },
    };
    const stats: PagerStats = { pageQueries: 0, rangeQueries: 0, counts: 0, rows: 0, countMismatches: 0 };
    assertComplete(await collect(flaky, 'int64', 20, {}, stats), rows, 'int64');
    expect(dropped).toBeGreaterThan(4);
    expect(stats.countMismatches).toBe(0);
  });

  it('keeps what the server returns when it collapses duplicate keys that count(*) counts', async () => {
    // Real Milvus may answer one row per duplicated primary key while count(*) counts every copy.
    const rows = shuffled([...Array.from({ length: 300 }, (_, i) => String(i)), '7', '7', '150'].map((key, rowId) => ({ key, rowId })));
    const lite = model(rows, 'int64', 'lite');
    const collapsing: PagerSource = {
      count: (r) => lite.count(r),
      async query(r, limit) {
        const seen = new Set<unknown>();
        return (await lite.query(r, limit)).filter((row) => !seen.has(row.k) && seen.add(row.k));
      },
    };
    const stats: PagerStats = { pageQueries: 0, rangeQueries: 0, counts: 0, rows: 0, countMismatches: 0 };
    const out = await collect(collapsing, 'int64', 25, {}, stats);
    expect(out.map((r) => r.k)).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
    expect(stats.countMismatches).toBeGreaterThan(0);
  });

  it('rejects page sizes outside 1..16384', async () => {
    await expect(collect(model([], 'int64', 'lite'), 'int64', 0)).rejects.toMatchObject({ code: 'USAGE' });
    await expect(collect(model([], 'int64', 'lite'), 'int64', 16385)).rejects.toMatchObject({ code: 'USAGE' });
  });
});
