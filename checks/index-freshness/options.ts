/**
 * Options of index-freshness: source documents (a Postgres table with a timestamp or a content
 * hash per document) against what the index recorded for each of them — the LangChain record
 * manager, the LlamaIndex docstore, or a field on the Milvus entities.
 */
import { durationSchema, isMilvusPathSyntax, z } from '../../src/plugin.js';
import { refineDistinctNames } from '../lib/distinct-names.js';
import { tableLabel } from '../lib/id-postgres.js';
import { expandFreshnessPreset, freshnessPresetIssue } from '../lib/presets.js';

const name = z.string().min(1);
const milvusPath = z
  .string()
  .refine(isMilvusPathSyntax, 'a Milvus field name (letters, digits, _) or a JSON path like metadata["doc_id"] or $meta["doc_id"]');

/** The app's documents: one row per document, its key, and when it last changed or its content hash. */
const source = z
  .object({
    table: name,
    schema: name.optional(),
    /** The document key, as the index names the document (LangChain's group_id, LlamaIndex's ref doc id). */
    key: name,
    /** Last change: timestamp, timestamptz (timestamp without time zone is read as UTC) or epoch seconds. */
    updatedAt: name.optional(),
    /** Content hash, compared as text with the index's hash. */
    hash: name.optional(),
    /** SQL condition for the documents that should be indexed (trusted config, taken verbatim). */
    where: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => s.updatedAt !== undefined || s.hash !== undefined, 'give updatedAt (a timestamp column) or hash (a content-hash column)');

/** LangChain SQLRecordManager: upsertion_record(key, namespace, group_id, updated_at epoch seconds). */
const recordManager = z.object({ table: name.default('upsertion_record'), schema: name.optional(), namespace: name }).strict();

/** LlamaIndex docstore (PostgresDocumentStore): data_docstore(key, namespace, value json with doc_hash). */
const docstore = z
  .object({ table: name.default('data_docstore'), schema: name.optional(), namespace: name.default('docstore/metadata') })
  .strict();

/** Milvus entities carrying their document's key and an indexing time or content hash. */
const milvus = z
  .object({
    collection: name,
    /** Where the document key lives: a scalar field, or a key of JSON / the dynamic field. */
    field: milvusPath,
    /** When the entity was indexed: epoch seconds (or `indexedAtUnit: ms`) or ISO-8601 text. */
    indexedAt: milvusPath.optional(),
    indexedAtUnit: z.enum(['s', 'ms']).default('s'),
    /** The content hash of the document version the entity was made from. */
    hash: milvusPath.optional(),
    filter: z.string().min(1).optional(),
    partitions: z.array(name).min(1).optional(),
  })
  .strict()
  .refine((m) => (m.indexedAt === undefined) !== (m.hash === undefined), 'give exactly one of indexedAt or hash');

const documentsFields = z
  .object({
    /** Label in findings and stats; default "<source table> -> <index>". */
    name: name.optional(),
    source,
    recordManager: recordManager.optional(),
    docstore: docstore.optional(),
    milvus: milvus.optional(),
    /**
     * The indexing pipeline's lag and clock skew: a document is judged only when its change is more
     * than `grace` newer than its indexing and more than `grace` ago (counted as withinGrace otherwise).
     */
    grace: durationSchema.default(0),
  })
  .strict()
  .superRefine((d, ctx) => {
    const kinds = (['recordManager', 'docstore', 'milvus'] as const).filter((k) => d[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one index: recordManager (LangChain), docstore (LlamaIndex) or milvus' });
      return;
    }
    const needs = d.recordManager || d.milvus?.indexedAt ? 'updatedAt' : d.docstore || d.milvus?.hash ? 'hash' : undefined;
    if (needs && d.source[needs] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['source', needs],
        message: `${kinds[0]}${d.milvus ? (d.milvus.hash ? '.hash' : '.indexedAt') : ''} is compared with source.${needs}: give that column`,
      });
    }
  })
  .transform((d) => ({ ...d, name: d.name ?? `${tableLabel(d.source)} -> ${indexLabel(d)}` }));

/** `preset: langchain | llamaindex` fills the framework's table first (checks/lib/presets.ts). */
const documentsSchema: z.ZodType<z.output<typeof documentsFields>> = z.preprocess((input, ctx) => {
  const problem = freshnessPresetIssue(input);
  if (!problem) return expandFreshnessPreset(input);
  ctx.addIssue({ code: 'custom', message: problem });
  return z.NEVER;
}, documentsFields);

export const optionsSchema = z
  .object({
    documents: z.array(documentsSchema).min(1),
    /** Rows per Milvus page (at most 16384). */
    milvusPageSize: z.number().int().min(1).max(16_384).default(16_384),
    /** statement_timeout of each streaming Postgres read. */
    scanStatementTimeout: durationSchema.default(3_600_000),
  })
  .strict()
  .superRefine((o, ctx) => refineDistinctNames(ctx, 'entries', [['documents', o.documents]]));

export type Options = z.infer<typeof optionsSchema>;
export type DocumentSet = Options['documents'][number];

function indexLabel(d: {
  recordManager?: { table: string; schema?: string };
  docstore?: { table: string; schema?: string };
  milvus?: { collection: string };
}): string {
  if (d.recordManager) return tableLabel(d.recordManager);
  if (d.docstore) return tableLabel(d.docstore);
  return d.milvus?.collection ?? '?';
}
