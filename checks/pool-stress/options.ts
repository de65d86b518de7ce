/**
 * Options of the pool-stress check (the `checks.pool-stress` section of dbcheck.yml).
 * Every load knob has a hard upper bound here, so no config can turn the check into an unbounded
 * load test against production.
 */
import { durationSchema, REDIS_READ_COMMANDS, z } from '../../src/plugin.js';

const durationAtMost = (maxMs: number, what: string) => durationSchema.refine((ms) => ms <= maxMs, `${what} is capped at ${maxMs / 1000}s`);

/** Thresholds a phase is judged against; each set one that is breached becomes a finding. */
const thresholdsSchema = z
  .object({
    p50: durationSchema.optional(),
    p95: durationSchema.optional(),
    p99: durationSchema.optional(),
    max: durationSchema.optional(),
    /** Successful operations per second, at least. */
    minThroughput: z.number().positive().optional(),
    /** Failed operations tolerated before `errors-during-load` (default 0). */
    maxErrors: z.number().int().nonnegative().default(0),
  })
  .strict()
  .transform((t) => ({ p50Ms: t.p50, p95Ms: t.p95, p99Ms: t.p99, maxMs: t.max, minThroughput: t.minThroughput, maxErrors: t.maxErrors }));

const burstSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Operations launched at the same instant. */
    concurrency: z.number().int().min(1).max(1000).default(25),
    thresholds: thresholdsSchema.prefault({}),
  })
  .strict();

const sustainedSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Concurrent loops (each runs one operation at a time). */
    workers: z.number().int().min(1).max(500).default(10),
    /** Runs this long, or until maxOps operations, whichever comes first (at most 10 minutes). */
    duration: durationAtMost(600_000, 'sustained.duration').default(10_000),
    maxOps: z.number().int().min(1).max(100_000_000).default(1_000_000),
    thresholds: thresholdsSchema.prefault({}),
  })
  .strict();

const postgresSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Size of the load pool: set it to the app's pool size per instance. */
    poolSize: z.number().int().min(1).max(200).default(10),
    /**
     * Threads the sustained phase runs on, as pgbench -j: its workers, the pool's connections and
     * maxOps are split across them. Default: the machine's cores. At most min(workers, poolSize).
     */
    threads: z.number().int().min(1).max(64).optional(),
    /** How long a query may wait for a free pooled connection (the app's pool acquire timeout). */
    acquireTimeout: durationAtMost(60_000, 'postgres.acquireTimeout').default(2_000),
    /** statement_timeout of the load sessions. */
    statementTimeout: durationAtMost(300_000, 'postgres.statementTimeout').default(5_000),
    /** The app's hot read query (sessions are read-only); SELECT 1 by default. */
    query: z.string().min(1).default('SELECT 1'),
    params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([]),
    burst: burstSchema.prefault({}),
    sustained: sustainedSchema.prefault({}),
    exhaustion: z
      .object({
        enabled: z.boolean().default(true),
        /** After releasing, a query must succeed within this. */
        recoveryWithin: durationAtMost(60_000, 'exhaustion.recoveryWithin').default(5_000),
      })
      .strict()
      .prefault({}),
    slow: z
      .object({
        enabled: z.boolean().default(true),
        /** statement_timeout of the slow-phase pool. */
        statementTimeout: durationAtMost(60_000, 'slow.statementTimeout').default(200),
        /** pg_sleep length of each slow query: must exceed statementTimeout. */
        sleep: durationAtMost(120_000, 'slow.sleep').default(1_000),
        /** Slow queries launched together. */
        count: z.number().int().min(1).max(100).default(3),
        /** After the timeouts, a query must succeed within this. */
        recoveryWithin: durationAtMost(60_000, 'slow.recoveryWithin').default(5_000),
      })
      .strict()
      .refine((s) => s.sleep > s.statementTimeout, { message: 'slow.sleep must be longer than slow.statementTimeout' })
      .prefault({}),
    /** After the pools close, sessions of this run must be gone from pg_stat_activity within this. */
    leakCheckWithin: durationAtMost(60_000, 'postgres.leakCheckWithin').default(3_000),
  })
  .strict();

