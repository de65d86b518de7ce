/**
 * counts mode: row and entity counts per key range on both sides. Fast, but it cannot prove
 * equality: a missing vector and a duplicate in the same range cancel out. Integer keys are split
 * into equal-width ranges between the Postgres min and max (two index lookups); varchar keys at
 * percentiles of the Postgres keys (one sort). The first and last ranges are open-ended, so keys
 * outside Postgres' range are counted too. Postgres counts all ranges in one pass (FILTER).
 */
import type { ResultSection, SqlRunner } from '../../src/plugin.js';
import { andFilter } from '../lib/id-milvus.js';
import type { ResolvedMapping } from './mapping.js';
import type { MappingStats, ReferenceIntegrityContext } from './report.js';

export async function runCounts(ctx: ReferenceIntegrityContext, m: ResolvedMapping, stats: MappingStats): Promise<ResultSection> {
  const pg = ctx.stores.postgres;
  const milvus = ctx.stores.milvus;
  const signal = ctx.signal;
  const order = m.pgKey.order;
  // Parameters compare in the key column's own type (a numeric cast would slow every row down).
  const cast = m.keyType === 'int64' ? m.pgKeyType : 'text';

  const { boundaries, pgCounts } = await pg.withSnapshot(
    async (session) => {
      const at = await session.query<{ at: Date | string }>('SELECT now() AS at', [], { signal });
      stats.s.postgresSnapshotAt = new Date(at.rows[0].at).toISOString();
      const boundaries = m.keyType === 'int64' ? await intBoundaries(session, m, signal) : await percentileBoundaries(session, m, signal);
      // One pass: count(*) FILTER per range; boundaries travel as parameters.
      const filters = rangesOf(boundaries).map(([lo, hi]) => {
        const conds = [
          lo !== undefined ? `${order} > $${lo + 1}::${cast}` : '',
          hi !== undefined ? `${order} <= $${hi + 1}::${cast}` : '',
        ].filter(Boolean);
        return `count(*) FILTER (WHERE ${conds.length ? conds.join(' AND ') : 'true'})::text`;
      });
      const q = await session.query<Record<string, string>>(
        `SELECT ${filters.map((f, i) => `${f} AS c${i}`).join(', ')} FROM ${m.qualifiedTable} WHERE ${m.pgWhere}`,
        boundaries,
        { signal },
      );
      return { boundaries, pgCounts: filters.map((_, i) => Number(q.rows[0][`c${i}`])) };
    },
    { signal },
  );

  stats.s.milvusReadStartedAt = new Date().toISOString();
  const lit = (v: string) => milvus.literal(v, m.keyType);
  const section: ResultSection = {
    title: `Counts per key range: ${m.name}`,
    columns: ['range', 'postgres rows', 'milvus entities', 'difference'],
    rows: [],
  };
  let pgTotal = 0;
  let milvusTotal = 0;
  for (const [i, [lo, hi]] of rangesOf(boundaries).entries()) {
    signal.throwIfAborted();
    const loKey = lo !== undefined ? boundaries[lo] : undefined;
    const hiKey = hi !== undefined ? boundaries[hi] : undefined;
    const filter = andFilter(
      m.milvusFilter,
      loKey !== undefined ? `${m.keyField} > ${lit(loKey)}` : undefined,
      hiKey !== undefined ? `${m.keyField} <= ${lit(hiKey)}` : undefined,
    );
    const entities = await milvus.count(m.collection, { filter, partitions: m.partitions, signal });
    const rows = pgCounts[i];
    pgTotal += rows;
    milvusTotal += entities;
    const range = `(${loKey ?? '-inf'}, ${hiKey ?? '+inf'}]`;
    section.rows.push([range, rows, entities, entities - rows]);
    if (rows !== entities) {
      ctx.report({
        code: 'count-mismatch',
        // The range's place, not its bounds: the bounds move with the data (min, max, percentiles),
        // so a subject holding them would make the same mismatch a new finding in every run's baseline.
        subject: { store: 'milvus', object: m.collection, key: `range ${i + 1} of ${boundaries.length + 1}` },
        data: { mapping: m.name, table: m.table, collection: m.collection, range, postgres: rows, milvus: entities },
      });
    }
  }
  stats.s.milvusReadFinishedAt = new Date().toISOString();
  // Counts cannot name keys, but each range bounds them: a range with more rows than entities lacks
  // at least the difference in vectors; more entities than rows are orphans or duplicates.
  const diffs = section.rows.map((r) => r[3] as number);
  stats.s.rangesDiffering = diffs.filter((d) => d !== 0).length;
  stats.s.missingAtLeast = diffs.reduce((sum, d) => sum + Math.max(0, -d), 0);
  stats.s.extraEntitiesAtLeast = diffs.reduce((sum, d) => sum + Math.max(0, d), 0);
  // Unknown in counts mode, not zero: nothing was compared key by key.
  // Not known in counts mode: null, not 0, in the report (the one place a counter is not a number).
  for (const unknown of ['missing', 'orphans', 'duplicateKeys', 'stale', 'pending'] as const)
    (stats.s as Record<string, unknown>)[unknown] = null;
  stats.s.postgresRows = pgTotal;
  stats.s.milvusEntities = milvusTotal;
  stats.s.ranges = section.rows.length;
  stats.s.note = 'counts mode compares totals per key range; equal counts do not prove equal keys (Milvus counts duplicates)';
  if (m.model?.expected !== undefined) {
    const entities = await milvus.count(m.collection, {
      filter: andFilter(m.milvusFilter, `${m.model.field} != ${milvus.literal(m.model.expected, 'varchar')}`),
      partitions: m.partitions,
      signal,
    });
    if (entities > 0) {
      ctx.report({
        code: 'model-mismatch',
        subject: { store: 'milvus', object: `${m.collection}.${m.model.field}` },
        data: { mapping: m.name, collection: m.collection, field: m.model.field, expected: m.model.expected, entities, scope: 'count' },
      });
    }
  }
  return section;
}

