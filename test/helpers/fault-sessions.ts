/**
 * "No connection of dbcheck left on the servers", measured on the servers themselves.
 *
 * Tests run in parallel and every dbcheck session is called 'dbcheck', so a test that wants to
 * count ITS sessions gives dbcheck a login of its own: a Postgres role (local trust auth lets it
 * in) and a Redis ACL user. Then pg_stat_activity / CLIENT LIST filtered by that user show exactly
 * what this test's dbcheck runs left behind.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { pgAdmin, REDIS_HOST, REDIS_PORT } from './stores.js';

export interface AuditLogins {
  /** Postgres role for dbcheck (LOGIN, may read the given schemas). */
  pgUser: string;
  /** Redis ACL user and its password (every command allowed; dbcheck itself sends reads only). */
  redisUser: string;
  redisPassword: string;
  /** dbcheck sessions still open on Postgres (application_name LIKE 'dbcheck%'), by this role. */
  pgSessions(): Promise<Array<{ pid: number; application_name: string; state: string | null; query: string }>>;
  /** dbcheck connections still open on Redis (name=dbcheck*), by this ACL user. */
  redisClients(): Promise<string[]>;
  /** Polls until both are empty (servers notice a closed socket a moment later); returns what is left. */
  leftovers(withinMs?: number): Promise<{ postgres: unknown[]; redis: string[] }>;
  drop(): Promise<void>;
}

export async function createAuditLogins(readSchemas: string[] = []): Promise<AuditLogins> {
  const suffix = randomBytes(4).toString('hex');
  const pgUser = `dbcheck_rel_${suffix}`;
  const redisUser = `dbcheck_rel_${suffix}`;
  const redisPassword = `pw-${randomBytes(8).toString('hex')}`;

  const admin: pg.Client = await pgAdmin();
  await admin.query(`CREATE ROLE "${pgUser}" LOGIN`);
  for (const s of readSchemas) {
    await admin.query(`GRANT USAGE ON SCHEMA "${s}" TO "${pgUser}"`);
    await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${s}" TO "${pgUser}"`);
  }
  const redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.call('ACL', 'SETUSER', redisUser, 'on', `>${redisPassword}`, '~*', '&*', '+@all');

  const pgSessions = async () =>
    (
      await admin.query(
        `SELECT pid, application_name, state, query FROM pg_stat_activity
          WHERE usename = $1 AND application_name LIKE 'dbcheck%'`,
        [pgUser],
      )
    ).rows;
  const redisClients = async () =>
    String(await redis.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => line.includes(` user=${redisUser} `) && / name=dbcheck/.test(line));

  return {
    pgUser,
    redisUser,
    redisPassword,
    pgSessions,
    redisClients,
    async leftovers(withinMs = 5_000) {
      const until = Date.now() + withinMs;
      for (;;) {
        const [postgres, redisLeft] = await Promise.all([pgSessions(), redisClients()]);
        if ((postgres.length === 0 && redisLeft.length === 0) || Date.now() > until) return { postgres, redis: redisLeft };
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async drop() {
      try {
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [pgUser]);
        for (const s of readSchemas) await admin.query(`REVOKE ALL ON ALL TABLES IN SCHEMA "${s}" FROM "${pgUser}"`).catch(() => {});
        for (const s of readSchemas) await admin.query(`REVOKE ALL ON SCHEMA "${s}" FROM "${pgUser}"`).catch(() => {});
        await admin.query(`DROP ROLE IF EXISTS "${pgUser}"`);
        await redis.call('ACL', 'DELUSER', redisUser);
      } finally {
        await admin.end();
        redis.disconnect();
      }
    },
  };
}
