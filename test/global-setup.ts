/**
 * Global setup of the `integration` project: before any test file runs, make sure the three real
 * servers answer. If one does not, stop here with one clear message instead of hundreds of failures.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { milvusTarget, PG_DATABASE, PG_HOST, PG_PORT, PG_USER, REDIS_HOST, REDIS_PORT } from './helpers/stores.js';

const PROBE_TIMEOUT_MS = 5000;

export interface ServerAddresses {
  postgres: { host: string; port: number; user: string; database: string };
  redis: { host: string; port: number };
  milvus: { address: string };
}

/**
 * The servers the integration tests use (test/helpers/stores.ts, DBCHECK_TEST_* overrides). The
 * Milvus one depends on the project: `integration-milvus-real` sets DBCHECK_TEST_MILVUS=real in its
 * `env`, which the test workers see but this global setup (run in the main process) does not.
 */
export function testServers(env: Record<string, string | undefined> = process.env): ServerAddresses {
  return {
    postgres: { host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE },
    redis: { host: REDIS_HOST, port: REDIS_PORT },
    milvus: { address: milvusTarget(env).address },
  };
}

export const TEST_SERVERS: ServerAddresses = testServers();

async function probePostgres(target: ServerAddresses['postgres']): Promise<void> {
  const client = new pg.Client({ ...target, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => {}); // a late socket error must not become an unhandled one
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

async function probeRedis(target: ServerAddresses['redis']): Promise<void> {
  const redis = new Redis({
    ...target,
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // one attempt: we want an answer, not a reconnect loop
  });
  // ioredis reports the cause (ECONNREFUSED...) on 'error' and rejects connect() with a vaguer
  // "Connection is closed": keep the cause for the message.
  let cause: Error | undefined;
  redis.on('error', (err: Error) => (cause ??= err));
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } catch (err) {
    throw cause ?? err;
  } finally {
    redis.disconnect();
  }
}

async function probeMilvus(target: ServerAddresses['milvus']): Promise<void> {
  const { MilvusClient } = await import('@zilliz/milvus2-sdk-node');
  const client = new MilvusClient({
    address: target.address,
    timeout: PROBE_TIMEOUT_MS,
    telemetry: { enabled: false },
    logLevel: 'error', // under vitest NODE_ENV=test, and the SDK then logs every RPC
  } as ConstructorParameters<typeof MilvusClient>[0]);
  try {
    await client.connectPromise; // awaited at once: unawaited, a refused connection kills Node
    const res = await client.getVersion();
    if (!res?.version) throw new Error('GetVersion returned no version');
  } finally {
    await client.closeConnection().catch(() => {});
  }
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}

/**
 * Resolves when all three servers answer a real call (SELECT 1, PING, GetVersion); otherwise
 * rejects with one line per server that does not and how to start them (and no stack trace).
 */
export async function checkServers(servers: ServerAddresses): Promise<void> {
  const { postgres, redis, milvus } = servers;
  const probes: Array<[string, string, () => Promise<void>]> = [
    ['PostgreSQL', `${postgres.host}:${postgres.port}`, () => probePostgres(postgres)],
    ['Redis', `${redis.host}:${redis.port}`, () => probeRedis(redis)],
    ['Milvus', milvus.address, () => probeMilvus(milvus)],
  ];
  const results = await Promise.all(
    probes.map(async ([name, address, probe]) => {
      try {
        await probe();
        return null;
      } catch (err) {
        return `  ${name} at ${address}: ${firstLine(err)}`;
      }
    }),
  );
  const down = results.filter((line): line is string => line !== null);
  if (down.length === 0) return;
  const message = [
    'Integration tests need the real servers, and some do not answer:',
    ...down,
    'Start them with: run `npm run services:up` (or `bash scripts/services.sh up`).',
  ].join('\n');
  const error = new Error(message);
  error.stack = message; // a stack trace into this file would only hide the message
  throw error;
}

export default async function setup(project?: TestProject): Promise<void> {
  const projectEnv = (project?.config.env ?? {}) as Record<string, string | undefined>;
  await checkServers(testServers({ ...process.env, ...projectEnv }));
}
