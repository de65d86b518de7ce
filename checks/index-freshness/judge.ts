/**
 * The verdict on one document: is what the index holds older than the source? Pure functions over
 * epoch seconds, so the Postgres join and the Milvus scan judge alike and unit tests can pin them.
 *
 * `grace` covers the indexing pipeline's lag and the clock skew between the app (which writes the
 * source's timestamp) and the indexer: a document is judged stale only when its change is more than
 * `grace` newer than its indexing AND more than `grace` ago; otherwise it is `within-grace`
 * (counted, so a silence is explained, never reported).
 */

export type Verdict = 'fresh' | 'stale' | 'within-grace';

/** A source changed at `sourceAt` against an index that recorded it at `indexedAt` (epoch seconds). */
export function judgeTimes(sourceAt: number, indexedAt: number, nowS: number, graceS: number): Verdict {
  if (sourceAt <= indexedAt) return 'fresh';
  return sourceAt > indexedAt + graceS && sourceAt <= nowS - graceS ? 'stale' : 'within-grace';
}

/**
 * Content hashes: any difference is stale, unless the source also has a timestamp saying the change
 * is younger than `grace` (the pipeline has not had its chance yet).
 */
export function judgeHashes(
  sourceHash: string,
  indexedHash: string | null,
  sourceAt: number | null,
  nowS: number,
  graceS: number,
): Verdict {
  if (sourceHash === indexedHash) return 'fresh';
  return sourceAt !== null && sourceAt > nowS - graceS ? 'within-grace' : 'stale';
}

/** A source document the index has no record of: unindexed, unless it changed within `grace`. */
export function judgeUnindexed(sourceAt: number | null, nowS: number, graceS: number): 'unindexed' | 'within-grace' {
  return sourceAt !== null && sourceAt > nowS - graceS ? 'within-grace' : 'unindexed';
}

/** Epoch seconds as ISO-8601 text for findings (null stays null). */
export function isoTime(epochS: number | null | undefined): string | null {
  if (epochS === null || epochS === undefined || !Number.isFinite(epochS)) return null;
  return new Date(epochS * 1000).toISOString();
}

/**
 * An entity's indexing time as epoch seconds: numbers in `unit` (s or ms), numeric text likewise,
 * other text as an ISO-8601 date; null when absent or unreadable.
 */
export function epochSeconds(value: unknown, unit: 's' | 'ms'): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
  if (n !== undefined) return unit === 'ms' ? n / 1000 : n;
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms / 1000;
}
