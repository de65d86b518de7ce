/** The Redis store: config section, defaults (REDIS_URL or 127.0.0.1:6379), and connect (ioredis). */
import { z } from 'zod';
import { durationSchema } from '../../duration.js';
import { port, urlOf } from '../config-schema.js';
import { defineStore, yamlText } from '../descriptor.js';
import type { RedisStoreConfig } from './connector.js';

export const redisConfigSchema = z
  .object({
    url: urlOf(['redis:', 'rediss:']).optional(),
    host: z.string().optional(),
    port: port.optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    db: z.number().int().min(0).optional(),
    tls: z.boolean().optional(),
    connectTimeout: durationSchema.optional(),
    commandTimeout: durationSchema.optional(),
  })
  .strict();

export const redis = defineStore({
  kind: 'redis',
  label: 'Redis',
  configSchema: redisConfigSchema,
  toConfig({ connectTimeout, commandTimeout, ...rest }): RedisStoreConfig {
    return { ...rest, connectTimeoutMs: connectTimeout, commandTimeoutMs: commandTimeout };
  },
  environmentDefaults(env, read) {
    return env.REDIS_URL ? { url: read('stores.redis.url', 'REDIS_URL') } : { host: '127.0.0.1', port: 6379 };
  },
  async connect(config, opts) {
    const { connectRedis } = await import('./connector.js');
    return connectRedis(config, opts);
  },
  probe: {
    ping: (r) => r.ping(),
    version: async (r) => (await r.info('server')).redis_version ?? '',
  },
  describe(redis) {
    const u = redis.url ? new URL(redis.url) : undefined;
    const fields = [
      `host: ${yamlText(u ? u.hostname : (redis.host ?? '127.0.0.1'))}`,
      `port: ${u ? Number(u.port || 6379) : (redis.port ?? 6379)}`,
      `db: ${u ? Number(u.pathname.slice(1) || 0) : (redis.db ?? 0)}`,
      redis.tls || u?.protocol === 'rediss:' ? 'tls: true' : '',
    ].filter(Boolean);
    const secretHint =
      redis.password || u?.password ? 'password: ${REDIS_PASSWORD}   (a password was used: keep it in the environment)' : undefined;
    return { fields, secretHint };
  },
});
