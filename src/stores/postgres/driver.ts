/**
 * The pg classes the Postgres connector builds on, passed in (like kysely's `Driver`): a unit test
 * can hand connectPostgres a fake Pool whose connections stall or fail as it likes
 * (test/unit/store-drivers.test.ts) and check deadlines and SQLSTATE mapping without a server.
 * Not yet through it: the cancel connection (cancelOnAbort) and pool-stress's load pool, which
 * use pg directly.
 */
import pg from 'pg';

export interface PostgresDriver {
  /** The pool of read-only sessions. */
  Pool: new (
    config: pg.PoolConfig,
  ) => pg.Pool;
  /** One connection: the pool's (extended with a connect deadline) and the rollback runner's. */
  Client: typeof pg.Client;
}

/** The real driver: node-postgres. */
export const pgDriver: PostgresDriver = { Pool: pg.Pool, Client: pg.Client };
