/**
 * What a check saw but did not judge — tolerated (within a TTL, a grace window) or out of its reach
 * (no key to look up) — counted by reason in `stats.notJudged`, so a silence is explained: the
 * terminal table prints these counts under the check ("not judged: 3 cache entries stale within
 * their TTL"), and JSON carries them. A convention any plugin can follow: declare
 * `notJudged: perName('sum')` in meta.stats.
 */
import { perName } from '../../src/plugin.js';

/** The stat to declare in meta.stats: counts by reason, summed across shards. */
export const NOT_JUDGED_STAT = perName('sum');

/** Adds `n` items not judged for `reason` (a short plural phrase); zero adds nothing. */
export function notJudged(stats: { notJudged?: Record<string, number> }, reason: string, n = 1): void {
  if (n <= 0) return;
  const counts = (stats.notJudged ??= {});
  counts[reason] = (counts[reason] ?? 0) + n;
}
