/**
 * Redis exhaustion: Redis has no client-side pool, so the limit that runs out at deploy time is the
 * server's `maxclients`. This phase opens connections of this run, one at a time, until the server
 * refuses one; judges that the refusal came promptly (a client left hanging instead would hang the
 * app's requests); releases everything at once; and shows a new connection and the command work
 * again within `recoveryWithin`. It never opens more than `exhaustion.maxConnections`: a server
 * with more free slots than that is not exhausted, and the phase says so (skipped, no finding).
 */
import { performance } from 'node:perf_hooks';
import type { CheckContext, RedisLoadConnection, RedisReadCommand, RedisReader } from '../../src/plugin.js';
import { classifyLoadError } from './error-class.js';
import type { RedisLoadOptions } from './options.js';
import type { PhaseRow } from './postgres-phases.js';
import { recoverWithin } from './recovery.js';
import { errorLine } from '../../src/plugin.js';

type Attempt = { kind: 'opened'; conn: RedisLoadConnection } | { kind: 'refused'; err: unknown } | { kind: 'hung' };

/** One more connection, raced against `withinMs`; a late one is closed as soon as it arrives. */
async function openOne(reader: RedisReader, o: RedisLoadOptions, connectionName: string, withinMs: number): Promise<Attempt> {
  const pending = reader.createLoadConnection({ commandTimeoutMs: o.commandTimeout, connectionName });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    pending.then(
      (conn) => ({ kind: 'opened' as const, conn }),
      (err: unknown) => ({ kind: 'refused' as const, err }),
    ),
    new Promise<{ kind: 'hung' }>((r) => (timer = setTimeout(() => r({ kind: 'hung' }), withinMs))),
  ]);
  clearTimeout(timer);
  if (outcome.kind === 'hung')
    pending.then(
      (c) => c.close(),
      () => {},
    );
  return outcome;
}

