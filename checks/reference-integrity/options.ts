/** Options of reference-integrity: one or more Postgres table <-> Milvus collection mappings. */
import { durationSchema, isMilvusPathSyntax, z } from '../../src/plugin.js';
import { refineDistinctNames } from '../lib/distinct-names.js';
import { expandMappingPreset, mappingPresetIssue } from '../lib/presets.js';

/** Milvus field names are identifiers; checking them keeps filter expressions well-formed. */
const milvusField = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Milvus field name (letters, digits, _)');
const name = z.string().min(1);

/**
 * Why a key inside JSON or the dynamic field cannot be a mapping's key (issue 14): the comparison
 * streams both sides in key order, and no Milvus server pages by a key inside JSON, so exact paging
 * is impossible; the relations that do not need that order are pointed to.
 */
export const JSON_KEY_REFUSAL =
  'a mapping key must be an Int64 or VarChar scalar field: both sides are read in key order, and Milvus cannot page by a key inside JSON or $meta. For a document id there, use orphan-scan (field: $meta["doc_id"]: vectors whose document is gone) and index-freshness (documents never indexed, per the record manager or docstore)';

/** The key field: a scalar field name; a JSON path parses (so the refusal can say why) but is refused. */
const milvusKeyField = z
  .string()
  .refine(isMilvusPathSyntax, 'a Milvus field name (letters, digits, _)')
  .refine((s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s), JSON_KEY_REFUSAL);

export const modeSchema = z.enum(['counts', 'sample', 'full']);
export type Mode = z.infer<typeof modeSchema>;

const postgresSide = z
  .object({
    table: name,
    schema: name.optional(),
    /** Key column; compared with the Milvus key field. */
    key: name,
    /** SQL condition selecting the rows that should have a vector; trusted config, taken verbatim. */
    where: z.string().min(1).optional(),
  })
  .strict();

const milvusSide = z
  .object({
    collection: name,
    /** Key field: the primary key (default) or an Int64/VarChar scalar field such as chunk_id. */
    key: milvusKeyField.optional(),
    /** Milvus boolean expression ANDed into every read; trusted config, taken verbatim. */
    filter: z.string().min(1).optional(),
    partitions: z.array(name).min(1).optional(),
  })
  .strict();

const mappingFields = z
  .object({
    /** Label in findings and stats; default "<table> -> <collection>". */
    name: name.optional(),
    postgres: postgresSide,
    milvus: milvusSide,
    mode: modeSchema.optional(),
    sampleSize: z.number().int().min(1).max(100_000).optional(),
    ranges: z.number().int().min(1).max(256).optional(),
    /** A version, content hash or timestamp carried on both sides. */
    stale: z
      .object({
        postgres: name,
        /** A field, or a path into a JSON field / the dynamic field: $meta["updated_at"], metadata["hash"]. */
        milvus: z
          .string()
          .refine(isMilvusPathSyntax, 'a Milvus field name or a JSON path like metadata["doc_hash"] or $meta["updated_at"]'),
        /** equal: any difference is stale (hashes); newer: stale when the row's value is greater. */
        compare: z.enum(['equal', 'newer']).default('equal'),
      })
      .strict()
      .optional(),
    /** Rows whose timestamp column is within `window` of the snapshot are `pending`, not errors. */
    grace: z.object({ column: name, window: durationSchema }).strict().optional(),
    /** Expected vector dimension of the collection. */
    dimension: z.number().int().positive().optional(),
    /** Vector field to check the dimension of; default every vector field. */
    vectorField: milvusField.optional(),
    /** Field carrying the embedding-model tag; expected tag optional. */
    model: z
      .object({ field: milvusField, expected: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .transform((m) => ({
    ...m,
    name: m.name ?? `${m.postgres.schema ? `${m.postgres.schema}.` : ''}${m.postgres.table} -> ${m.milvus.collection}`,
  }));

/** `preset: langchain` expands to the fields above first (checks/lib/presets.ts). */
const mappingSchema: z.ZodType<z.output<typeof mappingFields>> = z.preprocess((input, ctx) => {
  const problem = mappingPresetIssue(input);
  if (!problem) return expandMappingPreset(input);
  ctx.addIssue({ code: 'custom', message: problem });
  return z.NEVER;
}, mappingFields);
export type MappingOptions = z.infer<typeof mappingSchema>;

export const optionsSchema = z
  .object({
    mappings: z.array(mappingSchema).min(1),
    /** Overrides the mode of every mapping (e.g. from the command line); else each mapping's own, else full. */
    mode: modeSchema.optional(),
    sampleSize: z.number().int().min(1).max(100_000).default(10_000),
    /** Key ranges compared in counts mode. */
    ranges: z.number().int().min(1).max(256).default(8),
    /** Confidence level of the sample statement. */
    confidence: z.number().gt(0).lt(1).default(0.95),
    /** statement_timeout of the streaming Postgres read in full mode (it lasts as long as the merge). */
    scanStatementTimeout: durationSchema.default(3_600_000),
    /** Rows per Milvus page in full mode (at most 16384, the real-Milvus result window). */
    milvusPageSize: z.number().int().min(1).max(16_384).default(16_384),
  })
  .strict()
  .superRefine((o, ctx) => refineDistinctNames(ctx, 'mappings', [['mappings', o.mappings]]));
export type Options = z.infer<typeof optionsSchema>;
