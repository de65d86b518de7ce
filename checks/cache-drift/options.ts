/**
 * Options of the cache-drift check: what a user writes under `checks.cache-drift` in dbcheck.yml.
 * Everything is validated here, before any store is touched (key patterns are compiled too, so a
 * broken pattern is a config error with the pattern in the message).
 */
import { z, durationSchema } from '../../src/plugin.js';
import { compileKeyPattern } from '../lib/key-pattern.js';
import { CODEC_NAMES } from './codecs.js';

export const FIELD_TYPES = ['auto', 'string', 'number', 'boolean', 'timestamp', 'json'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const TIMESTAMP_FORMATS = ['auto', 'iso', 'epoch-s', 'epoch-ms'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

const fieldSpecSchema = z
  .object({
    /** Cache field (hash) or dot-separated JSON path (json). Default: the column name. */
    path: z.string().min(1).optional(),
    /** How to compare; 'auto' infers it from the column's Postgres type. */
    type: z.enum(FIELD_TYPES).default('auto'),
    /** How the cache stores a timestamp; 'auto' takes numbers below 1e11 as seconds, else ms. */
    format: z.enum(TIMESTAMP_FORMATS).default('auto'),
    /** Numbers: compare rounded to this many decimal places. */
    precision: z.number().int().min(0).max(20).optional(),
  })
  .strict();

const UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };
/** A size in bytes: 1048576, "512KB", "64MB", "1GB" (binary units: 1 MB = 1,048,576 bytes). */
const bytesSchema = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(b|kb|kib|mb|mib|gb|gib)$/i, 'a size like 512KB, 64MB or 1GB')])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(v.trim())!;
    return Math.round(Number(m[1]) * UNITS[m[2].toLowerCase()]);
  })
  .pipe(
    z
      .number()
      .min(64 * 1024, 'at least 64KB')
      .max(4 * 1024 ** 3, 'at most 4GB'),
  );

export const DEFAULT_VALUE_BUDGET = 32 * 1024 ** 2;

export type FieldSpecInput = z.input<typeof fieldSpecSchema>;

const strategySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('write-through'), version: z.string().min(1).optional() }).strict(),
  z
    .object({
      type: z.literal('write-behind'),
      /** Column (also in the field map) holding a version number or an updated_at timestamp. */
      version: z.string().min(1),
      /** Timestamp versions: how long the database may trail the cache. */
      maxLag: durationSchema.optional(),
      /** Number versions: how many versions the cache may lead the database by. */
      maxVersionLead: z.number().int().min(0).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('cache-aside'),
      /** Column holding a version number or an updated_at timestamp. */
      version: z.string().min(1).optional(),
      /**
       * Number versions: the row's last-change timestamp column, read from the row to judge an older
       * entry in time. Compared with the cache only when it is also in the field map.
       */
      updatedAt: z.string().min(1).optional(),
      /** How long an entry may trail its row; default: ttl.max (an entry lives at most that long). */
      maxStaleness: durationSchema.optional(),
    })
    .strict(),
]);

const ttlSchema = z
  .object({
    required: z.boolean().default(false),
    /** Remaining TTL below this is reported (only meaningful with sliding expiry, see docs). */
    min: durationSchema.optional(),
    /** Remaining TTL above this is reported: no entry can have been set with a TTL this long. */
    max: durationSchema.optional(),
  })
  .strict();

