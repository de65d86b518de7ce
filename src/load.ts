/**
 * The public entry for load-generating worker threads: `import { openPostgresLoadPool } from 'dbcheck/load'`.
 *
 * A check that wants more than one core opens its load pool as usual (`ctx.stores.postgres.createLoadPool`),
 * posts `pool.target` (plain data) to its worker threads, and each worker opens its own pool from it
 * here: the same sessions (read-only, statement_timeout, application_name, client-side deadlines),
 * its own connections. Kept apart from src/plugin.ts so that a worker loads only the driver.
 */
export { openPostgresLoadPool } from './stores/postgres/load-pool.js';
export type { LoadPoolOptions, LoadPoolRow, PostgresLoadPool, PostgresLoadTarget, QueryResult } from './stores/types.js';
