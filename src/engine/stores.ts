/**
 * Connects stores lazily — only those a selected check needs — once each, and remembers how each
 * attempt went (StoreStatus) for the report and the health check.
 */
import { isCoded } from '../errors.js';
import type { ResolvedConfig } from '../config/load.js';
import { redact, secretsOf } from '../redact.js';
import { STORE_DESCRIPTORS, storeDescriptor, type ConnectedStores } from '../stores/registry.js';
import type { StoreKind, StoreStatus } from '../stores/types.js';

const CLOSE_WAIT_MS = 3_000;

type Connected = ConnectedStores;

export class StoreManager {
  readonly status: Record<StoreKind, StoreStatus>;
  /** The config's secrets (passwords, tokens): every line the engine keeps is redacted with them. */
  readonly secrets: readonly string[];
  private readonly pending = new Map<StoreKind, Promise<Connected[StoreKind] | undefined>>();
  private readonly open: Array<{ close(): Promise<void> }> = [];

  constructor(
    private readonly stores: ResolvedConfig['stores'],
    private readonly signal: AbortSignal,
  ) {
    this.secrets = secretsOf(stores);
    this.status = Object.fromEntries(
      STORE_DESCRIPTORS.map((d) => [d.kind, { kind: d.kind, configured: Boolean(stores[d.kind]) }]),
    ) as Record<StoreKind, StoreStatus>;
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
    if (this.signal.aborted) return undefined;
    // The descriptor loads its driver only now: a run that does not need a store never loads it.
    const connecting = storeDescriptor(kind).connect(this.stores[kind], { signal: this.signal }) as Promise<Connected[StoreKind]>;
    try {
      // A driver may wait out its connectTimeout despite the signal: Ctrl-C does not wait with it.
      const store = await untilAborted(connecting, this.signal);
      if (!store) {
        connecting.then((late) => late.close()).catch(() => {});
        return undefined;
      }
      this.open.push(store);
      status.connected = true;
      status.address = store.reader.address;
      status.connectMs = Math.round(performance.now() - t0);
      return store;
    } catch (err) {
      // Interrupted (Ctrl-C, --timeout) while connecting: the store is not known to be down, so it
      // is not reported unreachable; the checks waiting for it end cancelled.
      if (this.signal.aborted) return undefined;
      status.connected = false;
      status.connectMs = Math.round(performance.now() - t0);
      // The address of a store that is down is shown too: it is where to look.
      const address = (err as { address?: unknown })?.address;
      if (typeof address === 'string') status.address = redact(address, this.secrets);
      status.error = isCoded(err)
        ? { code: err.code, message: redact(err.message, this.secrets) }
        : { code: 'STORE_ERROR', message: redact(String((err as Error)?.message ?? err), this.secrets) };
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

/** The promise's value, or undefined as soon as the signal fires (the promise is left to settle). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
