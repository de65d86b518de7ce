/**
 * What dbcheck knows about one kind of store, in one object (like a kysely dialect): its kind and
 * label, the schema of its `stores.<kind>` config section, its defaults when there is no config
 * file, and how to connect. The engine, the config pipeline and the report iterate the registry
 * (registry.ts) of these instead of naming kinds; adding a store is one folder plus the few lines
 * the compiler then asks for (its kind, the registry, a health probe: docs/adding-a-store.md).
 */
import type { z } from 'zod';
import type { StoreHandles, StoreKind } from './types.js';

/** A connected store: the read-only handle checks get, and how to close it. */
export interface ConnectedStore<K extends StoreKind = StoreKind> {
  reader: NonNullable<StoreHandles[K]>;
  /** Only stores that can run a rolled-back transaction (checks with access: 'rollback-txn'). */
  rollback?: unknown;
  close(): Promise<void>;
}

/** Reads one environment variable for a default; `key` is the config path it fills, so an error names the variable. */
export type EnvReader = (key: string, name: string, fallback?: unknown) => unknown;

export interface StoreDescriptor<K extends StoreKind = StoreKind, Section = unknown, Config = unknown> {
  kind: K;
  /** How messages name the store ("Postgres at postgres://…: …", see src/errors.ts storeError). */
  label: string;
  /** The `stores.<kind>` section of the config file (strict: an unknown key is a config error). */
  configSchema: z.ZodType<Section>;
  /** The validated section as the connector takes it (durations in ms under the connector's names). */
  toConfig(section: Section): Config;
  /**
   * The section to use when there is no config file: local defaults, overridden by the store's
   * usual variables (PGHOST, REDIS_URL, ...). It goes through configSchema like a file's section.
   */
  environmentDefaults(env: NodeJS.ProcessEnv, read: EnvReader): Record<string, unknown>;
  /** Connects (the driver module is loaded only here, so a run that does not need the store never loads it). */
  connect(config: Config, opts: { signal?: AbortSignal }): Promise<ConnectedStore<K>>;
}

/** Identity function that checks a descriptor's types where it is written. */
export function defineStore<K extends StoreKind, Section, Config>(
  d: StoreDescriptor<K, Section, Config>,
): StoreDescriptor<K, Section, Config> {
  return d;
}
