/**
 * The one schema of the configuration (everything but each check's own options, which the check
 * declares). Defaults, the file, the environment and flags are merged into one document first
 * (src/config/load.ts) and validated here once, so the same rules hold whatever the source.
 */
import { z } from 'zod';
import { durationSchema, SEVERITIES } from '../plugin.js';

const port = z.number().int().min(1).max(65535);

/** A URL the driver would otherwise half-parse (or silently ignore): checked here, exit 2. */
function urlOf(protocols: string[]) {
  return z.string().superRefine((v, ctx) => {
    // ${VAR} already interpolated; an unparsable URL is a config mistake, never a store failure.
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a valid URL (expected ${protocols[0]}//host:port/...)` });
      return;
    }
    // No host is fine: postgres:///app?host=/var/run/postgresql is a Unix socket.
    if (!protocols.includes(u.protocol))
      ctx.addIssue({ code: 'custom', message: `must start with ${protocols.map((p) => `${p}//`).join(' or ')}` });
  });
}

export const postgresConfigSchema = z
  .object({
    url: urlOf(['postgres:', 'postgresql:']).optional(),
    host: z.string().optional(),
    port: port.optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    database: z.string().optional(),
    sslmode: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
    sslrootcert: z.string().optional(),
    statementTimeout: durationSchema.optional(),
    lockTimeout: durationSchema.optional(),
    connectTimeout: durationSchema.optional(),
    poolMax: z.number().int().min(1).max(64).optional(),
  })
  .strict();

export const redisConfigSchema = z
  .object({
    url: urlOf(['redis:', 'rediss:']).optional(),
    host: z.string().optional(),
    port: port.optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    db: z.number().int().min(0).optional(),
    tls: z.boolean().optional(),
    connectTimeout: durationSchema.optional(),
    commandTimeout: durationSchema.optional(),
  })
  .strict();

export const milvusConfigSchema = z
  .object({
    address: z.string(),
    token: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    database: z.string().optional(),
    ssl: z.boolean().optional(),
    /** TLS with a private CA / mutual TLS (PEM files); see docs/config.md. */
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    serverName: z.string().min(1).optional(),
    callTimeout: durationSchema.optional(),
    connectTimeout: durationSchema.optional(),
  })
  .strict();

/** `run:` — also settable by DBCHECK_* variables and flags (same keys, same rules). */
export const runSchema = z
  .object({
    concurrency: z.number().int().min(1).max(32).default(4),
    timeout: durationSchema.optional(),
    checkTimeout: durationSchema.default(30 * 60_000),
    failOn: z.enum(SEVERITIES, { error: 'must be error, warn or info' }).default('error'),
    maxFindings: z.number().int().min(0).default(100),
    /** "i/n": this process audits shard i (0-based) of n (checks/lib/shard.ts). */
    shard: z
      .string()
      .regex(/^\d+\/\d+$/, 'must be i/n, e.g. 0/3 (shard i of n, counted from 0)')
      .transform((v) => ({ index: Number(v.split('/')[0]), count: Number(v.split('/')[1]) }))
      .refine((s) => s.count >= 1 && s.count <= 10_000 && s.index < s.count, 'must be i/n with 0 <= i < n (e.g. 0/3, 1/3, 2/3)')
      .optional(),
  })
  .strict();

/** A check section: the keys the engine owns (enabled, severity, timeout); the rest is the check's options. */
const checkSectionSchema = z
  .object({
    enabled: z.boolean({ error: 'must be true or false' }).optional(),
    severity: z
      .record(z.string(), z.enum([...SEVERITIES, 'off'], { error: 'must be error, warn, info or off' }), {
        error: 'must map finding codes to error, warn, info or off',
      })
      .optional(),
    timeout: durationSchema.optional(),
  })
  // The check's own options ride along; the check's schema validates them (src/engine/plan.ts).
  .catchall(z.unknown());

export const configFileSchema = z
  .object({
    stores: z
      .object({
        postgres: postgresConfigSchema.optional(),
        redis: redisConfigSchema.optional(),
        milvus: milvusConfigSchema.optional(),
      })
      .strict()
      .optional(),
    plugins: z.array(z.string()).optional(),
    run: runSchema.prefault({}),
    checks: z.record(z.string(), checkSectionSchema.nullable()).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;
export type PostgresConfig = z.infer<typeof postgresConfigSchema>;
export type RedisConfig = z.infer<typeof redisConfigSchema>;
export type MilvusConfig = z.infer<typeof milvusConfigSchema>;
