/** The check's options (its `checks.rollback-validation` section). `migrations` is required. */
import { durationSchema, z } from '../../src/plugin.js';
import { TOOL_IDS } from './tools/index.js';

const identifier = z.string().min(1).max(63);

export const optionsSchema = z
  .object({
    /** The migrations folder, relative to the config file's folder. */
    migrations: z.string().min(1),
    /** Skip detection and read the folder as this tool's. */
    tool: z.enum(TOOL_IDS).optional(),
    /** Schema holding the tracking table; also where unqualified names in scripts go. Default: current_schema(). */
    schema: identifier.optional(),
    /** Tracking table name, when not the tool's default. */
    table: identifier.optional(),
    /** For tool 'plain': the tracking table's version column, and an optional column giving the order applied. */
    plain: z
      .object({ versionColumn: identifier.default('version'), orderColumn: identifier.optional() })
      .strict()
      .prefault({}),
    /** Counting the rows a destructive down script would take with it. */
    destructive: z
      .object({
        enabled: z.boolean().default(true),
        /** Count exactly only when the planner estimates fewer rows than this. */
        exactCountBelow: z.number().int().nonnegative().default(1_000_000),
        /** statement_timeout of each exact count; past it the estimate is used. */
        countTimeout: durationSchema.default(2_000),
        /** At most this many exact counts per run. */
        maxExactCounts: z.number().int().nonnegative().default(50),
      })
      .strict()
      .prefault({}),
    /** Lock-aware lint of pending and recently applied migrations, judged by the live table sizes. */
    lint: z
      .object({
        enabled: z.boolean().default(true),
        /** Besides the pending migrations, lint this many of the most recently applied ones. */
        recentApplied: z.number().int().nonnegative().default(5),
        /** A lock-holding rewrite or scan is a finding when the table has at least this many rows (planner estimate)… */
        rowsAbove: z.number().int().nonnegative().default(1_000_000),
        /** …or takes at least this many bytes on disk (catalog page count). */
        bytesAbove: z
          .number()
          .int()
          .nonnegative()
          .default(1024 ** 3),
      })
      .strict()
      .prefault({}),
    /** The opt-in dry-run: roll the last migrations back and forth inside one rolled-back transaction. */
    dryRun: z
      .object({
        enabled: z.boolean().default(false),
        /** How many of the most recently applied migrations to roll back and re-apply. */
        last: z.number().int().min(1).max(1000).default(1),
        /** Run in this database (a copy of the target) instead of the target itself. */
        shadowDatabase: identifier.optional(),
        /** Schemas to snapshot and put on the search_path. Default: [schema]. */
        schemas: z.array(identifier).min(1).optional(),
        /** How long one statement may wait for a lock before the dry-run gives up. */
        lockTimeout: durationSchema.default(2_000),
        statementTimeout: durationSchema.default(60_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type RollbackValidationOptions = z.output<typeof optionsSchema>;
