import { describe, expect, it } from 'vitest';
import health from '../../../checks/health/index.js';
import { runCheck } from '../../helpers/check-tester.js';

describe('health', () => {
  it('passes with every store up and reports versions, latency and capacity', async () => {
    const r = await runCheck(health);
    expect(r.status, JSON.stringify(r.error ?? r.findings)).toBe('pass');
    const rows = r.sections?.[0].rows ?? [];
    expect(rows.map((row) => row[0])).toEqual(['postgres', 'redis', 'milvus']);
    expect(rows.every((row) => row[5] === 'up')).toBe(true);
    expect(r.stats.postgres).toMatchObject({ maxConnections: expect.any(Number) });
    expect(String((r.stats.redis as { version: string }).version)).toMatch(/^\d+\.\d+/);
    expect(String((r.stats.milvus as { version: string }).version)).not.toBe('');
  });

  it('reports a store that is down as store-unreachable and still checks the others', async () => {
    const r = await runCheck(health, { stores: { redis: { host: '127.0.0.1', port: 1 }, milvus: false } });
    expect(r.countsByCode['store-unreachable']).toBe(1);
    const f = r.findings.find((x) => x.code === 'store-unreachable')!;
    expect(f.subject?.store).toBe('redis');
    expect(f.message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1.*connection refused/);
    expect(r.stats.postgres).toBeDefined();
  });

  it('turns a capacity threshold into a finding', async () => {
    const r = await runCheck(health, { options: { connectionsWarnPct: 0, memoryWarnPct: 0 }, stores: { milvus: false } });
    expect(r.countsByCode['connections-near-limit']).toBe(1);
    expect(r.status).toBe('pass'); // warnings do not fail at the default --fail-on error
  });

  it('flags a slow store against the latency threshold', async () => {
    const r = await runCheck(health, { options: { latencyWarnMs: 0.000001 }, stores: { milvus: false } });
    expect(r.countsByCode['slow-store']).toBe(2);
  });
});
