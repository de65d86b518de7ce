/**
 * reference-integrity: does every Postgres row have its Milvus entity, and every entity its row?
 *
 * Per mapping (a Postgres table + key column <-> a Milvus collection + key field) and per mode:
 * - full: both sides streamed in key order and merged (exact; memory flat) — see full.ts;
 * - sample: random rows looked up in Milvus, with the confidence bound they support — sample.ts;
 * - counts: counts per key range on both sides (fast; cannot prove equality) — counts.ts.
 * Stats record, per mapping, how far the comparison got and when each side was read.
 */
import { CheckError, defineCheck, type FindingInput, type ResultSection } from '../../src/plugin.js';
import { isFirstShard } from '../lib/shard.js';
import { runCounts } from './counts.js';
import { runFull } from './full.js';
import { preflightMapping, resolveMapping } from './mapping.js';
import { optionsSchema, type MappingOptions } from './options.js';
import { MappingStats, type ReferenceIntegrityContext, STATS } from './report.js';
import { runSample } from './sample.js';
import { errorLine } from '../../src/plugin.js';

const where = (d: { table?: unknown; collection?: unknown }) => `${d.table} -> ${d.collection}`;

export default defineCheck({
  meta: {
    id: 'reference-integrity',
    title: 'Postgres rows <-> Milvus vectors',
    description: 'Every row that should have a vector has exactly one, current entity in Milvus, and every entity still has its row.',
    requires: ['postgres', 'milvus'],
    // --shard: full mode reads (Postgres) and compares the keys whose hash is this shard's; counts and sample run in shard 0.
    shardable: true,
    options: optionsSchema,
    stats: STATS,
    codes: {
      'missing-vector': {
        severity: 'error',
        message: (d) => `row ${d.key} of ${d.table} has no entity in ${d.collection}`,
        description: 'A Postgres row (matching the mapping where) has no Milvus entity with its key.',
      },
      'orphan-vector': {
        severity: 'error',
        message: (d) => `entity ${d.key} in ${d.collection} has no row in ${d.table} (or its row is filtered out)`,
        description: 'A Milvus entity whose key matches no Postgres row selected by the mapping.',
      },
      'duplicate-vector': {
        severity: 'error',
        message: (d) => `key ${d.key} has ${d.entities} entities in ${d.collection}`,
        description: 'More than one Milvus entity carries one key (Milvus does not enforce primary-key uniqueness).',
      },
      'stale-vector': {
        severity: 'warn',
        message: (d) => `entity ${d.key} in ${d.collection} is stale: row has ${d.postgres}, vector has ${d.milvus}`,
        description: 'The row changed after its vector was written (configured version/hash/timestamp differs).',
      },
      'dimension-mismatch': {
        severity: 'error',
        message: (d) => `vector field ${d.collection}.${d.field} has dimension ${d.actual}, expected ${d.expected}`,
        description: "The collection's vector dimension differs from the one configured for the mapping.",
      },
      'model-mismatch': {
        severity: 'warn',
        message: (d) =>
          d.expected !== undefined
            ? `${d.entities} entities in ${d.collection} carry a model tag other than ${d.expected} (${d.field})`
            : `entities in ${d.collection} carry ${Object.keys((d.tags ?? {}) as object).length} different model tags (${d.field})`,
        description: 'Entities carry more than one embedding-model tag, or a tag other than the expected one.',
      },
      pending: {
        severity: 'info',
        message: (d) => `row ${d.key} of ${d.table} changed within the grace window and is not embedded yet (${d.reason})`,
        description: 'A row newer than the grace window lacks its vector (or has a stale one): expected for async pipelines.',
      },
      'nothing-compared': {
        severity: 'warn',
        message: (d) => `mapping ${d.mapping}: nothing was compared (${d.table} has no rows and ${d.collection} no entities)`,
        description: 'full mode read both sides whole and found them both empty: a pass here would say nothing, so it is a warning.',
      },
      'count-mismatch': {
        severity: 'error',
        message: (d) => `${where(d)}: key range ${d.range} has ${d.postgres} rows but ${d.milvus} entities`,
        description: 'counts mode: a key range holds a different number of rows and entities.',
      },
    },
  },
  async preflight(ctx) {
    for (const [i, m] of ctx.options.mappings.entries()) await preflightMapping(ctx, m, `mappings[${i}]`);
  },
  async run(ctx) {
    const sections: ResultSection[] = [];
    let partial = false;
    // Mappings are independent: one that fails is recorded in its stats and the next one still runs.
    const failed: Array<{ name: string; code: string; message: string }> = [];
    for (const options of ctx.options.mappings) {
      ctx.signal.throwIfAborted();
      try {
        const outcome = await runMapping(ctx, options);
        if (outcome.section) sections.push(outcome.section);
        partial ||= outcome.partial;
      } catch (err) {
        if (ctx.signal.aborted) throw err; // timeout or Ctrl-C: the whole check stops
        failed.push({ name: options.name, ...mappingFailure(ctx, options.name, err) });
      }
    }
    if (failed.length) {
      // CONFIG when any failure is a configuration mistake (exit 2: retrying cannot fix the run).
      const code = failed.some((f) => f.code === 'CONFIG') ? 'CONFIG' : failed[0].code;
      const reasons = failed.map((f) => `${f.name}: ${f.message}`).join('; ');
      const total = ctx.options.mappings.length;
      throw new CheckError(
        code,
        total === 1 ? `mapping ${reasons}` : `${failed.length} of ${total} mappings failed (the others reported): ${reasons}`,
      );
    }
    sections.unshift(summarySection(ctx.stats.mappings ?? {}));
    return { sections, ...(partial ? { partial } : {}) };
  },
});

