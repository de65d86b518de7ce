/**
 * The stores dbcheck knows, one descriptor each (descriptor.ts). Everything that used to name the
 * kinds (config schema and defaults, the store manager, the report, health's version and latency,
 * init's stores: section) iterates this list. The mapped type makes a kind in StoreKind without a
 * descriptor (or under the wrong key) a compile error.
 */
import type { StoreDescriptor, StoreProbe } from './descriptor.js';
import { milvus } from './milvus/descriptor.js';
import { postgres } from './postgres/descriptor.js';
import { redis } from './redis/descriptor.js';
import { STORE_KINDS, type StoreHandles, type StoreKind } from './types.js';

const BY_KIND = { postgres, redis, milvus } satisfies { [K in StoreKind]: { kind: K } };

/** The descriptors, in STORE_KINDS order (the order of reports and `stores.*` messages). */
export const STORE_DESCRIPTORS: readonly StoreDescriptor[] = STORE_KINDS.map((k) => BY_KIND[k]);

/** The validated config of each kind, as its connector takes it. */
export type StoreConfigs = { [K in StoreKind]?: ReturnType<(typeof BY_KIND)[K]['toConfig']> };

/** The connected store of each kind, as its connector returns it. */
export type ConnectedStores = { [K in StoreKind]: Awaited<ReturnType<(typeof BY_KIND)[K]['connect']>> };

export function storeDescriptor(kind: StoreKind): StoreDescriptor {
  return BY_KIND[kind];
}

/** How messages and report titles name the store ("Postgres"). */
export function storeLabel(kind: StoreKind): string {
  return BY_KIND[kind].label;
}

/** The round trip and version query health times on a store of this kind (what a check may call on a reader). */
export function storeProbe<K extends StoreKind>(kind: K): StoreProbe<NonNullable<StoreHandles[K]>> {
  return BY_KIND[kind].probe as unknown as StoreProbe<NonNullable<StoreHandles[K]>>;
}
