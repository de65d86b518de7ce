/**
 * A pool-stress load thread that fails on purpose, for test/integration/checks/pool-stress-thread-faults.test.ts
 * (passed as `threadModule` to runLoadInThreads). Thread 1 opens its load pool like a real thread,
 * says 'ready', and on 'go' runs a few queries and then faults as its URL says
 * (`?fault=crash`: an uncaught exception; `?fault=hang`: a busy loop that never yields, so it can
 * neither answer 'stop' nor close its pool). Every other thread is the real one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openPostgresLoadPool } from '../../src/load.js';
import type { LoadThreadData } from '../../checks/pool-stress/postgres-load-thread.js';

const data = workerData as LoadThreadData;
const fault = new URL(import.meta.url).searchParams.get('fault');

if (data.thread !== 1) {
  await import('../../checks/pool-stress/postgres-load-thread.js');
} else if (parentPort) {
  const port = parentPort;
  const pool = openPostgresLoadPool(data.target);
  await Promise.all(Array.from({ length: data.target.options.max }, () => pool.query(data.query, data.params)));
  port.on('message', async (m: { type: string }) => {
    if (m.type !== 'go') return;
    // Mid-load: the connections are open and busy when the thread fails.
    for (let i = 0; i < 20; i++) await pool.query(data.query, data.params);
    if (fault === 'crash') throw new Error('load thread fault: crash');
    const spinUntil = Date.now() + 60_000; // bounded, but far past any deadline of the test
    while (Date.now() < spinUntil) {}
  });
  port.postMessage({ type: 'ready' });
}
