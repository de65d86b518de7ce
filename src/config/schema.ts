/**
 * The one schema of the configuration (everything but each check's own options, which the check
 * declares, and each store's section, which its descriptor declares: src/stores/<kind>/descriptor.ts).
 * Defaults, the file, the environment and flags are merged into one document first
 * (src/config/load.ts) and validated here once, so the same rules hold whatever the source.
 */
import { z } from 'zod';
import { durationSchema, SEVERITIES } from '../plugin.js';
import { STORE_DESCRIPTORS } from '../stores/registry.js';

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
      // One optional section per store, each with the schema its descriptor declares.
      .object(Object.fromEntries(STORE_DESCRIPTORS.map((d) => [d.kind, d.configSchema.optional()])))
      .strict()
      .optional(),
    plugins: z.array(z.string()).optional(),
    run: runSchema.prefault({}),
    checks: z.record(z.string(), checkSectionSchema.nullable()).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;
