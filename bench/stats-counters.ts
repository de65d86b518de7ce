/**
 * The per-key stats counters of reference-integrity and orphan-scan against plain property updates,
 * and the generic addStat helper beside them: do declared stats cost the scans anything per key?
 *
 *   npx tsx bench/stats-counters.ts [--keys 10000000] [--rounds 7]
 *
 * No server. Per round, interleaved: the floor (an untyped object's properties bumped inline, as the
 * checks did before stats were declared), the check's counters (MappingStats.compared, orphan-scan's
 * relationStats), and the same counters through addStat. Prints medians and ratios to the floor.
 */
import { parseArgs } from 'node:util';
import { relationStats } from '../checks/orphan-scan/stats.js';
import { MappingStats } from '../checks/reference-integrity/report.js';
import { addStat, type StatsOf } from '../src/plugin.js';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '10000000' }, rounds: { type: 'string', default: '7' } } });
const N = Number(values.keys);
const ROUNDS = Number(values.rounds);
const keys = Array.from({ length: 1024 }, (_, i) => String(i));

/** The floor: one key compared, as plain code on an untyped object. */
function floor(): number {
  const top: Record<string, unknown> = { rowsCompared: 0 };
  const s: Record<string, unknown> & { rowsCompared: number; postgresRows: number; milvusEntities: number; lastKey?: string } = {
    rowsCompared: 0,
    postgresRows: 0,
    milvusEntities: 0,
  };
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    s.rowsCompared++;
    s.postgresRows += 1;
    s.milvusEntities += 1;
    s.lastKey = keys[i & 1023];
    top.rowsCompared = (top.rowsCompared as number) + 1;
    top.lastKey = s.lastKey;
  }
  return performance.now() - t;
}

function mappingStats(): number {
  const ctx = { stats: {} } as ConstructorParameters<typeof MappingStats>[0];
  const m = new MappingStats(ctx, { name: 'docs', mode: 'full', keyType: 'int64' } as ConstructorParameters<typeof MappingStats>[1]);
  const t = performance.now();
  for (let i = 0; i < N; i++) m.compared(keys[i & 1023], 1, 1);
  return performance.now() - t;
}

function relation(): number {
  const r = relationStats({ stats: {} } as Parameters<typeof relationStats>[0], 'chunks', 'milvus');
  const t = performance.now();
  for (let i = 0; i < N; i++) r.compared(keys[i & 1023]);
  return performance.now() - t;
}

/** The same work as the floor through the public helper. */
function withAddStat(): number {
  const top: StatsOf<{ rowsCompared: 'sum'; lastKey: 'text' }> = {};
  const s: StatsOf<{ rowsCompared: 'sum'; postgresRows: 'sum'; milvusEntities: 'sum'; lastKey: 'text' }> = {};
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    addStat(s, 'rowsCompared');
    addStat(s, 'postgresRows', 1);
    addStat(s, 'milvusEntities', 1);
    s.lastKey = keys[i & 1023];
    addStat(top, 'rowsCompared');
    top.lastKey = s.lastKey;
  }
  return performance.now() - t;
}

const runs = { floor, mappingStats, relation, withAddStat };
const times: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, run] of Object.entries(runs)) times[name].push(run());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const base = median(times.floor);
for (const [name, xs] of Object.entries(times)) {
  console.log(`${name.padEnd(13)} ${median(xs).toFixed(0).padStart(6)} ms per ${N} keys   ${(median(xs) / base).toFixed(2)}x the floor`);
}
