/**
 * Connects stores lazily — only those a selected check needs — once each, and remembers how each
 * attempt went (StoreStatus) for the report and the health check.
 */
import { isCoded } from '../errors.js';
import type { ResolvedConfig } from '../config/load.js';
import type { MilvusStore } from '../stores/milvus/connector.js';
import type { PostgresStore } from '../stores/postgres/connector.js';
import type { RedisStore } from '../stores/redis/connector.js';
import type { StoreKind, StoreStatus } from '../stores/types.js';
import { redact } from '../redact.js';

const CLOSE_WAIT_MS = 3_000;

type Connected = { postgres: PostgresStore; redis: RedisStore; milvus: MilvusStore };

export class StoreManager {
  readonly status: Record<StoreKind, StoreStatus>;
  private readonly pending = new Map<StoreKind, Promise<Connected[StoreKind] | undefined>>();
  private readonly open: Array<{ close(): Promise<void> }> = [];

  constructor(
    private readonly stores: ResolvedConfig['stores'],
    private readonly signal: AbortSignal,
  ) {
    this.status = {
      postgres: { kind: 'postgres', configured: Boolean(stores.postgres) },
      redis: { kind: 'redis', configured: Boolean(stores.redis) },
      milvus: { kind: 'milvus', configured: Boolean(stores.milvus) },
    };
  }

  configured(kind: StoreKind): boolean {
    return this.status[kind].configured;
  }

  /** Connects (once) and returns the store, or undefined when it is not configured or failed. */
  get<K extends StoreKind>(kind: K): Promise<Connected[K] | undefined> {
    let p = this.pending.get(kind);
    if (!p) {
      p = this.connect(kind);
      this.pending.set(kind, p);
    }
    return p as Promise<Connected[K] | undefined>;
  }

  private async connect(kind: StoreKind): Promise<Connected[StoreKind] | undefined> {
    const status = this.status[kind];
    if (!status.configured) return undefined;
    const t0 = performance.now();
    try {
      let store: Connected[StoreKind];
      if (kind === 'postgres') {
        const { connectPostgres } = await import('../stores/postgres/connector.js');
        store = await connectPostgres(this.stores.postgres!, { signal: this.signal });
      } else if (kind === 'redis') {
        const { connectRedis } = await import('../stores/redis/connector.js');
        store = await connectRedis(this.stores.redis!, { signal: this.signal });
      } else {
        // The Milvus SDK is heavy (gRPC, protobuf): load it only when Milvus is needed.
        const { connectMilvus } = await import('../stores/milvus/connector.js');
        store = await connectMilvus(this.stores.milvus!, { signal: this.signal });
      }
      this.open.push(store);
      status.connected = true;
      status.address = store.reader.address;
      status.connectMs = Math.round(performance.now() - t0);
      return store;
    } catch (err) {
      status.connected = false;
      status.connectMs = Math.round(performance.now() - t0);
      // The address of a store that is down is shown too: it is where to look.
      const address = (err as { address?: unknown })?.address;
      if (typeof address === 'string') status.address = redact(address);
      status.error = isCoded(err)
        ? { code: err.code, message: redact(err.message) }
        : { code: 'STORE_ERROR', message: redact(String((err as Error)?.message ?? err)) };
      return undefined;
    }
  }

  /** Closes every store; a connection stuck on a frozen network gets CLOSE_WAIT_MS, not forever. */
  async closeAll(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
    });
    await Promise.race([Promise.allSettled(this.open.splice(0).map((s) => s.close())), giveUp]);
    clearTimeout(timer);
  }
}
