/**
 * Durations in config and options. Its own module (re-exported by plugin.ts) so that the store
 * descriptors, which plugin.ts reaches through the registry, do not import plugin.ts back.
 */
import { z } from 'zod';
import { CheckError } from './errors.js';

/** Reads a duration: 500 (ms), "500ms", "30s", "5m", "1h". */
export const durationSchema = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h)$/, 'a duration like 500ms, 30s, 5m or 1h')])
  .transform((v) => parseDurationMs(v));

export function parseDurationMs(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(v.trim());
  if (!m) throw new CheckError('BAD_DURATION', `not a duration: ${v}`);
  const n = Number(m[1]);
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
}
