/**
 * Key-ordered, complete scan of a Milvus collection: the pager behind MilvusReader.scan().
 *
 * Two servers, two behaviours (see docs/milvus-paging.md):
 * - real Milvus returns the smallest matching keys, ascending, for a limited query, but caps
 *   offset+limit at 16384 and may return short (even empty) pages while rows remain;
 * - Milvus Lite returns matches in insertion order, so a limited query is an arbitrary sample.
 * The pager therefore never trusts a page: it sorts it, takes its largest key m, and confirms with
 * count(*) that the page held every row in (cursor, m]. If not, it fetches that closed range whole
 * (shrinking the range first when it holds too many rows). It ends only when a count of what
 * remains is 0.
 *
 * The pager speaks in key ranges; `PagerSource` (the connector) turns them into filter
 * expressions, adds the user's filter and partitions, and checks each answer's status. That keeps
 * this logic testable against models of both servers (test/unit/milvus-pager.test.ts).
 */
import { DbcheckError } from '../errors.js';
import { compareKeys } from './milvus-expr.js';
import type { MilvusKeyType } from './types.js';

export type Row = Record<string, unknown>;

/** Largest offset+limit real Milvus accepts (maxQueryResultWindow). */
export const MILVUS_QUERY_WINDOW = 16384;

/** Keys k with after < k <= upTo (either bound optional), excluding k == except when given. */
export interface PagerRange {
  after?: string;
  upTo?: string;
  except?: string;
}

export interface PagerSource {
  /** Rows in the range (and the user's filter), at most `limit` (no limit when undefined). Throws on server errors. */
  query(range: PagerRange, limit: number | undefined): Promise<Row[]>;
  /** count(*) of rows in the range (and the user's filter), Strong consistency. Throws on server errors. */
  count(range: PagerRange): Promise<number>;
}

export interface PagerOptions {
  keyField: string;
  keyType: MilvusKeyType;
  /** Exclusive lower / inclusive upper key bound of the whole scan. */
  after?: string;
  upTo?: string;
  /** Rows asked for per page query (1..16384). */
  pageSize: number;
  signal?: AbortSignal;
  /** Label for error messages, e.g. 'Milvus at 127.0.0.1:19530, collection "docs"'. */
  where?: string;
}

/** Counters a caller (or a benchmark) can read after the scan. */
export interface PagerStats {
  pageQueries: number;
  rangeQueries: number;
  counts: number;
  rows: number;
  /** Closed ranges whose rows differed from their count(*) (see fetchRange). */
  countMismatches: number;
}

/** Throws a coded CANCELLED error once the signal has fired (checked between server calls). */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new DbcheckError('CANCELLED', 'Milvus scan cancelled', { cause: signal.reason });
  }
}