async function runMapping(ctx: ReferenceIntegrityContext, options: MappingOptions): Promise<{ section?: ResultSection; partial: boolean }> {
  // Whole-collection findings (dimension, model tags) are shard 0's, so a merge reports them once.
  const mapping = await resolveMapping(isFirstShard(ctx.shard) ? ctx : keyFindingsOnly(ctx), options);
  // counts and sample cannot be split by key hash: shard 0 runs them whole, the others skip them.
  if (mapping.mode !== 'full' && !isFirstShard(ctx.shard)) return { partial: false };
  const stats = new MappingStats(ctx, mapping);
  ctx.log(`reference-integrity: ${mapping.name} in ${mapping.mode} mode`);
  ctx.progress({ done: 0, note: `mapping ${mapping.name} (${mapping.mode} mode)` });
  if (mapping.mode === 'full') {
    await runFull(isFirstShard(ctx.shard) ? ctx : keyFindingsOnly(ctx), mapping, stats);
    // An empty table against an empty collection is no evidence of consistency (issue 11 item 13).
    // Not in a sharded run: one shard may be empty while the others are not.
    if ((ctx.shard?.count ?? 1) === 1 && stats.s.postgresRows === 0 && stats.s.milvusEntities === 0) {
      ctx.report({
        code: 'nothing-compared',
        subject: { store: 'postgres', object: mapping.table },
        data: { mapping: mapping.name, table: mapping.table, collection: mapping.collection },
      });
    }
    return { partial: false };
  }
  // A sample's findings are a lower bound.
  if (mapping.mode === 'sample') return { section: await runSample(ctx, mapping, stats), partial: true };
  return { section: await runCounts(ctx, mapping, stats), partial: false };
}

const KEY_CODES = new Set(['missing-vector', 'orphan-vector', 'duplicate-vector', 'stale-vector', 'pending']);

/** The context of shards 1..n-1: findings about one key pass, whole-collection ones are dropped. */
function keyFindingsOnly(ctx: ReferenceIntegrityContext): ReferenceIntegrityContext {
  return Object.create(ctx, { report: { value: (f: FindingInput) => KEY_CODES.has(f.code) && ctx.report(f) } });
}

/** Records why one mapping failed in its stats (`mappings[name].error`); returns code and message. */
function mappingFailure(ctx: ReferenceIntegrityContext, name: string, err: unknown): { code: string; message: string } {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'INTERNAL';
  const line = errorLine(err);
  const prefix = `mapping ${name}: `;
  const message = line.startsWith(prefix) ? line.slice(prefix.length) : line;
  ((ctx.stats.mappings ??= {})[name] ??= {}).error = { code, message };
  (ctx.stats.failedMappings ??= []).push(name);
  return { code, message };
}

/** The check's summary table (exported for the reporter tests' sample report). */
export function summarySection(mappings: NonNullable<ReferenceIntegrityContext['stats']['mappings']>): ResultSection {
  const columns = [
    'mapping',
    'mode',
    'postgres rows',
    'milvus entities',
    'missing',
    'orphans',
    'duplicate keys',
    'stale',
    'pending',
    'ranges differing',
    'postgres snapshot',
    'milvus read',
  ];
  const rows = Object.entries(mappings ?? {}).map(([name, s]) => {
    const counts = s.mode === 'counts';
    // counts mode knows no key, only per-range differences: lower bounds, never a reassuring 0.
    const atLeast = (n: unknown) => (n ? `≥ ${n}` : 'unknown');
    return [
      name,
      s.mode ?? null,
      s.postgresRows ?? null,
      s.milvusEntities ?? null,
      counts ? atLeast(s.missingAtLeast) : (s.missing ?? null),
      counts ? atLeast(s.extraEntitiesAtLeast) : (s.orphans ?? null),
      counts ? 'unknown' : (s.duplicateKeys ?? null),
      counts ? 'unknown' : (s.stale ?? null),
      counts ? 'unknown' : (s.pending ?? null),
      counts ? `${s.rangesDiffering} of ${s.ranges}` : null,
      s.postgresSnapshotAt ?? null,
      s.milvusReadStartedAt ?? null,
    ];
  });
  return { title: 'Reference integrity', columns, rows };
}
