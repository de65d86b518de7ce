/**
 * reference-integrity: does every Postgres row have its Milvus entity, and every entity its row?
 *
 * Per mapping (a Postgres table + key column <-> a Milvus collection + key field) and per mode:
 * - full: both sides streamed in key order and merged (exact; memory flat) — see full.ts;
 * - sample: random rows looked up in Milvus, with the confidence bound they support — sample.ts;
 * - counts: counts per key range on both sides (fast; cannot prove equality) — counts.ts.
 * Stats record, per mapping, how far the comparison got and when each side was read.
 */
import { defineCheck, type ResultSection } from '../../src/plugin.js';
import { runCounts } from './counts.js';
import { runFull } from './full.js';
import { resolveMapping } from './mapping.js';
import { optionsSchema, type Options } from './options.js';
import { MappingStats } from './report.js';
import { runSample } from './sample.js';

const where = (d: { table?: unknown; collection?: unknown }) => `${d.table} -> ${d.collection}`;

export default defineCheck<Options>({
  meta: {
    id: 'reference-integrity',
    title: 'Postgres rows <-> Milvus vectors',
    description: 'Every row that should have a vector has exactly one, current entity in Milvus, and every entity still has its row.',
    requires: ['postgres', 'milvus'],
    options: optionsSchema,
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
      'count-mismatch': {
        severity: 'error',
        message: (d) => `${where(d)}: key range ${d.range} has ${d.postgres} rows but ${d.milvus} entities`,
        description: 'counts mode: a key range holds a different number of rows and entities.',
      },
    },
  },
  async run(ctx) {
    const sections: ResultSection[] = [];
    let partial = false;
    for (const options of ctx.options.mappings) {
      ctx.signal.throwIfAborted();
      const mapping = await resolveMapping(ctx, options);
      const stats = new MappingStats(ctx, mapping);
      ctx.log(`reference-integrity: ${mapping.name} in ${mapping.mode} mode`);
      if (mapping.mode === 'full') await runFull(ctx, mapping, stats);
      else if (mapping.mode === 'sample') {
        sections.push(await runSample(ctx, mapping, stats));
        partial = true; // a sample's findings are a lower bound
      } else sections.push(await runCounts(ctx, mapping, stats));
    }
    sections.unshift(summarySection(ctx.stats.mappings as Record<string, Record<string, unknown>>));
    return { sections, ...(partial ? { partial } : {}) };
  },
});

function summarySection(mappings: Record<string, Record<string, unknown>>): ResultSection {
  const columns = ['mapping', 'mode', 'postgres rows', 'milvus entities', 'missing', 'orphans', 'duplicate keys', 'stale', 'pending', 'postgres snapshot', 'milvus read'];
  const rows = Object.entries(mappings ?? {}).map(([name, s]) => [
    name,
    s.mode as string,
    s.postgresRows as number,
    s.milvusEntities as number,
    s.missing as number,
    s.orphans as number,
    s.duplicateKeys as number,
    s.stale as number,
    s.pending as number,
    (s.postgresSnapshotAt as string) ?? null,
    (s.milvusReadStartedAt as string) ?? null,
  ]);
  return { title: 'Reference integrity', columns, rows };
}
