/**
 * Consistency ratios: per mapping or relation, the share of compared items that agree between the
 * stores ("99.9963% consistent (37 of 1,000,000 keys inconsistent)"), the language SREs alert in.
 * Computed only from exact counts the checks put in `stats` (docs/report.md gives each formula); a
 * mapping or relation without such counts (a sample's estimate aside) has no ratio, never a guess.
 */
import type { CheckResult, Consistency, Report } from '../engine/result.js';

export type { Consistency };

type Stats = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function entry(
  name: string,
  kind: Consistency['kind'],
  unit: string,
  problem: string,
  compared: number | undefined,
  inconsistent: number | undefined,
  sampled = false,
): Consistency | undefined {
  // Nothing compared (or a counter missing: the mapping failed before it began): no ratio to state.
  if (compared === undefined || inconsistent === undefined || compared <= 0) return undefined;
  const bad = Math.min(inconsistent, compared);
  return {
    name,
    kind,
    unit,
    problem,
    compared,
    inconsistent: bad,
    ratio: (compared - bad) / compared,
    ...(sampled ? { sampled: true } : {}),
  };
}

/** The ratios one check's stats support, in the order of its mappings/relations. */
export function consistencyOf(result: Pick<CheckResult, 'id' | 'stats'>): Consistency[] {
  const out: Array<Consistency | undefined> = [];
  if (result.id === 'reference-integrity') {
    // Denominator: distinct keys merged (the union of Postgres row keys and Milvus entity keys);
    // numerator: keys missing a vector, orphaned, duplicated or stale, each key once. counts mode
    // compares no key: no ratio.
    for (const [name, s] of Object.entries((result.stats.mappings ?? {}) as Record<string, Stats>)) {
      if (s.mode !== 'full' && s.mode !== 'sample') continue;
      out.push(entry(name, 'mapping', 'keys', 'inconsistent', num(s.rowsCompared), num(s.inconsistentKeys), s.mode === 'sample'));
    }
  } else if (result.id === 'orphan-scan') {
    // Milvus: entities read / entities whose parent row is missing. Redis: keys of the pattern
    // compared / orphaned keys. Postgres: child rows with a value (counted apart from the
    // anti-join, which reads only the orphans) / orphan child rows.
    for (const [name, s] of Object.entries((result.stats.relations ?? {}) as Stats)) {
      const r = s as Stats;
      if (r.kind === 'milvus') out.push(entry(name, 'relation', 'entities', 'orphaned', num(r.entities), num(r.orphanEntities) ?? 0));
      else if (r.kind === 'redis') out.push(entry(name, 'relation', 'keys', 'orphaned', num(r.rowsCompared), num(r.orphanKeys) ?? 0));
      else if (r.kind === 'postgres') out.push(entry(name, 'relation', 'rows', 'orphaned', num(r.childRows), num(r.orphanRows) ?? 0));
    }
  } else if (result.id === 'cache-drift') {
    // Per mapping: entries read and judged against their row / entries stale, mismatched, orphaned,
    // undecodable or lagging (TTL findings are policy, not drift; oversized entries are not read).
    for (const [name, s] of Object.entries((result.stats.mappings ?? {}) as Record<string, Stats>)) {
      out.push(entry(name, 'mapping', 'entries', 'drifted', num(s.entriesCompared), num(s.inconsistentEntries)));
    }
  } else if (result.id === 'index-freshness') {
    // Source documents and index records judged (Milvus: entities) / stale, unindexed or orphaned ones.
    for (const [name, s] of Object.entries((result.stats.documents ?? {}) as Record<string, Stats>)) {
      const milvus = s.kind === 'milvus';
      const bad = milvus
        ? (num(s.staleEntities) ?? 0) + (num(s.orphanEntities) ?? 0)
        : (num(s.stale) ?? 0) + (num(s.unindexed) ?? 0) + (num(s.orphanRecords) ?? 0);
      out.push(entry(name, 'mapping', milvus ? 'entities' : 'documents', 'stale or unmatched', num(s.compared), bad));
    }
  }
  return out.filter((c): c is Consistency => c !== undefined);
}

/**
 * The percentage as text, rounded DOWN to 4 decimals: 1 bad item in a billion shows 99.9999%, never
 * a reassuring 100% (that is only shown when nothing was inconsistent).
 */
export function percentText(c: Pick<Consistency, 'ratio' | 'inconsistent'>): string {
  if (c.inconsistent === 0) return '100%';
  const floored = Math.floor(c.ratio * 1_000_000) / 10_000;
  return `${floored.toFixed(4)}%`;
}

const grouped = (n: number) => n.toLocaleString('en-US');

/** "99.9963% consistent (37 of 1,000,000 keys inconsistent)"; "≈" marks a sample's estimate. */
export function consistencyText(c: Consistency): string {
  return `${c.sampled ? '≈ ' : ''}${percentText(c)} consistent (${grouped(c.inconsistent)} of ${grouped(c.compared)} ${c.unit} ${c.problem})`;
}

/**
 * Adds `consistency` to every check whose stats support it and applies `--min-consistency`: an
 * entry below it is marked `belowMinimum`, its check fails and a run that would exit 0 exits 1
 * (a run that exits 2, 3 or 130/143 keeps its code: those outrank findings).
 */
export function applyConsistency(report: Report, minPercent?: number): Report {
  report.minConsistency = minPercent;
  if (minPercent === undefined) delete report.minConsistency;
  for (const check of report.checks) {
    // Always recomputed from the stats: a merged report carries shard 0's entries otherwise.
    const entries = consistencyOf(check);
    delete check.consistency;
    if (!entries.length) continue;
    check.consistency = entries;
    if (minPercent === undefined) continue;
    let below = false;
    for (const c of entries) {
      // Counts, not the ratio, and a hair of slack: 9,999 of 10,000 is 99.99% exactly, though
      // 99.99 * 10,000 in doubles may land a last digit above 999,900.
      if ((c.compared - c.inconsistent) * 100 < minPercent * c.compared * (1 - 1e-12)) {
        c.belowMinimum = true;
        below = true;
      }
    }
    if (below && check.status === 'pass') {
      check.status = 'fail';
      report.summary.checks.pass--;
      report.summary.checks.fail++;
    }
    if (below && report.exitCode === 0) report.exitCode = 1;
  }
  return report;
}
