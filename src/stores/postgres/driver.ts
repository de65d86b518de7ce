/**
 * The pg classes the Postgres connector builds on, passed in (like kysely's `Driver`): a unit test
 * can hand connectPostgres a fake Pool whose connections stall or fail as it likes
 * (test/unit/store-drivers.test.ts) and check deadlines and SQLSTATE mapping without a server.
 * Every connection the connector opens goes through it: the audits' pool, the rollback runner's
 * client, the cancel request's client, and the load pool's handshake (load-pool.ts).
 */
import pg from 'pg';

export interface PostgresDriver {
  /** The pool of read-only sessions. */
  Pool: new (
    config: pg.PoolConfig,
  ) => pg.Pool;
  /** One connection: the pool's (extended with a connect deadline), the rollback runner's, the cancel request's, the load pool's. */
  Client: typeof pg.Client;
}

/** The real driver: node-postgres. */
export const pgDriver: PostgresDriver = { Pool: pg.Pool, Client: pg.Client };
