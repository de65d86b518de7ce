/** The config file's shape (everything but each check's own options, which the check declares). */
import { z } from 'zod';
import { durationSchema } from '../plugin.js';

const port = z.number().int().min(1).max(65535);

export const postgresConfigSchema = z
  .object({
    url: z.string().optional(),
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
    url: z.string().optional(),
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
    callTimeout: durationSchema.optional(),
    connectTimeout: durationSchema.optional(),
  })
  .strict();

export const severityOverride = z.enum(['error', 'warn', 'info', 'off']);

/** The keys of a check section the engine owns; the rest is the check's options. */
export const ENGINE_CHECK_KEYS = ['enabled', 'severity', 'timeout'] as const;

export const checkSectionEngineSchema = z.object({
  enabled: z.boolean().optional(),
  severity: z.record(z.string(), severityOverride).optional(),
  timeout: durationSchema.optional(),
});

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
    run: z
      .object({
        concurrency: z.number().int().min(1).max(32).optional(),
        timeout: durationSchema.optional(),
        checkTimeout: durationSchema.optional(),
        failOn: z.enum(['error', 'warn', 'info']).optional(),
        maxFindings: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    checks: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;
export type PostgresConfig = z.infer<typeof postgresConfigSchema>;
export type RedisConfig = z.infer<typeof redisConfigSchema>;
export type MilvusConfig = z.infer<typeof milvusConfigSchema>;