export const mappingSchema = z
  .object({
    /** Name used in findings and stats; default: the key pattern. */
    name: z.string().min(1).optional(),
    /** Redis key pattern with placeholders, e.g. "tenant:{tenant}:doc:{id}". */
    key: z.string().min(1),
    encoding: z.enum(CODEC_NAMES as [string, ...string[]]).default('json'),
    /** Redis database index; must be the redis store's db (one connection per run). */
    db: z.number().int().min(0).optional(),
    /** Postgres table, optionally schema-qualified: "public.documents". */
    table: z.string().min(1),
    /** Placeholder -> key column; a placeholder without an entry uses the column of the same name. */
    keyColumns: z.record(z.string(), z.string().min(1)).default({}),
    /** SQL predicate rows must satisfy (trusted config, run read-only); rows outside it count as gone. */
    where: z.string().min(1).optional(),
    /** Column -> cache field / JSON path (string) or a field spec. Default: every column, same name. */
    fields: z.record(z.string(), z.union([z.string().min(1), fieldSpecSchema])).optional(),
    /** Columns left out of the comparison. */
    ignore: z.array(z.string()).default([]),
    /** Columns whose values never appear in findings. */
    sensitive: z.array(z.string()).default([]),
    /** A field missing from the cache entry equals a NULL column (JSON null always does). */
    absentIsNull: z.boolean().default(true),
    /** Hashes: an empty string equals a NULL column. */
    emptyIsNull: z.boolean().default(false),
    strategy: strategySchema,
    ttl: ttlSchema.default({ required: false }),
  })
  .strict()
  .superRefine((m, ctx) => {
    // Everything decidable without the catalog is refused here, so `dbcheck validate` refuses it
    // (exit 2); what needs the column types is refused by the check's preflight, also exit 2.
    const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
    let placeholders: string[] = [];
    try {
      placeholders = compileKeyPattern(m.key).placeholders;
    } catch (err) {
      issue(['key'], (err as Error).message);
    }
    for (const p of Object.keys(m.keyColumns)) {
      if (!placeholders.includes(p)) issue(['keyColumns', p], `{${p}} is not a placeholder of ${m.key}`);
    }
    const s = m.strategy;
    const declared = (col: string | undefined) => declaredType(m, col);
    if (s.version) {
      const t = declared(s.version);
      if (t && t !== 'number' && t !== 'timestamp')
        issue(['strategy', 'version'], `version column ${s.version} must be a number or a timestamp (its field type is ${t})`);
    }
    if (s.type === 'write-behind') {
      if (s.maxLag === undefined && s.maxVersionLead === undefined) {
        issue(['strategy'], 'write-behind needs maxLag (timestamp version) or maxVersionLead (number version)');
      } else if (declared(s.version) === 'timestamp' && s.maxLag === undefined) {
        issue(['strategy'], `write-behind with a timestamp version (${s.version}) needs maxLag`);
      } else if (declared(s.version) === 'number' && s.maxVersionLead === undefined) {
        issue(['strategy'], `write-behind with a number version (${s.version}) needs maxVersionLead`);
      }
    }
    if (s.type === 'cache-aside') {
      if (s.updatedAt && !s.version) issue(['strategy', 'updatedAt'], 'updatedAt judges an older version in time: it needs a version');
      const u = declared(s.updatedAt);
      if (u && u !== 'timestamp')
        issue(['strategy', 'updatedAt'], `updatedAt column ${s.updatedAt} must be a timestamp (its field type is ${u})`);
      // A number version without updatedAt needs no allowance (an older entry is simply stale).
      const timeless = declared(s.version) === 'number' && !s.updatedAt;
      if (s.version && !timeless && s.maxStaleness === undefined && m.ttl.max === undefined) {
        issue(['strategy'], 'cache-aside with a version needs maxStaleness or ttl.max (how stale an entry may lawfully be)');
      }
    }
    if (s.version && m.fields && !(s.version in m.fields)) {
      issue(['strategy', 'version'], `version column ${s.version} must be in fields (so it is known where the cache keeps it)`);
    }
    if (s.version && m.ignore.includes(s.version)) issue(['ignore'], `version column ${s.version} cannot be ignored`);
  });

/** The comparison type the field map declares for a column; undefined when 'auto' or unmapped. */
function declaredType(m: { fields?: Record<string, string | { type: FieldType }> }, column: string | undefined): FieldType | undefined {
  const spec = column === undefined ? undefined : m.fields?.[column];
  return spec && typeof spec === 'object' && spec.type !== 'auto' ? spec.type : undefined;
}

export type MappingOptions = z.output<typeof mappingSchema>;

const forbiddenSchema = z
  .object({
    /** Raw SCAN MATCH glob, e.g. "v1:*". */
    match: z.string().min(1),
    reason: z.string().optional(),
  })
  .strict();

export const optionsSchema = z
  .object({
    mappings: z.array(mappingSchema).min(1),
    /** Namespaces that must be empty, e.g. after moving from v1: to v2: keys. */
    forbidden: z.array(forbiddenSchema).default([]),
    /** Check only the first N keys of each mapping in SCAN order (see docs on randomness). */
    sample: z.number().int().positive().optional(),
    /** SCAN COUNT hint; also the page size of pipelined reads and Postgres batches. */
    scanCount: z.number().int().min(10).max(10_000).default(1000),
    /** Pages in flight at once (each: one Redis pipeline + one Postgres query). */
    concurrency: z.number().int().min(1).max(16).default(2),
    /**
     * Bytes of cache values held at once, over all pages in flight (values are sized before they
     * are read). A value larger than this is reported as oversized-entry and never read.
     */
    valueBudget: bytesSchema.default(DEFAULT_VALUE_BUDGET),
    /** Example keys kept per forbidden pattern. */
    examples: z.number().int().min(0).max(100).default(5),
  })
  .strict();

export type CacheDriftOptions = z.output<typeof optionsSchema>;
