/**
 * The CheckTester without servers: the health check's table on in-memory Redis and Milvus (every
 * code health can produce without Postgres), and the tester's own rules (a case that lists the
 * wrong codes fails; undeclared codes in a table are refused).
 */
import { describe, expect, it } from 'vitest';
import health from '../../checks/health/index.js';
import { defineCheck } from '../../src/plugin.js';
import { expectInvalid, expectValid, type MemoryRedis, producedCodes, runCheckInMemory, testCheck } from '../helpers/check-tester.js';

const docs = { fields: { id: 'Int64', embedding: 'FloatVector' }, rows: [{ id: 1 }] };

testCheck(health, {
  valid: [
    { name: 'a healthy Redis and Milvus with every collection loaded', fixture: { redis: {}, milvus: { collections: { docs } } } },
    { name: 'memory below memoryWarnPct', fixture: { redis: { info: { used_memory: '79', maxmemory: '100' } } } },
  ],
  invalid: [
    { name: 'Redis evicted keys', fixture: { redis: { info: { evicted_keys: '3' } } }, codes: ['evictions'] },
    {
      name: 'Redis memory at the threshold',
      fixture: { redis: { info: { used_memory: '80', maxmemory: '100' } } },
      codes: ['memory-near-limit'],
    },
    {
      name: 'a slow Redis (median PING above latencyWarnMs)',
      options: { latencySamples: 1, latencyWarnMs: 1 },
      fixture: { redis: { pingMs: 30 } },
      codes: ['slow-store'],
    },
    {
      name: 'a collection not loaded',
      fixture: { milvus: { collections: { docs: { ...docs, loadState: 'not-loaded' } } } },
      codes: ['collection-not-loaded'],
      counts: { 'collection-not-loaded': 1 },
    },
    {
      name: 'a configured collection that does not exist',
      options: { collections: ['gone'] },
      fixture: { milvus: {} },
      codes: ['collection-not-loaded'],
    },
    {
      name: 'Milvus answers but reports unhealthy',
      fixture: { milvus: { health: { healthy: false, reasons: ['querynode down'] } } },
      codes: ['store-unreachable'],
    },
    {
      name: 'a configured Postgres the engine could not reach',
      fixture: { redis: {}, unreachable: { postgres: 'connect ECONNREFUSED 127.0.0.1:5432' } },
      codes: ['store-unreachable'],
    },
    {
      name: 'severity off silences a code',
      severity: { evictions: 'off' },
      fixture: { redis: { info: { evicted_keys: '3', used_memory: '95', maxmemory: '100' } } },
      codes: ['memory-near-limit'],
    },
  ],
});

describe('the tester itself', () => {
  const flaky = defineCheck({
    meta: {
      id: 'two-codes',
      title: 'two codes',
      requires: ['redis'],
      codes: { a: { severity: 'warn', message: () => 'a' }, b: { severity: 'error', message: () => 'b' } },
    },
    async run(ctx) {
      for await (const keys of ctx.stores.redis!.scan({ match: 'a:*' }))
        for (const k of keys) ctx.report({ code: 'a', subject: { key: String(k) } });
    },
  });

  it('runs the check through the engine: findings, counts, status from failOn', async () => {
    const { result, stores } = await runCheckInMemory(flaky, { redis: { keys: { 'a:1': 'x', 'a:2': 'y', 'b:1': 'z' } } });
    expect(producedCodes(result)).toEqual(['a']);
    expect(result.counts).toEqual({ error: 0, warn: 2, info: 0 });
    expect(result.status).toBe('pass'); // warnings are below the default failOn (error)
    expect(result.findings.map((f) => f.subject?.key)).toEqual(['a:1', 'a:2']);
    expect((stores.handles.redis as MemoryRedis).calls).toEqual(['scan']);
  });

  it('a required store the fixture lacks is refused with a clear message, not faked', async () => {
    await expect(runCheckInMemory(flaky, {})).rejects.toThrow(
      'check two-codes requires redis: give the fixture one (Redis, Milvus) or test it against the real servers (runCheck)',
    );
  });

  it('a required store listed as unreachable ends the check with the store error (exit 3)', async () => {
    const { result, report } = await runCheckInMemory(flaky, { unreachable: { redis: 'connect ECONNREFUSED 127.0.0.1:6379' } });
    expect(result.error).toEqual({ code: 'STORE_UNREACHABLE', message: 'connect ECONNREFUSED 127.0.0.1:6379' });
    expect(report.exitCode).toBe(3);
  });
});

describe('a wrong table fails', () => {
  const check = defineCheck({
    meta: {
      id: 'always-a',
      title: 'always a',
      requires: [],
      codes: { a: { severity: 'error', message: () => 'a' }, b: { severity: 'warn', message: () => 'b' } },
    },
    async run(ctx) {
      ctx.report({ code: 'a' });
    },
  });

  it('an invalid case listing other codes, too few codes, a wrong count, or an undeclared code', async () => {
    const { result } = await runCheckInMemory(check, {});
    expect(() => expectInvalid(check, { codes: ['a'] }, result)).not.toThrow();
    expect(() => expectInvalid(check, { codes: ['b'] }, result)).toThrow();
    expect(() => expectInvalid(check, { codes: ['a', 'b'] }, result)).toThrow();
    expect(() => expectInvalid(check, { codes: ['a'], counts: { a: 2 } }, result)).toThrow();
    expect(() => expectInvalid(check, { codes: ['a', 'typo'] }, result)).toThrow(/does not declare/);
    expect(() => expectInvalid(check, { codes: ['a'], error: 'CONFIG' }, result)).toThrow();
  });

  it('a valid case that produced a finding', async () => {
    const { result } = await runCheckInMemory(check, {});
    expect(() => expectValid(result)).toThrow(/no finding/);
  });
});
