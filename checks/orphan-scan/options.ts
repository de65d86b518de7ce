/** Options of orphan-scan: declared child -> parent relations in Milvus, Redis and Postgres. */
import { durationSchema, isMilvusPathSyntax, z } from '../../src/plugin.js';
import { refineDistinctNames } from '../lib/distinct-names.js';
import { tableLabel } from '../lib/id-postgres.js';
import { expandRelationPreset, presetIssue } from '../lib/presets.js';

const name = z.string().min(1);
/** A field name, or a path into a JSON field or the dynamic field: metadata["doc_id"], $meta["a"]["b"]. */
const milvusField = z
  .string()
  .refine(isMilvusPathSyntax, 'a Milvus field name (letters, digits, _) or a JSON path like metadata["doc_id"] or $meta["doc_id"]');

/** The parent rows: a table, its key column, and optionally which rows count as alive. */
const parent = z
  .object({
    table: name,
    schema: name.optional(),
    column: name,
    /** SQL condition for a live parent (e.g. `deleted_at IS NULL`); trusted config, taken verbatim. */
    where: z.string().min(1).optional(),
  })
  .strict();

const milvusRelationFields = z
  .object({
    /** Label of the relation in findings, stats and errors; default "<child> -> <parent>". */
    name: name.optional(),
    collection: name,
    /**
     * Where the parent key lives: an Int64 or VarChar scalar field (document_id), a key of the
     * dynamic field (a bare name the schema lacks, or $meta["doc_id"]), or metadata["doc_id"].
     */
    field: milvusField,
    filter: z.string().min(1).optional(),
    partitions: z.array(name).min(1).optional(),
    parent,
  })
  .strict()
  .transform((r) => ({ ...r, name: r.name ?? `${r.collection}.${r.field} -> ${tableLabel(r.parent)}.${r.parent.column}` }));

/** `preset: langchain | llamaindex` expands to the fields above first (checks/lib/presets.ts). */
const milvusRelation: z.ZodType<z.output<typeof milvusRelationFields>> = z.preprocess((input, ctx) => {
  const problem = presetIssue(input);
  if (!problem) return expandRelationPreset(input);
  ctx.addIssue({ code: 'custom', message: problem });
  return z.NEVER;
}, milvusRelationFields);

const redisRelation = z
  .object({
    name: name.optional(),
    /** Key pattern with placeholders, e.g. `doc:{id}` or `tenant:{tenant}:doc:{id}`. */
    pattern: name,
    /** SCAN TYPE filter (string, hash, ...). */
    type: z.string().min(1).optional(),
    parent: z
      .object({
        table: name,
        schema: name.optional(),
        /** Column matched by the pattern's last placeholder. */
        column: name.optional(),
        /** Placeholder -> column, for composite parent keys (e.g. { tenant: tenant_id, id: id }). */
        columns: z.record(z.string(), name).optional(),
        where: z.string().min(1).optional(),
      })
      .strict()
      .refine((p) => (p.column === undefined) !== (p.columns === undefined), 'give exactly one of column or columns'),
    /** Stop after this many matching keys (SCAN visits keys in no particular order: a rough sample). */
    maxKeys: z.number().int().positive().optional(),
  })
  .strict()
  .transform((r) => ({ ...r, name: r.name ?? `${r.pattern} -> ${tableLabel(r.parent)}` }));

const postgresRelation = z
  .object({
    name: name.optional(),
    child: z.object({ table: name, schema: name.optional(), column: name, where: z.string().min(1).optional() }).strict(),
    parent,
  })
  .strict()
  .transform((r) => ({ ...r, name: r.name ?? `${tableLabel(r.child)}.${r.child.column} -> ${tableLabel(r.parent)}.${r.parent.column}` }));

export const optionsSchema = z
  .object({
    milvus: z.array(milvusRelation).default([]),
    redis: z.array(redisRelation).default([]),
    postgres: z.array(postgresRelation).default([]),
    /** List `*_id` columns that no validated foreign key covers (info findings). */
    suggestRelations: z.boolean().default(false),
    /** Schemas searched by suggestRelations. */
    suggestSchemas: z.array(name).min(1).default(['public']),
    /** Rows per Milvus page (at most 16384). */
    milvusPageSize: z.number().int().min(1).max(16_384).default(16_384),
    /** statement_timeout of each streaming Postgres read. */
    scanStatementTimeout: durationSchema.default(3_600_000),
  })
  .strict()
  .refine((o) => o.milvus.length + o.redis.length + o.postgres.length > 0 || o.suggestRelations, {
    message: 'configure at least one relation (milvus, redis or postgres) or suggestRelations: true',
  })
  .superRefine((o, ctx) =>
    refineDistinctNames(ctx, 'relations', [
      ['postgres', o.postgres],
      ['milvus', o.milvus],
      ['redis', o.redis],
    ]),
  );
export type Options = z.infer<typeof optionsSchema>;
export type MilvusRelation = Options['milvus'][number];
export type RedisRelation = Options['redis'][number];
export type PostgresRelation = Options['postgres'][number];