export async function* scanInKeyOrder(source: PagerSource, opts: PagerOptions, stats?: PagerStats): AsyncGenerator<Row[]> {
  const { keyField: field, keyType: type, upTo, pageSize } = opts;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MILVUS_QUERY_WINDOW) {
    throw new DbcheckError('USAGE', `pageSize must be an integer between 1 and ${MILVUS_QUERY_WINDOW}, got ${pageSize}`);
  }
  const st: PagerStats = stats ?? { pageQueries: 0, rangeQueries: 0, counts: 0, rows: 0, countMismatches: 0 };
  // A closed range is fetched by one query of at most maxRange rows; larger ranges are shrunk first.
  const maxRange = Math.min(MILVUS_QUERY_WINDOW, pageSize * 2);
  const where = opts.where ?? 'Milvus';
  const keyOf = (row: Row) => String(row[field]);
  const cmp = (a: string, b: string) => compareKeys(a, b, type);
  const byKey = (a: Row, b: Row) => cmp(keyOf(a), keyOf(b));
  const uniqueSorted = (keys: string[]) => keys.sort(cmp).filter((k, i) => i === 0 || k !== keys[i - 1]);
  const count = (range: PagerRange) => {
    st.counts++;
    return source.count(range);
  };

  /**
   * Every row with lo < key <= hi, sorted, or of a smaller range (lo, hi'] when (lo, hi] holds more
   * than maxRange rows; returns the hi it used. `sample` holds keys known to lie in (lo, hi): they
   * guide where to cut. `c` is count(lo, hi].
   */
  async function fetchRange(lo: string | undefined, hi: string, sample: string[], c: number): Promise<{ rows: Row[]; hi: string }> {
    for (;;) {
      throwIfCancelled(opts.signal);
      if (c <= maxRange) {
        st.rangeQueries++;
        const first = await source.query({ after: lo, upTo: hi }, maxRange);
        if (first.length === maxRange) {
          // The limit bound: complete only if the range really holds maxRange rows (c may be an
          // estimate carried over from an earlier count, or rows were added since).
          c = await count({ after: lo, upTo: hi });
          if (c > maxRange) continue;
        }
        let rows = first;
        if (rows.length < c) {
          // Short although the limit did not bind: ask once more without a limit (c <= maxRange).
          st.rangeQueries++;
          const again = await source.query({ after: lo, upTo: hi }, undefined);
          if (again.length > rows.length) rows = again;
        }
        // Still different: writes during the audit, or real Milvus collapsing duplicate primary
        // keys in query results (count(*) counts each copy). Kept as a statistic, not an error.
        if (rows.length !== c) st.countMismatches++;
        return { rows: rows.sort(byKey), hi };
      }
      // Too many rows for one query: cut at a sampled key expected to leave about 3/4 of maxRange
      // rows (the sample is random enough on Milvus Lite that overshooting is rare; then cut again).
      let candidates = sample;
      if (candidates.length === 0) {
        st.pageQueries++;
        const fresh = await source.query({ after: lo, upTo: hi, except: hi }, pageSize);
        if (fresh.length === 0) {
          // Every row of (lo, hi] has key == hi: one key holds more rows than maxRange. Fetch that
          // key whole (no limit: real Milvus refuses a limit above 16384, not an unlimited query).
          st.rangeQueries++;
          const rows = await source.query({ after: lo, upTo: hi }, undefined);
          if (rows.length !== c) st.countMismatches++;
          return { rows, hi };
        }
        candidates = uniqueSorted(fresh.map(keyOf));
      }
      const target = Math.max(1, Math.floor((maxRange * 3) / 4));
      const j = Math.min(candidates.length - 1, Math.max(0, Math.floor((candidates.length * target) / c) - 1));
      hi = candidates[j]!;
      sample = candidates.slice(0, j);
      c = await count({ after: lo, upTo: hi });
    }
  }

  let cursor = opts.after;
  // Keys of an earlier page that lie above the cursor, and the exact count of rows in
  // (cursor, last pool key]. On Milvus Lite a page is a sample of everything that remains, so the
  // next ranges are cut from it without asking for a new page (saves a query and a count each).
  let pool: string[] = [];
  let poolCount = 0;
  for (;;) {
    throwIfCancelled(opts.signal);
    let result: { rows: Row[]; hi: string };
    if (pool.length > 0) {
      result = await fetchRange(cursor, pool[pool.length - 1]!, pool.slice(0, -1), poolCount);
    } else {
      const rest: PagerRange = { after: cursor, upTo };
      st.pageQueries++;
      let page = await source.query(rest, pageSize);
      if (page.length === 0) {
        // An empty page is not the end (real Milvus can return short or empty pages with duplicates).
        const remaining = await count(rest);
        if (remaining === 0) return;
        st.pageQueries++;
        page = await source.query(rest, MILVUS_QUERY_WINDOW);
        if (page.length === 0) {
          throw new DbcheckError('STORE_ERROR',
            `${where}: query returned no rows although count(*) says ${remaining} remain after key ${cursor ?? '(start)'}`);
        }
      }
      page.sort(byKey);
      const m = keyOf(page[page.length - 1]!);
      const inPageRange = await count({ after: cursor, upTo: m });
      if (inPageRange === page.length) {
        result = { rows: page, hi: m }; // the page held every row in (cursor, m]: real Milvus's case
      } else {
        pool = uniqueSorted(page.map(keyOf));
        poolCount = inPageRange;
        result = await fetchRange(cursor, m, pool.slice(0, -1), inPageRange);
      }
    }
    for (const row of result.rows) row[field] = keyOf(row); // key values are always strings
    st.rows += result.rows.length;
    if (result.rows.length > 0) yield result.rows;
    cursor = result.hi;
    if (pool.length > 0) {
      const hi = cursor;
      pool = pool.filter((k) => cmp(k, hi) > 0);
      poolCount -= result.rows.length;
      if (poolCount < pool.length) pool = []; // counts moved under us (writes): take a fresh page
    }
    if (upTo !== undefined && cmp(cursor, upTo) >= 0) return; // (cursor, upTo] is empty
  }
}
