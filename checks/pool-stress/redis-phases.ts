/**
 * The Redis phases of pool-stress: burst and sustained load of one read command, spread over a few
 * load connections the engine opens (read commands only), then (opt-in) exhaustion of the server's
 * maxclients with recovery (redis-exhaustion.ts). Redis has no read command that sleeps, so the
 * slow phase is Postgres-only.
 */
import type { RedisLoadConnection, RedisReadCommand, RedisReader } from '../../src/plugin.js';
import type { PoolStressContext, StorePhaseStats } from './stats.js';
import { phaseStats, runLoad, type LoadOperation } from './load-runner.js';
import type { RedisLoadOptions } from './options.js';
import { reportBreaches, type PhaseRow } from './postgres-phases.js';
import { redisExhaustionPhase } from './redis-exhaustion.js';

async function connectedClients(reader: RedisReader): Promise<number | null> {
  try {
    return Number((await reader.info('clients')).connected_clients ?? NaN);
  } catch {
    return null;
  }
}

export async function runRedisPhases(ctx: PoolStressContext, reader: RedisReader, o: RedisLoadOptions, label: string): Promise<PhaseRow[]> {
  const rows: PhaseRow[] = [];
  const stats: StorePhaseStats = { connections: o.connections };
  ctx.stats.redis = stats;
  stats.connectedClientsBefore = await connectedClients(reader);
  const [name, ...args] = o.command;
  const cmd = String(name).toLowerCase() as RedisReadCommand;
  const connectionName = `dbcheck-pool-stress-${label}`;
  const conns: RedisLoadConnection[] = [];
  let duringPeak = 0;

  try {
    for (let i = 0; i < o.connections && !ctx.signal.aborted; i++) {
      conns.push(await reader.createLoadConnection({ commandTimeoutMs: o.commandTimeout, connectionName }));
    }
    stats.connectionsOpened = conns.length;
    // Workers share connections round-robin, as an app's requests share its client(s).
    const op: LoadOperation = async (worker) => {
      await conns[worker % conns.length].command(cmd, ...args);
    };
    const sampleClients = async () => {
      const n = await connectedClients(reader);
      if (n !== null && n > duringPeak) duringPeak = n;
    };

    if (o.burst.enabled && !ctx.signal.aborted && conns.length) {
      ctx.progress({ done: 0, note: `redis burst: ${o.burst.concurrency} ${cmd.toUpperCase()} at once over ${conns.length} connections` });
      const m = await runLoad(
        { workers: o.burst.concurrency, maxOps: o.burst.concurrency, durationMs: o.commandTimeout + 1_000, signal: ctx.signal },
        op,
      );
      const s = phaseStats(m);
      stats.burst = s;
      rows.push({ phase: 'burst', stats: s, verdict: reportBreaches(ctx, 'redis', 'burst', s, o.burst.thresholds) });
    }

    if (o.sustained.enabled && !ctx.signal.aborted && conns.length) {
      const { workers, duration, maxOps } = o.sustained;
      ctx.progress({ done: 0, note: `redis sustained: ${workers} workers for ${duration / 1000}s (at most ${maxOps} commands)` });
      // Look at the server side once the load is running.
      const sampler = setTimeout(() => void sampleClients(), Math.min(200, duration / 2));
      const m = await runLoad({ workers, maxOps, durationMs: duration, signal: ctx.signal }, op);
      clearTimeout(sampler);
      const s = phaseStats(m);
      stats.sustained = { ...s, configuredDurationMs: duration, configuredMaxOps: maxOps };
      rows.push({ phase: 'sustained', stats: s, verdict: reportBreaches(ctx, 'redis', 'sustained', s, o.sustained.thresholds) });
    }
  } finally {
    await Promise.allSettled(conns.map((c) => c.close()));
  }
  // After the load connections are closed, so that they do not count against maxclients.
  if (o.exhaustion.enabled && !ctx.signal.aborted) {
    rows.push(await redisExhaustionPhase(ctx, reader, o, connectionName, stats));
  }
  // connected_clients counts every client of the server (other apps too): shown, not judged.
  stats.connectedClientsDuring = duringPeak || null;
  stats.connectedClientsAfter = await connectedClients(reader);
  return rows;
}
