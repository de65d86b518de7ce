/**
 * Every registered store has every piece a store needs (docs/adding-a-store.md): a label, a strict
 * config schema its environment defaults pass, a health probe, and an init description that is
 * itself a valid section without secrets. A fourth store that lacks one fails here.
 */
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { basicProbe } from '../../checks/health/index.js';
import type { PostgresReader, StoreHandles, StoreKind } from '../../src/plugin.js';
import { STORE_DESCRIPTORS, storeDescriptor, storeLabel, storeProbe } from '../../src/stores/registry.js';
import { STORE_KINDS } from '../../src/stores/types.js';
import { MemoryMilvus, MemoryRedis } from '../helpers/memory-stores/index.js';

/** A reader per kind for the probe (a kind added to StoreKind without one does not compile). */
const READERS: { [K in StoreKind]: () => NonNullable<StoreHandles[K]> } = {
  // No in-memory Postgres (memory-stores/index.ts says why): just what the probe calls.
  postgres: () => ({ query: async () => ({ rows: [], rowCount: 0 }), info: { version: '16.4' } }) as unknown as PostgresReader,
  redis: () => new MemoryRedis({ keys: {} }),
  milvus: () => new MemoryMilvus({ collections: {} }),
};

/** A section with a secret in every key a store uses for one, as the config file would give it. */
const SECRET = 's3cret-Pa55';
const WITH_SECRETS: Record<StoreKind, Record<string, unknown>> = {
  postgres: { host: 'db.internal', user: 'app', password: SECRET, database: 'app' },
  redis: { url: `redis://:${SECRET}@cache.internal:6380/2` },
  milvus: { address: `https://root:${SECRET}@vectors.internal:19530`, token: SECRET },
};

const envRead = (env: Record<string, string | undefined>) => (_key: string, name: string, fallback?: unknown) => env[name] ?? fallback;

describe('store registry', () => {
  it('has one descriptor per kind, in STORE_KINDS order, with a distinct label', () => {
    expect(STORE_DESCRIPTORS.map((d) => d.kind)).toEqual([...STORE_KINDS]);
    for (const kind of STORE_KINDS) expect(storeDescriptor(kind).kind).toBe(kind);
    const labels = STORE_KINDS.map(storeLabel);
    expect(new Set(labels).size).toBe(STORE_KINDS.length);
    for (const label of labels) expect(label).toMatch(/^[A-Z]\w+$/);
  });

  describe.each(STORE_KINDS)('%s', (kind) => {
    const d = storeDescriptor(kind);

    it('has a strict config schema that its no-file defaults pass', () => {
      const section = d.environmentDefaults({}, envRead({}));
      const parsed = d.configSchema.safeParse(section);
      expect(parsed.error?.issues ?? []).toEqual([]);
      expect(d.configSchema.safeParse({ ...section, noSuchKey: 1 }).success).toBe(false);
      expect(() => d.toConfig(parsed.data)).not.toThrow();
    });

    it('has a health probe: a round trip and the server version', async () => {
      const reader = READERS[kind]();
      const probe = storeProbe(kind);
      const signal = new AbortController().signal;
      await probe.ping(reader as never, signal); // a rejection fails the test
      await expect(probe.version(reader as never, signal)).resolves.toMatch(/\d/);
    });

    it('describes its section for `dbcheck init` as a valid section, never with the secret', () => {
      const config = d.toConfig(d.configSchema.parse(WITH_SECRETS[kind]));
      const { fields, secretHint } = d.describe(config);
      const text = `{ ${fields.join(', ')} }`;
      expect(text).not.toContain(SECRET);
      expect(d.configSchema.safeParse(parseYaml(text)).error?.issues ?? []).toEqual([]);
      // A secret was used: the proposal names its variable in a comment instead.
      expect(secretHint).toMatch(/\$\{[A-Z_]+\}/);
      expect(secretHint).not.toContain(SECRET);
      const plain = d.describe(d.toConfig(d.configSchema.parse(d.environmentDefaults({}, envRead({})))));
      expect(plain.secretHint).toBeUndefined();
    });
  });
});

type HealthContext = Parameters<typeof basicProbe>[0];

describe('health on a store whose limits it does not know', () => {
  it('reports the version and the median of latencySamples round trips through the probe, and no capacity', async () => {
    const redis = new MemoryRedis({ keys: {}, info: { redis_version: '9.9.9' } });
    const ctx = { options: { latencySamples: 3 }, signal: new AbortController().signal, stats: {} } as unknown as HealthContext;
    const row = await basicProbe(ctx, 'redis', redis);
    expect(row).toMatchObject({ store: 'redis', address: redis.address, version: '9.9.9', capacity: '', state: 'up' });
    expect(row.latencyMs).toBeGreaterThanOrEqual(0);
    expect(redis.calls.filter((c) => c === 'ping')).toHaveLength(3);
    expect(ctx.stats.redis).toEqual({ version: '9.9.9', latencyMs: row.latencyMs });
  });
});
