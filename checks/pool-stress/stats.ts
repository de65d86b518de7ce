/**
 * pool-stress's stats. It is not shardable (shard 0 runs it whole), so no merge combines them: each
 * is a fact, typed for the code that writes it.
 */
import { type CheckContext, fact } from '../../src/plugin.js';

/** One store's phase measurements (burst, sustained, exhaustion...), filled phase by phase. */
export type StorePhaseStats = Record<string, unknown>;

export const STATS = {
  /** The run's label: in application_name and client names, to find its connections. */
  label: 'text',
  postgres: fact<StorePhaseStats>(),
  redis: fact<StorePhaseStats>(),
  milvus: fact<StorePhaseStats>(),
  /** The fleet's demand against each server's capacity. */
  fleetPostgres: fact<Record<string, unknown>>(),
  fleetRedis: fact<Record<string, unknown>>(),
} as const;

/** What the phases of pool-stress get: any options, the declared stats. */
export type PoolStressContext = CheckContext<unknown, never, string, typeof STATS>;
