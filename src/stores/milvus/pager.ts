/**
 * Key-ordered, complete scan of a Milvus collection: the pager behind MilvusReader.scan().
 *
 * Two servers, two behaviours (see docs/milvus-paging.md):
 * - real Milvus returns the smallest matching keys, ascending, for a limited query, but caps
 *   offset+limit at 16384 and may return short (even empty) pages while rows remain;
 * - Milvus Lite returns matches in insertion order, so a limited query is an arbitrary sample.
 * The pager therefore never trusts a page: it sorts it, takes its largest key m, and confirms with
 * count(*) that the page held every row in (cursor, m]. Pages are read ahead in batches (the next
 * page starts above m), and one count confirms a whole batch, whose ranges are contiguous; the
 * batch grows while counts agree (real Milvus), and a mismatch is narrowed to its first incomplete
 * page by bisection. Pages waiting for their count are held packed (packed-page.ts), and while
 * confirmations pass the next pages are read ahead (page-chain.ts), so the server works while a
 * count runs and while the caller merges. An incomplete page's closed range is fetched whole
 * (shrinking the range first when it holds too many rows). It ends only when a count of what
 * remains equals what was read.
 *
 * The pager speaks in key ranges; `PagerSource` (the connector) turns them into filter
 * expressions, adds the user's filter and partitions, and checks each answer's status. That keeps
 * this logic testable against models of both servers (test/unit/milvus-pager.test.ts).
 */
import { DbcheckError } from '../../errors.js';
import { compareKeys } from './expr.js';
import { packPage, type PackedPage } from './packed-page.js';
import { PageChain } from './page-chain.js';
import type { MilvusKeyType } from '../types.js';

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

/**
 * Read-ahead bound of the confirmation batches (pages are yielded only once a count has confirmed
 * them): at most this many pages, and no further page once the pages held reach this many
 * estimated bytes. Held packed (packed-page.ts), 32 pages of 16384 int64 keys take 4 MiB.
 */
const MAX_BATCH_PAGES = 32;
const MAX_BATCH_BYTES = 8 * 2 ** 20;
/**
 * Pages read ahead of the batch being confirmed or yielded (page-chain.ts): enough to keep the
 * server busy while the caller merges a batch; no further page once they hold CHAIN_BYTES.
 */
const CHAIN_DEPTH = 4;
const CHAIN_BYTES = 4 * 2 ** 20;

/**
 * Rows the pager holds at most (received, not yet yielded) while confirmations pass: one batch and
 * the pages read ahead of it, 589,824 at the default page size of 16384 (fewer when the rows are
 * large: MAX_BATCH_BYTES and CHAIN_BYTES).
 */
export const maxRowsHeld = (pageSize: number) => (MAX_BATCH_PAGES + CHAIN_DEPTH) * pageSize;
const INT64_MAX_TEXT = '9223372036854775807';
const INT64_MAX_MINUS_ONE_TEXT = '9223372036854775806';

/** A page read ahead: its rows, sorted, are some of the rows with lo < key <= hi. */
interface Page {
  lo: string | undefined;
  hi: string;
  rows: PackedPage;
}

/** A page as answered to `key > lo` (limit pageSize), sorted and packed. */
interface ReadPage {
  length: number;
  /** The largest key (undefined for an empty page). */
  hi: string | undefined;
  rows: PackedPage;
  bytes: number;
  /** The next page's lower bound; undefined when this page ends the scan (short, or reached upTo). */
  next: string | undefined;
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

/** Stands in for a page already yielded, so its rows can be collected while the batch is yielded. */
const CONSUMED: Page = { lo: undefined, hi: '', rows: { length: 0, bytes: 0, unpack: () => [] } };

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

  /** Yields `rows` after making their keys strings and counting them. */
  const settleRows = (rows: Row[]) => {
    for (const row of rows) row[field] = keyOf(row); // key values are always strings
    st.rows += rows.length;
  };

