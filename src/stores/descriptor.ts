/**
 * What dbcheck knows about one kind of store, in one object (like a kysely dialect): its kind and
 * label, the schema of its `stores.<kind>` config section, its defaults when there is no config
 * file, how to connect, how health probes it and how `dbcheck init` writes its section. The
 * engine, the config pipeline, the health check and init iterate the registry (registry.ts) of
 * these instead of naming kinds; adding a store is one folder plus its kind in types.ts and one
 * line in the registry (docs/adding-a-store.md).
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

/** What the health check measures on any store: a cheap round trip (timed for latency) and the server version. */
export interface StoreProbe<Reader> {
  ping(reader: Reader, signal: AbortSignal): Promise<unknown>;
  version(reader: Reader, signal: AbortSignal): Promise<string>;
}

/** A store's section as `dbcheck init` writes it: the inline mapping's fields, and a comment when a secret was used. */
export interface DescribedSection {
  /** `key: value` pairs in YAML flow style; a value that came from the user is written as a JSON string. */
  fields: string[];
  /** Written commented-out below the section (a secret is never written; its variable is named). */
  secretHint?: string;
}

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
  /** How the health check reaches the store; its store-specific limits (connections, memory, ...) are health's own. */
  probe: StoreProbe<NonNullable<StoreHandles[K]>>;
  /** The config section `dbcheck init` proposes for this store, from the config it connected with: no secrets. */
  describe(config: Config): DescribedSection;
}

/** A value from the user or a store, as YAML: a JSON string (valid YAML, control characters escaped). */
export const yamlText = (s: string): string => JSON.stringify(s);

/** Identity function that checks a descriptor's types where it is written. */
export function defineStore<K extends StoreKind, Section, Config>(
  d: StoreDescriptor<K, Section, Config>,
): StoreDescriptor<K, Section, Config> {
  return d;
}
