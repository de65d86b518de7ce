/**
 * A load thread of the Postgres sustained phase (node:worker_threads). Opens its own load pool from
 * the target the main thread sent (through the public 'dbcheck/load' entry, as a plugin would),
 * warms its connections, says 'ready', runs its share of the load on 'go', posts its metrics
 * (histograms as snapshots, for an exact merge) and closes its pool. 'stop' ends the load early.
 * See postgres-threads.ts for the main thread's side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openPostgresLoadPool, type PostgresLoadTarget } from '../../src/load.js';
import { metricsToWire, runLoad } from './load-runner.js';
import { queryOperation } from './postgres-operation.js';

/** What the main thread hands each load thread (workerData). */
export interface LoadThreadData {
  /** 1, 2, ...: which thread this is. */
  thread: number;
  target: PostgresLoadTarget;
  /** Concurrent loops of this thread. */
  clients: number;
  /** This thread's share of the phase's operation cap. */
  maxOps: number;
  durationMs: number;
  query: string;
  params: unknown[];
  sampleEvery: number;
}

export type LoadThreadMessage =
  | { type: 'ready' }
  | { type: 'done'; metrics: ReturnType<typeof metricsToWire> }
  | { type: 'failed'; error: string };

const port = parentPort;
if (port) {
  const data = workerData as LoadThreadData;
  const post = (m: LoadThreadMessage) => port.postMessage(m);
  const stop = new AbortController();
  let go: () => void;
  const started = new Promise<void>((r) => (go = r));
  port.on('message', (m: { type: string }) => {
    if (m.type === 'go') go();
    if (m.type === 'stop') {
      stop.abort();
      go();
    }
  });

  const pool = openPostgresLoadPool(data.target);
  const op = queryOperation(pool, data.query, data.params, data.sampleEvery);
  (async () => {
    try {
      // Connections are opened (and the statement prepared) before the timed load, as on the main
      // thread, where the burst phase has already opened them. A failure here shows in the load.
      const warm = Math.min(data.clients, data.target.options.max);
      await Promise.allSettled(Array.from({ length: warm }, () => pool.query(data.query, data.params)));
      post({ type: 'ready' });
      await started;
      const m = await runLoad({ workers: data.clients, maxOps: data.maxOps, durationMs: data.durationMs, signal: stop.signal }, op);
      post({ type: 'done', metrics: metricsToWire(m) });
    } catch (err) {
      post({ type: 'failed', error: String((err as Error)?.message ?? err).split('\n')[0] });
    } finally {
      await pool.close();
      port.close();
    }
  })();
}
