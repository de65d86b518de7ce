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

describe('health capacity findings on a private Redis with a memory limit', () => {
  it("reports 'memory-near-limit' and 'evictions' with the numbers", async () => {
    const { startRedisServer } = await import('../../helpers/redis-server.js');
    const { Redis } = await import('ioredis');
    const server = await startRedisServer({ args: ['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru'] });
    try {
      const admin = new Redis({ port: server.port, host: '127.0.0.1' });
      const value = 'x'.repeat(1024);
      for (let i = 0; i < 40; i++) {
        const p = admin.pipeline();
        for (let j = 0; j < 100; j++) p.set(`k:${i}:${j}`, value);
        await p.exec();
      }
      admin.disconnect();
      const r = await runCheck(health, { stores: { redis: { host: '127.0.0.1', port: server.port }, milvus: false } });
      expect(r.countsByCode['memory-near-limit']).toBe(1);
      expect(r.countsByCode['evictions']).toBe(1);
      const ev = r.findings.find((f) => f.code === 'evictions')!;
      expect(Number(ev.data?.evicted)).toBeGreaterThan(0);
      expect(ev.message).toContain('allkeys-lru');
    } finally {
      await server.stop();
    }
  });
});

describe('health on Milvus collections', () => {
  // The way a production collection ends up unloaded: the server restarted. A private Milvus Lite
  // server is stopped and started again on the same data dir.
  it("reports 'collection-not-loaded' for a collection released by a server restart", async () => {
    const { startMilvusLite } = await import('../../helpers/milvus-server.js');
    const { MilvusClient, DataType } = await import('@zilliz/milvus2-sdk-node');
    let server = await startMilvusLite();
    try {
      const admin = new MilvusClient({ address: server.address, telemetry: { enabled: false }, logLevel: 'error' } as never);
      await admin.connectPromise;
      await admin.createCollection({
        collection_name: 'released',
        fields: [
          { name: 'id', data_type: DataType.Int64, is_primary_key: true },
          { name: 'v', data_type: DataType.FloatVector, dim: 4 },
        ],
      });
      await admin.insert({ collection_name: 'released', data: [{ id: 1, v: [0, 0, 0, 1] }] });
      await admin.createIndex({ collection_name: 'released', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' });
      await admin.loadCollection({ collection_name: 'released' });
      await admin.flush({ collection_names: ['released'] });
      await admin.closeConnection();
      await server.stop();
      server = await startMilvusLite({ dataDir: server.dataDir, port: server.port });
      // The port opens before the server serves (and before the data dir is read back): wait until
      // it answers and lists the collection again. A condition with a generous deadline, not a
      // number of tries: a restart on a loaded 2-core machine can take tens of seconds.
      const deadline = Date.now() + 120_000;
      let back = false;
      while (!back && Date.now() < deadline) {
        const probe = new MilvusClient({ address: server.address, telemetry: { enabled: false }, logLevel: 'error' } as never);
        try {
          await probe.connectPromise;
          back = Boolean((await probe.hasCollection({ collection_name: 'released' })).value);
        } catch {
          /* not serving yet */
        } finally {
          await probe.closeConnection().catch(() => {});
        }
        if (!back) await new Promise((r) => setTimeout(r, 200));
      }
      expect(back, 'the restarted Milvus Lite lists the collection again').toBe(true);

      const r = await runCheck(health, { stores: { postgres: false, redis: false, milvus: { address: server.address } } });
      // Only this code's findings are asserted: on a loaded machine a `slow-store` warning may join
      // them, and no assertion may depend on how fast the machine is.
      const notLoaded = (res: typeof r) => res.findings.filter((f) => f.code === 'collection-not-loaded');
      expect(r.countsByCode['collection-not-loaded'], JSON.stringify([r.stats.milvus, r.error])).toBe(1);
      expect(notLoaded(r)[0].subject).toEqual({ store: 'milvus', object: 'released' });

      const missing = await runCheck(health, {
        options: { collections: ['released', 'never_created'] },
        stores: { postgres: false, redis: false, milvus: { address: server.address } },
      });
      expect(missing.status).toBe('pass'); // warnings only
      expect(notLoaded(missing).map((f) => f.message)).toEqual([
        'Milvus collection released is not-loaded: queries on it fail',
        'Milvus collection never_created does not exist',
      ]);
    } finally {
      await server.stop();
    }
  }, 420_000); // two server starts (each bounded at 120 s), the wait for the data (120 s), two health runs
});