export async function redisExhaustionPhase(
  ctx: CheckContext,
  reader: RedisReader,
  o: RedisLoadOptions,
  connectionName: string,
  stats: Record<string, unknown>,
): Promise<PhaseRow> {
  const { maxConnections, refusedWithin, recoveryWithin } = o.exhaustion;
  const info = await reader.info('clients');
  const maxClients = Number(info.maxclients);
  const connectedBefore = Number(info.connected_clients ?? NaN);
  const result: Record<string, unknown> = { maxClients: Number.isFinite(maxClients) ? maxClients : null, connectedBefore, held: 0 };
  stats.exhaustion = result;
  if (!Number.isFinite(maxClients) || !Number.isFinite(connectedBefore)) {
    result.skipped = 'maxclients not reported';
    return { phase: 'exhaustion', verdict: 'skipped', note: 'the server does not report maxclients' };
  }
  // One connection past the free slots must be refused.
  const needed = maxClients - connectedBefore + 1;
  if (needed > maxConnections) {
    result.skipped = 'too many free slots';
    return {
      phase: 'exhaustion',
      verdict: 'skipped',
      note: `reaching maxclients ${maxClients} needs ${needed} connections; exhaustion.maxConnections is ${maxConnections}`,
    };
  }

  ctx.progress({ done: 0, note: `redis exhaustion: opening up to ${maxConnections} connections against maxclients ${maxClients}` });
  const held: RedisLoadConnection[] = [];
  const problems: string[] = [];
  let attempt: Attempt | undefined;
  let waitedMs = 0;
  /** connected_clients when a connection was refused: a refusal proves the limit only if it is full. */
  let connectedAtRefusal: number | null = null;
  try {
    while (held.length < maxConnections && !ctx.signal.aborted) {
      const t0 = performance.now();
      attempt = await openOne(reader, o, connectionName, refusedWithin);
      waitedMs = Math.round(performance.now() - t0);
      if (attempt.kind !== 'opened') break;
      held.push(attempt.conn);
    }
    if (attempt?.kind === 'refused') {
      connectedAtRefusal = await reader.info('clients').then(
        (i) => Number(i.connected_clients ?? NaN),
        () => null,
      );
    }
  } finally {
    result.held = held.length;
    // Release at once: while these are held, the server refuses everyone else too.
    await Promise.allSettled(held.splice(0).map((c) => c.close()));
  }
  if (ctx.signal.aborted) return { phase: 'exhaustion', verdict: 'cancelled', note: `cancelled after holding ${result.held}` };

  const heldCount = Number(result.held);
  let what: string;
  if (attempt?.kind === 'refused' && !(connectedAtRefusal !== null && connectedAtRefusal >= maxClients)) {
    // Refused while the server still had room: a failure of its own (auth, network), not the limit.
    const message = errorLine(attempt.err);
    result.extraConnection = 'failed';
    result.connectedAtFailure = connectedAtRefusal;
    ctx.report({
      code: 'errors-during-load',
      subject: { store: 'redis', object: 'exhaustion' },
      data: {
        store: 'redis',
        phase: 'exhaustion',
        errors: 1,
        ops: heldCount + 1,
        limit: 0,
        errorsByClass: { [classifyLoadError(attempt.err)]: 1 },
        sampleErrors: [message],
      },
    });
    problems.push('1 errors');
    what = `connection ${heldCount + 1} failed with ${connectedAtRefusal ?? '?'} of ${maxClients} clients connected: ${message}`;
  } else if (attempt?.kind === 'refused') {
    result.extraConnection = 'refused';
    result.connectedAtRefusal = connectedAtRefusal;
    result.extraConnectionWaitedMs = waitedMs;
    result.extraConnectionErrorClass = classifyLoadError(attempt.err);
    result.extraConnectionError = errorLine(attempt.err);
    what = `connection ${heldCount + 1} refused after ${waitedMs}ms (${result.extraConnectionErrorClass})`;
  } else if (attempt?.kind === 'hung') {
    result.extraConnection = 'hung';
    ctx.report({
      code: 'exhaustion-hang',
      subject: { store: 'redis', object: 'exhaustion' },
      data: { store: 'redis', outcome: 'hung', waitedMs, refusedWithinMs: refusedWithin, maxClients, held: heldCount },
    });
    problems.push(`connection hung > ${waitedMs}ms`);
    what = `connection ${heldCount + 1} neither opened nor refused within ${refusedWithin}ms`;
  } else if (heldCount + 1 > maxClients) {
    // Ours alone (plus the run's own connection) exceed maxclients: the limit is not enforced.
    result.extraConnection = 'acquired';
    ctx.report({
      code: 'exhaustion-hang',
      subject: { store: 'redis', object: 'exhaustion' },
      data: { store: 'redis', outcome: 'acquired', waitedMs, refusedWithinMs: refusedWithin, maxClients, held: heldCount },
    });
    problems.push('maxclients not enforced');
    what = `${heldCount} connections opened, more than maxclients ${maxClients}`;
  } else {
    // Other clients left while we opened ours: the limit was not reached, which proves nothing.
    result.extraConnection = 'not-reached';
    what = `maxclients not reached within ${maxConnections} connections (other clients left meanwhile)`;
  }

  const [name, ...args] = o.command;
  const recovery = await recoverWithin(
    async () => {
      const conn = await reader.createLoadConnection({ commandTimeoutMs: o.commandTimeout, connectionName });
      try {
        await conn.command(String(name).toLowerCase() as RedisReadCommand, ...args);
      } finally {
        await conn.close();
      }
    },
    recoveryWithin,
    ctx.signal,
  );
  result.recoveryMs = recovery.ms;
  if (!ctx.signal.aborted && (!recovery.ok || recovery.ms > recoveryWithin)) {
    ctx.report({
      code: 'recovery-failed',
      subject: { store: 'redis', object: 'exhaustion' },
      data: {
        store: 'redis',
        phase: 'exhaustion',
        recoveredAfterMs: recovery.ok ? recovery.ms : null,
        withinMs: recoveryWithin,
        lastError: recovery.lastError,
      },
    });
    problems.push('no recovery');
  }
  const verdict = problems.length ? problems.join(', ') : result.extraConnection === 'not-reached' ? 'inconclusive' : 'pass';
  return {
    phase: 'exhaustion',
    verdict,
    note: `held ${heldCount}; ${what}; ${recovery.ok ? `recovered in ${recovery.ms}ms` : 'did not recover'}`,
  };
}
