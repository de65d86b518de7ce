/**
 * The planner's estimate of how many rows a SELECT returns: `EXPLAIN` without ANALYZE plans the
 * statement and reads no data, so it costs a millisecond however large the table. It follows the
 * WHERE clause (unlike pg_class.reltuples) but is only as fresh as the last ANALYZE: a total for
 * progress lines only, never a count that a finding or a stat relies on.
 */
import type { SqlRunner } from '../../src/plugin.js';

export async function estimateRows(runner: SqlRunner, selectSql: string, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const { rows } = await runner.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${selectSql}`, [], { signal });
    const raw = rows[0]?.['QUERY PLAN'];
    const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan?: { 'Plan Rows'?: number } }>;
    const estimate = Number(plan?.[0]?.Plan?.['Plan Rows']);
    return Number.isFinite(estimate) && estimate > 0 ? Math.round(estimate) : undefined;
  } catch (err) {
    if (signal?.aborted) throw err;
    return undefined; // no estimate is no total: the progress line shows the count alone
  }
}
