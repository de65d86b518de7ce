/**
 * A budget of bytes shared by every page in flight: the cache values held in memory at once stay
 * below it whatever the value sizes (2,500 values of 1 MB in pages of 1,000 keys would otherwise be
 * gigabytes). A reader acquires the bytes of the values it is about to read and releases them once
 * they are judged. Waiters are served in order, so a large read is not starved by small ones.
 *
 * Deadlock-free as long as each reader holds at most one grant at a time and asks for no more than
 * the whole budget (the caller reports larger values instead of reading them).
 */
import { CheckError } from '../../src/plugin.js';

interface Waiter {
  bytes: number;
  grant(): void;
}

export class ByteBudget {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly limit: number) {}

  /** Resolves once `bytes` fit in the budget (at once if they do now); rejects when `signal` aborts. */
  acquire(bytes: number, signal: AbortSignal): Promise<void> {
    if (bytes > this.limit) throw new Error(`internal: asked for ${bytes} bytes of a ${this.limit}-byte budget`);
    if (this.waiters.length === 0 && this.used + bytes <= this.limit) {
      this.used += bytes;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(new CheckError('CANCELLED', 'cancelled while waiting for memory budget'));
        this.wake(); // the next waiter may fit now that this one is gone
      };
      const waiter: Waiter = {
        bytes,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.used -= bytes;
    this.wake();
  }

  private wake(): void {
    while (this.waiters.length && this.used + this.waiters[0].bytes <= this.limit) {
      const w = this.waiters.shift()!;
      this.used += w.bytes;
      w.grant();
    }
  }
}
