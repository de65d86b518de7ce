/**
 * "Does service come back?": retries one attempt (a query, a new connection and a command) until
 * it succeeds or the allowed time, plus a short margin, has passed. Used after the exhaustion and
 * slow phases of every store.
 */
import { performance } from 'node:perf_hooks';
import { errorLine } from '../../src/plugin.js';

export interface Recovery {
  ok: boolean;
  /** Time from the first attempt to the first success (or to giving up). */
  ms: number;
  lastError?: string;
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function recoverWithin(attempt: () => Promise<unknown>, withinMs: number, signal: AbortSignal): Promise<Recovery> {
  const t0 = performance.now();
  const giveUpAt = t0 + withinMs + 250;
  let lastError: string | undefined;
  for (;;) {
    try {
      await attempt();
      return { ok: true, ms: Math.round((performance.now() - t0) * 1000) / 1000 };
    } catch (err) {
      lastError = errorLine(err);
    }
    if (performance.now() >= giveUpAt || signal.aborted) return { ok: false, ms: Math.round(performance.now() - t0), lastError };
    await sleepMs(50);
  }
}
