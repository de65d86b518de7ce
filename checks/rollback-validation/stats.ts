/**
 * rollback-validation's stats. It is not shardable (shard 0 runs it whole), so its counts describe
 * the whole run; declared 'same' so that no merge could ever sum them.
 */
import type { CheckContext } from '../../src/plugin.js';

export const STATS = {
  tool: 'text',
  /** Findings name files relative to this folder; SARIF reports point code-scanning UIs at them. */
  migrationsDir: 'text',
  trackingTable: 'text',
  migrationsOnDisk: 'same',
  applied: 'same',
  pending: 'same',
  destructiveStatements: 'same',
  rowCountsExact: 'same',
  rowCountsEstimated: 'same',
  lintStatements: 'same',
  dryRunMigrations: 'same',
  dryRunStatements: 'same',
  dryRunRoundTrips: 'same',
  dryRunSkipped: 'same',
  dryRunRewrites: 'same',
  dryRunSnapshotObjects: 'same',
  dryRunMs: 'max',
} as const;

/** What the parts of rollback-validation get: Postgres required, the declared stats. */
export type RollbackValidationContext = CheckContext<unknown, 'postgres', string, typeof STATS>;
