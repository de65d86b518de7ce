/**
 * Global setup of the `integration` project: before any test file runs, make sure the three real
 * servers answer. If one does not, stop here with one clear line instead of hundreds of failures.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  MILVUS_ADDRESS,
  PG_DATABASE,
  PG_HOST,
  PG_PORT,
  PG_USER,
  REDIS_HOST,
  REDIS_PORT,
} from './helpers/stores.js';

const PROBE_TIMEOUT_MS = 5000;

async function probePostgres(): Promise<void> {
  const client = new pg.Client({
    host: PG_HOST,
    port: PG_PORT,
    user: PG_USER,
    database: PG_DATABASE,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

async function probeRedis(): Promise<void> {
  const redis = new Redis({
    host: REDIS_HOST,
    port: REDIS_PORT,
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

async function probeMilvus(): Promise<void> {
  const { MilvusClient } = await import('@zilliz/milvus2-sdk-node');
  const client = new MilvusClient({
    address: MILVUS_ADDRESS,
    timeout: PROBE_TIMEOUT_MS,
    telemetry: { enabled: false },
    logLevel: 'error', // under vitest NODE_ENV=test, and the SDK then logs every RPC
  } as ConstructorParameters<typeof MilvusClient>[0]);
  try {
    await client.connectPromise;
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

export default async function setup(): Promise<void> {
  const probes: Array<[string, string, () => Promise<void>]> = [
    ['PostgreSQL', `${PG_HOST}:${PG_PORT}`, probePostgres],
    ['Redis', `${REDIS_HOST}:${REDIS_PORT}`, probeRedis],
    ['Milvus', MILVUS_ADDRESS, probeMilvus],
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
