/**
 * In-memory stores for server-free check tests: Redis and Milvus readers over a fixture.
 *
 * There is no in-memory Postgres on purpose: checks read Postgres with their own SQL (catalog
 * queries, COPY, cursors, snapshots), and a fake answering it would test the fake, not the check.
 * Postgres-reading checks are tested against the real server (test/integration/checks/).
 */
import { STORE_KINDS, type StoreHandles, type StoreKind, type StoreStatus } from '../../../src/plugin.js';
import { MemoryMilvus, type MemoryMilvusData } from './milvus.js';
import { MemoryRedis, type MemoryRedisData } from './redis.js';

export { MemoryMilvus, type MemoryCollection, type MemoryMilvusData } from './milvus.js';
export { MemoryRedis, globToRegExp, type MemoryRedisData, type MemoryRedisValue } from './redis.js';
export { compileFilter, UnsupportedFilterError } from './milvus-filter.js';

export interface MemoryFixture {
  redis?: MemoryRedisData;
  milvus?: MemoryMilvusData;
  /**
   * Stores that are configured but could not be reached, with the reason the engine would record
   * (e.g. `{ postgres: 'connect ECONNREFUSED 127.0.0.1:5432' }`): what health reports.
   */
  unreachable?: Partial<Record<StoreKind, string>>;
}

export interface MemoryStores {
  handles: StoreHandles;
  status: Record<StoreKind, StoreStatus>;
}

/** The handles and store statuses a check sees when its stores are the fixture's. */
export function memoryStores(fixture: MemoryFixture): MemoryStores {
  const handles: StoreHandles = {};
  if (fixture.redis) handles.redis = new MemoryRedis(fixture.redis);
  if (fixture.milvus) handles.milvus = new MemoryMilvus(fixture.milvus);
  const status = {} as Record<StoreKind, StoreStatus>;
  for (const kind of STORE_KINDS) {
    const down = fixture.unreachable?.[kind];
    const reader = handles[kind];
    status[kind] =
      down !== undefined
        ? { kind, configured: true, connected: false, address: `memory://${kind}`, error: { code: 'STORE_UNREACHABLE', message: down } }
        : reader
          ? { kind, configured: true, connected: true, address: reader.address, connectMs: 0 }
          : { kind, configured: false };
  }
  return { handles, status };
}
