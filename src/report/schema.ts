/**
 * The JSON report's schema (zod): the JSON reporter's output is validated against it in tests,
 * docs/report.schema.json is generated from it (a test keeps the file in sync), and the TypeScript
 * types in src/engine/result.ts must match it both ways (checked at compile time at the end).
 */
import { z } from 'zod';
import type { Report } from '../engine/result.js';
import { SEVERITIES, type StatShape, STORE_KINDS } from '../plugin.js';
import { STAT_RULES } from '../stats.js';

const severity = z.enum(SEVERITIES);
const counts = z.object({ error: z.number().int(), warn: z.number().int(), info: z.number().int() }).strict();
const storeKind = z.enum(STORE_KINDS);

const finding = z
  .object({
    checkId: z.string(),
    code: z.string(),
    severity,
    message: z.string(),
    subject: z.object({ store: storeKind.optional(), object: z.string().optional(), key: z.string().optional() }).strict().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
    baseline: z.enum(['new', 'unchanged', 'unknown']).optional(),
  })
  .strict();

const section = z
  .object({ title: z.string(), columns: z.array(z.string()), rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))) })
  .strict();

const consistency = z
  .object({
    name: z.string(),
    kind: z.enum(['mapping', 'relation']),
    unit: z.string(),
    problem: z.string(),
    compared: z.number().int().positive(),
    inconsistent: z.number().int().nonnegative(),
    ratio: z.number().min(0).max(1),
    sampled: z.literal(true).optional(),
    belowMinimum: z.literal(true).optional(),
  })
  .strict();

/** A check's meta.stats (src/stats.ts): rule names, nested objects of them, '*' for entries named at run time. */
const statShape: z.ZodType<StatShape> = z
  .lazy(() => z.record(z.string(), z.union([z.enum(STAT_RULES), statShape])))
  .meta({ id: 'StatShape', description: "A check's meta.stats: how each stat merges across shards" });

const checkResult = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string().optional(),
    status: z.enum(['pass', 'fail', 'error', 'skipped']),
    durationMs: z.number().int().nonnegative(),
    counts,
    countsByCode: z.record(z.string(), z.number().int()),
    findings: z.array(finding),
    truncated: z.boolean(),
    stats: z.record(z.string(), z.unknown()),
    statRules: statShape.optional(),
    sections: z.array(section).optional(),
    partial: z.boolean().optional(),
    skipReason: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).strict().optional(),
    configProblems: z.array(z.object({ path: z.string().optional(), message: z.string() }).strict()).optional(),
    consistency: z.array(consistency).optional(),
  })
  .strict();

const storeStatus = z
  .object({
    kind: storeKind,
    configured: z.boolean(),
    address: z.string().optional(),
    connected: z.boolean().optional(),
    connectMs: z.number().optional(),
    error: z.object({ code: z.string(), message: z.string() }).strict().optional(),
  })
  .strict();

export const reportSchema = z
  .object({
    schemaVersion: z.literal(1),
    tool: z.object({ name: z.literal('dbcheck'), version: z.string() }).strict(),
    startedAt: z.iso.datetime(),
    durationMs: z.number().int().nonnegative(),
    failOn: severity,
    shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).strict().optional(),
    baseline: z
      .object({
        startedAt: z.string(),
        failOnNew: z.boolean(),
        new: z.number().int(),
        unchanged: z.number().int(),
        unknown: z.number().int(),
        notCompared: z.number().int(),
        resolved: z.array(
          z.object({ checkId: z.string(), code: z.string(), severity, message: z.string(), fingerprint: z.string() }).strict(),
        ),
        resolvedUnknown: z.array(z.object({ checkId: z.string(), reason: z.string() }).strict()),
      })
      .strict()
      .optional(),
    minConsistency: z.number().min(0).max(100).optional(),
    exitCode: z.number().int(),
    summary: z
      .object({
        checks: z.object({ pass: z.number().int(), fail: z.number().int(), error: z.number().int(), skipped: z.number().int() }).strict(),
        findings: counts,
        unreachableStores: z.array(storeKind),
        uncaughtErrors: z.array(z.string()).optional(),
        interrupted: z.enum(['SIGINT', 'SIGTERM', 'timeout']).optional(),
      })
      .strict(),
    stores: z.array(storeStatus),
    checks: z.array(checkResult),
  })
  .strict();

export function reportJsonSchema(): unknown {
  return { $id: 'https://dbcheck.dev/report.schema.json', title: 'dbcheck report', ...z.toJSONSchema(reportSchema) };
}

/**
 * The TypeScript types of the report (src/engine/result.ts, where their comments live) and this
 * schema describe one shape: each must be assignable to the other, or the build fails here.
 */
type Schema = z.infer<typeof reportSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const reportTypesMatchSchema: Same<Report, Schema> = true;
