/**
 * Counters written straight into ctx.stats as the check goes, so a run that fails midway (Redis
 * gone mid-scan) still reports how far it got.
 */
export const COUNTER_NAMES = [
  'keysScanned', // keys SCAN returned for the mappings' globs
  'keysMatched', // of those, keys of the mapping's exact pattern
  'keysIgnored', // matched the glob but not the pattern (e.g. doc:1:meta for doc:{id})
  'keysVanished', // expired or deleted between SCAN and the read
  'keysOversized', // values larger than valueBudget: reported, never read
  'rowsFetched',
  'entriesCompared',
  'pendingWrites', // write-behind: cache ahead of its row, within maxLag
  'staleWithinTtl', // cache-aside: older than its row, within the allowed staleness
  'forbiddenKeys',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export class Counters {
  private readonly findings: Record<string, number> = {};

  constructor(private readonly stats: Record<string, unknown>) {
    for (const name of COUNTER_NAMES) stats[name] = 0;
    stats.findings = this.findings;
  }

  add(name: CounterName, n: number): void {
    this.stats[name] = (this.stats[name] as number) + n;
  }

  get(name: CounterName): number {
    return this.stats[name] as number;
  }

  finding(code: string): void {
    this.findings[code] = (this.findings[code] ?? 0) + 1;
  }
}
