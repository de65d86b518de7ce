/**
 * The check's stats: counters written straight into ctx.stats as the check goes, so a run that fails
 * midway (Redis gone mid-scan) still reports how far it got.
 */
import { perName, type StatsOf } from '../../src/plugin.js';
import { NOT_JUDGED_STAT } from '../lib/not-judged.js';

/** The check's stats and how each merges across shards (meta.stats): every one a counter. */
export const STATS = {
  keysScanned: 'sum', // keys SCAN returned for the mappings' globs
  keysMatched: 'sum', // of those, keys of the mapping's exact pattern
  keysIgnored: 'sum', // matched the glob but not the pattern (e.g. doc:1:meta for doc:{id})
  keysVanished: 'sum', // expired or deleted between SCAN and the read
  keysOversized: 'sum', // values larger than valueBudget: reported, never read
  rowsFetched: 'sum',
  entriesCompared: 'sum',
  pendingWrites: 'sum', // write-behind: cache ahead of its row, within maxLag
  staleWithinTtl: 'sum', // cache-aside: older than its row, within the allowed staleness
  forbiddenKeys: 'sum',
  /** Findings by code. */
  findings: perName('sum'),
  /** Per mapping: entries judged against their row, and those that disagreed. */
  mappings: perName({ entriesCompared: 'sum', inconsistentEntries: 'sum' }),
  notJudged: NOT_JUDGED_STAT,
} as const;

type Stats = StatsOf<typeof STATS>;
export type CounterName = Exclude<keyof typeof STATS, 'findings' | 'mappings' | 'notJudged'>;
const COUNTER_NAMES = Object.keys(STATS).filter((k) => STATS[k as keyof typeof STATS] === 'sum') as CounterName[];

/** Codes that say a cached entry disagrees with its row: the consistency ratio's numerator (TTL codes are policy, not drift). */
const INCONSISTENT_CODES = new Set(['stale-entry', 'mismatch', 'orphan-key', 'undecodable', 'lag-exceeded']);

/** Per mapping, in stats.mappings[name]: entries judged against their row, and those that disagreed. */
export interface MappingCounters {
  entriesCompared: number;
  inconsistentEntries: number;
}

export class Counters {
  private readonly findings: Record<string, number> = {};
  private readonly mappings: Record<string, MappingCounters> = {};

  constructor(private readonly stats: Stats) {
    for (const name of COUNTER_NAMES) stats[name] = 0;
    stats.findings = this.findings;
    stats.mappings = this.mappings;
  }

  /** The mapping's counters, created at zero: a mapping with no key still shows in the stats. */
  mapping(name: string): MappingCounters {
    return (this.mappings[name] ??= { entriesCompared: 0, inconsistentEntries: 0 });
  }

  /** A finding about one cached entry of `mapping`; counted as inconsistent when it is drift. */
  entryFinding(mapping: string, code: string): void {
    this.finding(code);
    if (INCONSISTENT_CODES.has(code)) this.mapping(mapping).inconsistentEntries++;
  }

  add(name: CounterName, n: number): void {
    this.stats[name] = (this.stats[name] ?? 0) + n;
  }

  get(name: CounterName): number {
    return this.stats[name] ?? 0;
  }

  finding(code: string): void {
    this.findings[code] = (this.findings[code] ?? 0) + 1;
  }
}
