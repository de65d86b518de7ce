import { describe, it, expect } from 'vitest';
import { classifyLoadError } from '../../checks/pool-stress/error-class.js';
import { poolStressOptions } from '../../checks/pool-stress/options.js';

describe('classifyLoadError', () => {
  it.each([
    [{ code: '57014', message: 'canceling statement due to statement timeout' }, 'statement-timeout'],
    [new Error('timeout exceeded when trying to connect'), 'acquire-timeout'],
    [new Error('Command timed out'), 'command-timeout'],
    [
      {
        code: 'ETIMEDOUT',
        message: 'no answer from the server within 1200 ms (statement_timeout 1000 ms + 200 ms grace); connection closed',
      },
      'no-answer',
    ],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, 'connection'],
    [{ code: '53300', message: 'sorry, too many clients already' }, 'connection'],
    [{ code: '42P01', message: 'relation "x" does not exist' }, 'server'],
    [new Error('ERR unknown command'), 'server'],
    ['something odd', 'other'],
  ])('%o -> %s', (err, cls) => {
    expect(classifyLoadError(err)).toBe(cls);
  });
});

describe('pool-stress options', () => {
  it('has safe defaults for everything', () => {
    const o = poolStressOptions.parse({});
    expect(o.postgres).toMatchObject({ poolSize: 10, acquireTimeout: 2000, statementTimeout: 5000, query: 'SELECT 1' });
    expect(o.postgres.burst.concurrency).toBe(25);
    expect(o.postgres.sustained).toMatchObject({ workers: 10, duration: 10_000, maxOps: 1_000_000 });
    expect(o.postgres.sustained.thresholds.maxErrors).toBe(0);
    expect(o.redis.command).toEqual(['PING']);
    // Filling maxclients shuts everyone else out for a moment: never without asking.
    expect(o.redis.exhaustion).toEqual({ enabled: false, maxConnections: 100, refusedWithin: 2000, recoveryWithin: 5000 });
  });

  it('reads durations and thresholds', () => {
    const o = poolStressOptions.parse({ postgres: { sustained: { duration: '2s', thresholds: { p99: '50ms', p50: 0.5 } } } });
    expect(o.postgres.sustained.duration).toBe(2000);
    expect(o.postgres.sustained.thresholds).toMatchObject({ p99Ms: 50, p50Ms: 0.5 });
  });

  it.each([
    [{ postgres: { sustained: { duration: '11m' } } }, /capped/],
    [{ postgres: { poolSize: 0 } }, /poolSize|>=1|too small/i],
    [{ postgres: { burst: { concurrency: 5000 } } }, /concurrency|<=1000|too big/i],
    [{ redis: { command: ['DEL', 'k'] } }, /read command/],
    [{ postgres: { slow: { statementTimeout: 500, sleep: 100 } } }, /longer than/],
    [{ postgres: { unknown: 1 } }, /unrecognized/i],
    [{ label: 'Bad Label!' }, /lower-case/],
    [{ redis: { exhaustion: { maxConnections: 5000 } } }, /maxConnections|<=1000|too big/i],
  ])('rejects %o', (input, message) => {
    const r = poolStressOptions.safeParse(input);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });
});