  /**
   * pages[from..to) cover the contiguous key range (pages[from].lo, pages[to-1].hi], which holds `c`
   * rows on the server. Returns `to` when the pages hold all of them; otherwise the first page that
   * misses rows, with the count of its own range, found by bisection (one count per halving: the
   * ranges are disjoint, so a half's count is the whole's minus the other half's).
   */
  async function firstIncomplete(pages: Page[], from: number, to: number, c: number): Promise<number | { index: number; count: number }> {
    let rows = 0;
    for (let i = from; i < to; i++) rows += pages[i]!.rows.length;
    if (rows === c) return to;
    if (to - from === 1) return { index: from, count: c };
    const mid = (from + to) >> 1;
    const left = await count({ after: pages[from]!.lo, upTo: pages[mid - 1]!.hi });
    const found = await firstIncomplete(pages, from, mid, left);
    return typeof found === 'number' ? firstIncomplete(pages, mid, to, c - left) : found;
  }

  let cursor = opts.after;
  // Keys of an earlier page that lie above the cursor, and the exact count of rows in
  // (cursor, last pool key]. On Milvus Lite a page is a sample of everything that remains, so the
  // next ranges are cut from it without asking for a new page (saves a query and a count each).
  let pool: string[] = [];
  let poolCount = 0;
  // Pages read ahead per confirmation count: doubles while confirmations pass (real Milvus answers
  // smallest keys first), back to 1 on a mismatch (Milvus Lite's samples, short pages).
  let batchPages = 1;
  const pack = (rows: Row[]) => packPage(rows, field, type);
  const readPage = async (lo: string | undefined): Promise<ReadPage> => {
    st.pageQueries++;
    const rows = await source.query({ after: lo, upTo }, pageSize);
    rows.sort(byKey);
    const hi = rows.length ? keyOf(rows[rows.length - 1]!) : undefined;
    const ends = hi === undefined || rows.length < pageSize || (upTo !== undefined && cmp(hi, upTo) >= 0);
    const packed = pack(rows);
    return { length: rows.length, hi, rows: packed, bytes: packed.bytes, next: ends ? undefined : hi };
  };
  // Pages above the current batch, read ahead only while counts confirm (real Milvus): on Milvus
  // Lite a mismatch would waste them. Taken only for the same lower bound: exactness is unchanged.
  const chain = new PageChain(readPage, CHAIN_BYTES, () => !opts.signal?.aborted);
  try {
    for (;;) {
      throwIfCancelled(opts.signal);
      if (pool.length > 0) {
        chain.setDepth(0);
        const result = await fetchRange(cursor, pool[pool.length - 1]!, pool.slice(0, -1), poolCount);
        settleRows(result.rows);
        if (result.rows.length > 0) yield result.rows;
        cursor = result.hi;
        const hi = cursor;
        pool = pool.filter((k) => cmp(k, hi) > 0);
        poolCount -= result.rows.length;
        if (poolCount < pool.length) pool = []; // counts moved under us (writes): take a fresh page
        if (upTo !== undefined && cmp(cursor, upTo) >= 0) return; // (cursor, upTo] is empty
        continue;
      }

      // Read up to batchPages pages, each starting above the previous page's largest key.
      const pages: Page[] = [];
      let rowsRead = 0;
      let bytesHeld = 0;
      let reachedEnd = false; // a page came back short or empty, or reached upTo: count the rest instead
      let lo = cursor;
      while (pages.length < batchPages && bytesHeld < MAX_BATCH_BYTES) {
        throwIfCancelled(opts.signal);
        const page = await chain.take(lo);
        if (page.hi === undefined) {
          reachedEnd = true;
          break;
        }
        pages.push({ lo, hi: page.hi, rows: page.rows });
        rowsRead += page.length;
        bytesHeld += page.bytes;
        lo = page.hi;
        if (page.next === undefined) {
          reachedEnd = true;
          break;
        }
      }

      if (pages.length === 0) {
        // An empty page is not the end (real Milvus can return short or empty pages with duplicates).
        const rest: PagerRange = { after: cursor, upTo };
        const remaining = await count(rest);
        if (remaining === 0) return;
        st.pageQueries++;
        const page = await source.query(rest, MILVUS_QUERY_WINDOW);
        if (page.length === 0) throw await unqueryableRows(remaining);
        page.sort(byKey);
        pages.push({ lo: cursor, hi: keyOf(page[page.length - 1]!), rows: pack(page) });
        rowsRead = page.length;
        reachedEnd = false;
      }

      // One count confirms every page read: their ranges are contiguous, so the pages hold every row
      // of (cursor, last hi] exactly when their total equals its count. After a short or empty page,
      // the count covers everything left, so a match also proves the end.
      const lastHi = pages[pages.length - 1]!.hi;
      // The pages above are read while the count runs (it costs about as much as a page on real Milvus).
      if (!reachedEnd && batchPages > 1) chain.setDepth(CHAIN_DEPTH);
      const c = await count(reachedEnd ? { after: cursor, upTo } : { after: cursor, upTo: lastHi });
      if (c === rowsRead) {
        for (let i = 0; i < pages.length; i++) {
          throwIfCancelled(opts.signal);
          const rows = pages[i]!.rows.unpack();
          pages[i] = CONSUMED; // rows are rebuilt one page at a time; the packed page goes now
          settleRows(rows);
          yield rows;
        }
        if (reachedEnd) return;
        cursor = lastHi;
        batchPages = Math.min(MAX_BATCH_PAGES, batchPages * 2);
        continue;
      }
      batchPages = 1;
      chain.setDepth(0);
      const inPages = reachedEnd ? await count({ after: cursor, upTo: lastHi }) : c;
      const found = await firstIncomplete(pages, 0, pages.length, inPages);
      const confirmed = typeof found === 'number' ? found : found.index;
      for (let i = 0; i < confirmed; i++) {
        throwIfCancelled(opts.signal);
        const rows = pages[i]!.rows.unpack();
        cursor = pages[i]!.hi;
        pages[i] = CONSUMED;
        settleRows(rows);
        yield rows;
      }
      if (typeof found !== 'number') {
        // That page missed rows of its range (Lite's sample, a short page): fetch its range whole,
        // cut by the page's own keys. Pages after it are dropped and read again later.
        const bad = pages[found.index]!;
        pool = uniqueSorted(bad.rows.unpack().map(keyOf));
        poolCount = found.count;
      }
      if (upTo !== undefined && cursor !== undefined && cmp(cursor, upTo) >= 0) return;
    }
  } finally {
    chain.stop(); // no query after the scan ends or its consumer stops
  }

  /**
   * The error for rows that count(*) sees and no query returns. Real Milvus 2.3.5 does that for an
   * Int64 primary key equal to INT64_MAX (docs/milvus-paging.md): named precisely when it is the case.
   */
  async function unqueryableRows(remaining: number): Promise<DbcheckError> {
    const after = cursor ?? '(start)';
    if (type === 'int64' && (cursor === undefined || cmp(cursor, INT64_MAX_TEXT) < 0)) {
      const atMax = await count({ after: INT64_MAX_MINUS_ONE_TEXT, upTo });
      const below = atMax === remaining ? await count({ after: cursor, upTo: INT64_MAX_MINUS_ONE_TEXT }) : -1;
      if (below === 0) {
        return new DbcheckError(
          'STORE_ERROR',
          `${where}: count(*) counts ${remaining} row(s) keyed ${INT64_MAX_TEXT} (the int64 maximum) but no query returns them ` +
            '(a known fault of Milvus 2.3.x, see docs/milvus-paging.md); they cannot be compared, so the scan is incomplete',
        );
      }
    }
    return new DbcheckError(
      'STORE_ERROR',
      `${where}: query returned no rows although count(*) says ${remaining} remain after key ${after}`,
    );
  }
}
