/**
 * Names label findings, stats and errors: two entries with one name could not be told apart. For an
 * options schema's superRefine: one issue at each entry whose name an earlier entry already has,
 * across all the lists given (orphan-scan's relation names are one namespace over three lists).
 */
import type { z } from '../../src/plugin.js';

export function refineDistinctNames(
  ctx: z.RefinementCtx,
  /** The plural the message uses: "two mappings are named ...". */
  what: string,
  lists: ReadonlyArray<readonly [key: string, entries: ReadonlyArray<{ name: string }>]>,
): void {
  const seen = new Set<string>();
  for (const [key, entries] of lists) {
    entries.forEach((e, i) => {
      if (seen.has(e.name))
        ctx.addIssue({
          code: 'custom',
          path: [key, i, 'name'],
          message: `two ${what} are named ${JSON.stringify(e.name)}: give each a distinct name`,
        });
      seen.add(e.name);
    });
  }
}
