/**
 * The part of ioredis the Redis connector uses, behind one function (like kysely's `Driver`): the
 * connector is written against `RedisClient`, so a unit test can hand it a fake that stalls,
 * refuses or answers as it likes (test/unit/store-drivers.test.ts) and check deadlines and error
 * mapping without a server.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** The ioredis calls the connector makes; nothing else reaches the driver. */
export type RedisClient = Pick<
  Redis,
  'connect' | 'on' | 'select' | 'scanBuffer' | 'pipeline' | 'info' | 'ping' | 'call' | 'quit' | 'disconnect'
>;

/** Makes a (not yet connected) client; the connector calls connect() itself, within its deadline. */
export type RedisDriver = (options: RedisOptions) => RedisClient;

/** The real driver: ioredis. */
export const ioredisDriver: RedisDriver = (options) => new Redis(options);