const redisCommandSchema = z
  .array(z.union([z.string(), z.number()]))
  .min(1)
  .refine((c) => (REDIS_READ_COMMANDS as readonly string[]).includes(String(c[0]).toLowerCase()), {
    message: `the command must be a read command (${REDIS_READ_COMMANDS.join(', ')})`,
  });

const redisSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Connections the load spreads over (ioredis apps usually share one per instance). */
    connections: z.number().int().min(1).max(200).default(4),
    /** The command each operation sends, e.g. ["GET", "user:1"]; PING by default. */
    command: redisCommandSchema.default(['PING']),
    commandTimeout: durationAtMost(60_000, 'redis.commandTimeout').default(2_000),
    burst: burstSchema.prefault({}),
    sustained: sustainedSchema.prefault({}),
    /**
     * Fills the server's `maxclients` with connections of this run, shows that one more is refused
     * promptly (rather than left hanging), releases them, and shows a new connection works again.
     * Off by default: while the connections are held, the server refuses every new client, the
     * app's too (for the moment it takes to open them; they are released at the first refusal).
     */
    exhaustion: z
      .object({
        enabled: z.boolean().default(false),
        /** Never opens more than this: a server with more free slots is not exhausted (skipped). */
        maxConnections: z.number().int().min(1).max(1000).default(100),
        /** The connection past maxclients must fail within this. */
        refusedWithin: durationAtMost(60_000, 'redis.exhaustion.refusedWithin').default(2_000),
        /** After releasing, a new connection and the command must succeed within this. */
        recoveryWithin: durationAtMost(60_000, 'redis.exhaustion.recoveryWithin').default(5_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const milvusSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The collection to load; the Milvus phases run only when it is set. Must be loaded. */
    collection: z.string().min(1).optional(),
    /** The FloatVector field searched; default: the collection's only one. */
    vectorField: z.string().min(1).optional(),
    /** Query vectors are taken from the collection itself: this many rows are read once, up front. */
    sampleVectors: z.number().int().min(1).max(1000).default(32),
    search: z
      .object({
        enabled: z.boolean().default(true),
        /** Query vectors per search request. */
        nq: z.number().int().min(1).max(100).default(1),
        topk: z.number().int().min(1).max(1024).default(10),
        /** A boolean expression the hits must match, e.g. `tenant == "a"`. */
        filter: z.string().min(1).optional(),
        /** Default: the metric the field's index was built with. */
        metricType: z.string().min(1).optional(),
        burst: burstSchema.prefault({}),
        sustained: sustainedSchema.prefault({}),
      })
      .strict()
      .prefault({}),
    query: z
      .object({
        enabled: z.boolean().default(true),
        /** The app's query filter; default: the primary key `in` a few keys of the collection. */
        filter: z.string().min(1).optional(),
        limit: z.number().int().min(1).max(16_384).default(10),
        outputFields: z.array(z.string().min(1)).default([]),
        burst: burstSchema.prefault({}),
        sustained: sustainedSchema.prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const fleetSchema = z
  .object({
    postgres: z
      .object({
        /** App instances (pods, processes) each with its own pool. */
        instances: z.number().int().min(1).max(100_000),
        poolSize: z.number().int().min(1).max(100_000),
        /** Other clients (workers, cron, admin); default: the sessions open on the server now. */
        otherClients: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    redis: z
      .object({
        instances: z.number().int().min(1).max(100_000),
        connectionsPerInstance: z.number().int().min(1).max(100_000),
        otherClients: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const poolStressOptions = z
  .object({
    /**
     * Tags this run's sessions (application_name "dbcheck-pool-stress-<label>"); a random one per
     * run by default. Two runs with the same label at once would see each other's sessions.
     */
    label: z
      .string()
      .regex(/^[a-z0-9_]{1,24}$/, 'lower-case letters, digits and _ (at most 24)')
      .optional(),
    postgres: postgresSchema.prefault({}),
    redis: redisSchema.prefault({}),
    milvus: milvusSchema.prefault({}),
    fleet: fleetSchema.optional(),
  })
  .strict();

export type PoolStressOptions = z.output<typeof poolStressOptions>;
export type PostgresLoadOptions = PoolStressOptions['postgres'];
export type RedisLoadOptions = PoolStressOptions['redis'];
export type MilvusLoadOptions = PoolStressOptions['milvus'];