/** [lo, hi] boundary indexes of each range: (-inf, b0], (b0, b1], ..., (bn-1, +inf). */
function rangesOf(boundaries: string[]): Array<[number | undefined, number | undefined]> {
  const out: Array<[number | undefined, number | undefined]> = [];
  for (let i = 0; i <= boundaries.length; i++) out.push([i === 0 ? undefined : i - 1, i === boundaries.length ? undefined : i]);
  return out;
}

/** Equal-width integer boundaries between the Postgres min and max key (BigInt arithmetic). */
async function intBoundaries(session: SqlRunner, m: ResolvedMapping, signal: AbortSignal): Promise<string[]> {
  const q = await session.query<{ lo: string | null; hi: string | null }>(
    `SELECT min(${m.pgKey.select})::text AS lo, max(${m.pgKey.select})::text AS hi FROM ${m.qualifiedTable} WHERE ${m.pgWhere}`,
    [],
    { signal },
  );
  const { lo, hi } = q.rows[0] ?? {};
  if (lo == null || hi == null) return [];
  const min = BigInt(lo);
  const span = BigInt(hi) - min + 1n;
  const ranges = BigInt(m.ranges);
  const out = new Set<string>();
  for (let i = 1n; i < ranges; i++) out.add((min - 1n + (span * i) / ranges).toString());
  return [...out].filter((b) => BigInt(b) >= min && BigInt(b) < BigInt(hi));
}

/** Boundaries at percentiles of the Postgres keys in byte order (skewed keys repeat: deduplicated). */
async function percentileBoundaries(session: SqlRunner, m: ResolvedMapping, signal: AbortSignal): Promise<string[]> {
  const fractions = Array.from({ length: m.ranges - 1 }, (_, i) => (i + 1) / m.ranges);
  if (fractions.length === 0) return [];
  const q = await session.query<{ b: string[] | null }>(
    `SELECT (percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY ${m.pgKey.order}))::text[] AS b FROM ${m.qualifiedTable} WHERE ${m.pgWhere}`,
    [fractions],
    { signal },
  );
  return [...new Set(q.rows[0]?.b ?? [])];
}
