/** The Postgres store: config section, defaults from the libpq variables, and connect (pg). */
import { z } from 'zod';
import { durationSchema } from '../../duration.js';
import { port, urlOf } from '../config-schema.js';
import { defineStore, yamlText } from '../descriptor.js';
import type { PostgresStoreConfig } from './connector.js';

export const postgresConfigSchema = z
  .object({
    url: urlOf(['postgres:', 'postgresql:']).optional(),
    host: z.string().optional(),
    port: port.optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    database: z.string().optional(),
    sslmode: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
    sslrootcert: z.string().optional(),
    statementTimeout: durationSchema.optional(),
    lockTimeout: durationSchema.optional(),
    connectTimeout: durationSchema.optional(),
    poolMax: z.number().int().min(1).max(64).optional(),
  })
  .strict();

export const postgres = defineStore({
  kind: 'postgres',
  label: 'Postgres',
  configSchema: postgresConfigSchema,
  toConfig({ statementTimeout, lockTimeout, connectTimeout, ...rest }): PostgresStoreConfig {
    return { ...rest, statementTimeoutMs: statementTimeout, lockTimeoutMs: lockTimeout, connectTimeoutMs: connectTimeout };
  },
  environmentDefaults(env, read) {
    if (env.DATABASE_URL) return { url: read('stores.postgres.url', 'DATABASE_URL') };
    return {
      host: read('stores.postgres.host', 'PGHOST', '127.0.0.1'),
      port: read('stores.postgres.port', 'PGPORT', 5432),
      user: read('stores.postgres.user', 'PGUSER', 'postgres'),
      password: read('stores.postgres.password', 'PGPASSWORD'),
      database: read('stores.postgres.database', 'PGDATABASE', 'postgres'),
      sslmode: read('stores.postgres.sslmode', 'PGSSLMODE'),
    };
  },
  async connect(config, opts) {
    const { connectPostgres } = await import('./connector.js');
    return connectPostgres(config, opts);
  },
  probe: {
    ping: (pg, signal) => pg.query('SELECT 1', [], { signal }),
    version: async (pg) => pg.info.version, // read at connect
  },
  describe(pg) {
    const u = pg.url ? new URL(pg.url) : undefined;
    const user = u ? decodeURIComponent(u.username) : pg.user;
    const database = u ? decodeURIComponent(u.pathname.slice(1)) : pg.database;
    const fields = [
      `host: ${yamlText(u ? u.hostname : (pg.host ?? '127.0.0.1'))}`,
      `port: ${u ? Number(u.port || 5432) : (pg.port ?? 5432)}`,
      user ? `user: ${yamlText(user)}` : '',
      database ? `database: ${yamlText(database)}` : '',
      pg.sslmode && pg.sslmode !== 'disable' ? `sslmode: ${pg.sslmode}` : '',
    ].filter(Boolean);
    const secretHint =
      pg.password || u?.password ? 'password: ${PGPASSWORD}   (a password was used: keep it in the environment)' : undefined;
    return { fields, secretHint };
  },
});
