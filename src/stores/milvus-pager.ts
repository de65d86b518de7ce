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
 * remains is 0. The server side is abstracted as `PagerSource` so the logic is testable alone.
 */
import { DbcheckError } from '../errors.js';
import { compareKeys, milvusLiteral, rangeExpr } from './milvus-expr.js';
import type { MilvusKeyType } from './types.js';

export type Row = Record<string, unknown>;

/** Throws a coded CANCELLED error once the signal has fired (checked between server calls). */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new DbcheckError('CANCELLED', 'Milvus scan cancelled', { cause: signal.reason });
  }
}

/** Largest offset+limit real Milvus accepts (maxQueryResultWindow). */
export const MILVUS_QUERY_WINDOW = 16384;

export interface PagerSource {
  /** Rows matching expr ('' = all), at most `limit` (none when undefined); must throw on any server error. */
  query(expr: string, limit: number | undefined): Promise<Row[]>;
  /** count(*) of rows matching expr (Strong consistency); must throw on any server error. */
  count(expr: string): Promise<number>;
}

export interface PagerOptions {
  keyField: string;
  keyType: MilvusKeyType;
  filter?: string;
  /** Exclusive lower / inclusive upper key bound. */
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
}

export async function* scanInKeyOrder(source: PagerSource, opts: PagerOptions, stats?: PagerStats): AsyncGenerator<Row[]> {
  const { keyField: field, keyType: type, filter, upTo, pageSize } = opts;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MILVUS_QUERY_WINDOW) {
    throw new DbcheckError('USAGE', `pageSize must be an integer between 1 and ${MILVUS_QUERY_WINDOW}, got ${pageSize}`);
  }
  const st: PagerStats = stats ?? { pageQueries: 0, rangeQueries: 0, counts: 0, rows: 0 };
  // A closed range is fetched in one query of at most maxRange rows; larger ranges are shrunk first.
  const maxRange = Math.min(MILVUS_QUERY_WINDOW, pageSize * 2);
  const keyOf = (row: Row) => String(row[field]);
  const byKey = (a: Row, b: Row) => compareKeys(keyOf(a), keyOf(b), type);
  const where = opts.where ?? 'Milvus';
  const expr = (after: string | undefined, to: string | undefined) => rangeExpr(field, type, { after, upTo: to }, filter);
  const count = async (e: string) => {
    st.counts++;
    return source.count(e);
  };

  /**
   * Every row with lo < key <= hi, sorted. `sample` holds keys known to be in (lo, hi] (a page of
   * them); it guides shrinking when the range holds more than maxRange rows.
   */
  async function fetchClosedRange(lo: string | undefined, hi: string, sample: string[], knownCount: number): Promise<{ rows: Row[]; hi: string }> {
    let c = knownCount;
    for (;;) {
      throwIfCancelled(opts.signal);
      if (c <= maxRange) {
        st.rangeQueries++;
        const rows = await source.query(expr(lo, hi), maxRange);
        if (rows.length !== c) {
          // Either the data changed between the two calls or the server answered short: recount once.
          const again = await count(expr(lo, hi));
          if (rows.length !== again) {
            throw new DbcheckError('STORE_ERROR',
              `${where}: key range (${lo ?? '-inf'}, ${hi}] returned ${rows.length} rows but count(*) says ${again}; ` +
              'is the collection being written to during the audit?');
          }
        }
        return { rows: rows.sort(byKey), hi };
      }
      // Too many rows for one query: move hi down to a sampled key that should leave ~half of maxRange.
      let candidates = sample.filter((k) => compareKeys(k, hi, type) < 0 && (lo === undefined || compareKeys(k, lo, type) > 0));
      if (candidates.length === 0) {
        st.pageQueries++;
        const fresh = await source.query(`${expr(lo, hi)} && ${field} != ${milvusLiteral(hi, type)}`, pageSize);
        if (fresh.length === 0) {
          // Every row of (lo, hi] has key == hi: one key with more rows than a page. Fetch it whole
          // (no limit: a limit above 16384 is refused by real Milvus, an unlimited query is not).
          st.rangeQueries++;
          const rows = await source.query(expr(lo, hi), undefined);
          if (rows.length !== c) {
            throw new DbcheckError('STORE_ERROR',
              `${where}: key ${hi} returned ${rows.length} rows but count(*) says ${c}; is the collection being written to?`);
          }
          return { rows, hi };
        }
        candidates = uniqueSorted(fresh.map(keyOf));
      }
      const target = Math.max(1, Math.floor(maxRange / 2));
      const j = Math.min(candidates.length - 1, Math.max(0, Math.floor((candidates.length * target) / c) - 1));
      hi = candidates[j]!;
      sample = candidates.slice(0, j);
      c = await count(expr(lo, hi));
    }
  }

  let cursor = opts.after;
  for (;;) {
    throwIfCancelled(opts.signal);
    const remainingExpr = expr(cursor, upTo);
    st.pageQueries++;
    let page = await source.query(remainingExpr, pageSize);
    if (page.length === 0) {
      // An empty page is not the end (real Milvus can return short or empty pages with duplicates).
      const remaining = await count(remainingExpr);
      if (remaining === 0) return;
      st.pageQueries++;
      page = await source.query(remainingExpr, MILVUS_QUERY_WINDOW);
      if (page.length === 0) {
        throw new DbcheckError('STORE_ERROR',
          `${where}: query returned no rows although count(*) says ${remaining} remain after key ${cursor ?? '(start)'}`);
      }
    }
    page.sort(byKey);
    const m = keyOf(page[page.length - 1]!);
    const inRange = await count(expr(cursor, m));
    let result: { rows: Row[]; hi: string };
    if (inRange === page.length) {
      result = { rows: page, hi: m }; // the page held every row in (cursor, m]
    } else {
      result = await fetchClosedRange(cursor, m, uniqueSorted(page.map(keyOf)), inRange);
    }
    for (const row of result.rows) row[field] = keyOf(row); // key values are always strings
    st.rows += result.rows.length;
    if (result.rows.length > 0) yield result.rows;
    cursor = result.hi;
    if (upTo !== undefined && compareKeys(cursor, upTo, type) >= 0) {
      return; // nothing can remain above the inclusive upper bound
    }
  }

  function uniqueSorted(keys: string[]): string[] {
    keys.sort((a, b) => compareKeys(a, b, type));
    return keys.filter((k, i) => i === 0 || k !== keys[i - 1]);
  }
}
