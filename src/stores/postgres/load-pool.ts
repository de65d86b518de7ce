/**
 * pool-stress's load pool: the connections that generate load, kept apart from the audits' pool.
 *
 * Why not pg's Pool: node-postgres spends about twice the client CPU per query of this path (Query
 * objects, events per message, pool bookkeeping; docs/performance.md has the numbers), and on a
 * small machine that CPU is taken from the server under test. So each load connection is opened by the driver's pg.Client
 * (TLS, authentication, session options: everything node-postgres does well) and then its socket is
 * taken over: a query is one write (Bind, Execute, Sync; Parse and Describe too the first time) and
 * the replies are decoded with pg-protocol's parser, the one node-postgres uses. One query in flight
 * per connection, as pgbench: no pipelining.
 *
 * Promises kept (test/integration/checks/pool-stress*.test.ts): read-only sessions with
 * statement_timeout and application_name (the session options of session.ts); with `prepare`,
 * named statements (dbcheck_load_1, _2, ...) parsed once per connection, array rows; a client-side
 * deadline (statement_timeout + grace) on every query, past which the connection is destroyed;
 * at most `max` connections; an acquire that waits at most `acquireTimeoutMs`; close() ends them all.
 */
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import type {
  BackendMessage,
  CommandCompleteMessage,
  DataRowMessage,
  DatabaseError,
  Field,
  RowDescriptionMessage,
} from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { PostgresLoadPool, PostgresLoadTarget, QueryResult } from '../types.js';
import { pgDriver, type PostgresDriver } from './driver.js';
import { clientConfig, DEFAULT_DEADLINE_GRACE_MS, DeadlineError, type PostgresStoreConfig } from './session.js';

type Row = unknown[] | Record<string, unknown>;
type ValueParser = (text: string) => unknown;

/** How node-postgres turns a parameter into text (dates, arrays, JSON, Buffers), so that params mean what they meant. */
const prepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;
const bindMessage = (statement: string, params: unknown[] | undefined) =>
  serialize.bind({ statement, values: params ?? [], valueMapper: prepareValue });
const EXECUTE_SYNC = Buffer.concat([serialize.execute(), serialize.sync()]);
const TERMINATE = serialize.end();

/** The columns of a statement's result, with the text parser of each column's type. */
interface ResultShape {
  names: string[];
  parsers: ValueParser[];
}

function shapeOf(fields: Field[]): ResultShape {
  return { names: fields.map((f) => f.name), parsers: fields.map((f) => pg.types.getTypeParser(f.dataTypeID, 'text') as ValueParser) };
}

const isPrimitive = (v: unknown) => v === null || v === undefined || (typeof v !== 'object' && typeof v !== 'function');
function sameValues(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The query waiting for its ReadyForQuery on a connection. */
interface InFlight {
  shape?: ResultShape;
  arrayRows: boolean;
  rows: Row[];
  rowCount: number;
  error?: Error;
  /** performance.now() when sent: the deadline sweep measures from it. */
  sentAt: number;
  /** The statement to remember as parsed on this connection once ParseComplete arrives. */
  parsing?: { sql: string; name: string };
  resolve(r: QueryResult<Row>): void;
  reject(err: Error): void;
  /** Called when the connection is free again, before the caller hears the outcome. */
  settled?: (c: LoadConnection) => void;
}

/** One server session: handshake by pg.Client, queries written and decoded here. */
class LoadConnection {
  /** Why the connection can no longer be used (closed, destroyed, deadline), once it cannot. */
  dead?: Error;
  inFlight?: InFlight;
  private readonly socket: Duplex;
  private readonly parser = new Parser();
  /** Statements parsed on this session: SQL text → name and result shape. */
  private readonly statements = new Map<string, { name: string; shape?: ResultShape }>();
  private lastExecute?: { statement: string; params: unknown[]; bytes: Buffer };

  constructor(
    client: pg.Client,
    private readonly onDead: (c: LoadConnection) => void,
  ) {
    // pg keeps the socket here; from now on its parser must not see the replies (they are ours).
    const socket = (client as unknown as { connection?: { stream?: Duplex } }).connection?.stream;
    // node-postgres internals: if a future pg keeps its socket elsewhere, say so instead of a TypeError.
    if (typeof socket?.removeAllListeners !== 'function')
      throw new Error('load pool: this node-postgres version does not expose its socket as client.connection.stream (pg 8 does)');
    this.socket = socket;
    this.socket.removeAllListeners('data');
    this.socket.on('data', (buf: Buffer) => this.parser.parse(buf, (m) => this.onMessage(m)));
    this.socket.on('close', () => this.fail(new Error('Connection terminated unexpectedly')));
    client.on('error', () => {}); // socket errors end in 'close' above; without a listener Node would crash
  }

  /**
   * Sends one query: as the named statement `statementName`, or unnamed (object rows) if undefined.
   * `settled` is told when the connection is free again (the pool's release, without a promise of its own).
   */
  send(
    sql: string,
    params: unknown[] | undefined,
    statementName: string | undefined,
    settled?: (c: LoadConnection) => void,
  ): Promise<QueryResult<Row>> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const q: InFlight = {
        arrayRows: statementName !== undefined,
        rows: [],
        rowCount: 0,
        sentAt: performance.now(),
        resolve,
        reject,
        settled,
      };
      let out: Buffer;
      try {
        out = this.messageFor(sql, params, statementName, q);
      } catch (err) {
        // A parameter that cannot be serialised fails before anything is sent: the connection is free.
        settled?.(this);
        reject(err as Error);
        return;
      }
      this.inFlight = q;
      this.socket.write(out);
    });
  }

  /** The bytes of one query: Bind/Execute/Sync, with Parse (and Describe) when the session has not parsed it. */
  private messageFor(sql: string, params: unknown[] | undefined, statementName: string | undefined, q: InFlight): Buffer {
    const known = statementName === undefined ? undefined : this.statements.get(sql);
    if (known && statementName !== undefined) {
      q.shape = known.shape;
      return this.executeFor(statementName, params ?? []);
    }
    if (statementName !== undefined) {
      // First use on this session: parse it under its name and learn its columns in the same round trip.
      q.parsing = { sql, name: statementName };
      return Buffer.concat([
        serialize.parse({ name: statementName, text: sql }),
        serialize.describe({ type: 'S', name: statementName }),
        bindMessage(statementName, params),
        EXECUTE_SYNC,
      ]);
    }
    return Buffer.concat([serialize.parse({ text: sql }), bindMessage('', params), serialize.describe({ type: 'P' }), EXECUTE_SYNC]);
  }

  /**
   * Bind, Execute, Sync for a statement parsed on this session. A load sends one statement with the
   * same params again and again: while they are the same primitive values, the last message is sent
   * again rather than serialised anew.
   */
  private executeFor(statement: string, params: unknown[]): Buffer {
    const last = this.lastExecute;
    if (last && last.statement === statement && sameValues(last.params, params)) return last.bytes;
    const bytes = Buffer.concat([bindMessage(statement, params), EXECUTE_SYNC]);
    this.lastExecute = params.every(isPrimitive) ? { statement, params: [...params], bytes } : undefined;
    return bytes;
  }

  private onMessage(m: BackendMessage): void {
    const q = this.inFlight;
    if (!q) return; // notices, parameter changes between queries
    switch (m.name) {
      case 'dataRow': {
        const { fields } = m as DataRowMessage;
        const shape = q.shape;
        if (!shape) break;
        if (q.arrayRows) {
          const row = new Array(fields.length);
          for (let i = 0; i < fields.length; i++) row[i] = fields[i] === null ? null : shape.parsers[i](fields[i]);
          q.rows.push(row);
        } else {
          const row: Record<string, unknown> = {};
          for (let i = 0; i < fields.length; i++) row[shape.names[i]] = fields[i] === null ? null : shape.parsers[i](fields[i]);
          q.rows.push(row);
        }
        break;
      }
      case 'rowDescription':
        q.shape = shapeOf((m as RowDescriptionMessage).fields);
        break;
      case 'parseComplete':
        if (q.parsing) this.statements.set(q.parsing.sql, { name: q.parsing.name });
        break;
      case 'commandComplete': {
        // "SELECT 3", "INSERT 0 1": the count is the last word, if the command has one.
        const text = (m as CommandCompleteMessage).text;
        const n = Number(text.slice(text.lastIndexOf(' ') + 1));
        q.rowCount = text.includes(' ') && Number.isInteger(n) ? n : q.rows.length;
        break;
      }
      case 'error':
        q.error ??= m as DatabaseError;
        break;
      case 'readyForQuery': {
        if (q.parsing && q.shape) {
          const st = this.statements.get(q.parsing.sql);
          if (st) st.shape = q.shape;
        }
        this.inFlight = undefined;
        q.settled?.(this);
        if (q.error) q.reject(q.error);
        else q.resolve({ rows: q.rows, rowCount: q.rowCount });
        break;
      }
    }
  }

  /** Marks the connection dead, fails the query in flight, and closes the socket at once. */
  fail(why: Error): void {
    if (this.dead) return;
    this.dead = why;
    const q = this.inFlight;
    this.inFlight = undefined;
    this.socket.destroy();
    this.onDead(this);
    q?.settled?.(this);
    q?.reject(why);
  }

  /** Says goodbye (Terminate) and waits, at most `ms`, for the server to close; then destroys. */
  async end(ms: number): Promise<void> {
    if (this.dead) return;
    const closed = new Promise<void>((r) => this.socket.once('close', () => r()));
    this.socket.end(TERMINATE);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    this.fail(new Error('load pool closed'));
  }
}

/** How long close() waits for each server to acknowledge a Terminate before cutting the socket. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Opens a load pool from a target (plain data), so that a worker thread can open one too
 * ('dbcheck/load'). `driver` is node-postgres unless a test passes another (see driver.ts).
 */
export function openPostgresLoadPool(target: PostgresLoadTarget, driver: PostgresDriver = pgDriver): PostgresLoadPool {
  const cfg = target.store as PostgresStoreConfig;
  const o = target.options;
  const applicationName = `dbcheck${o.applicationNameSuffix ? `-${o.applicationNameSuffix}` : ''}`.slice(0, 63);
  const settings: pg.ClientConfig = {
    ...clientConfig(cfg, { readOnly: true, statementTimeoutMs: o.statementTimeoutMs, applicationName }),
    // As pg-pool's connectionTimeoutMillis did: opening a connection is part of the acquire's wait
    // (without an acquire timeout, the store's connect timeout still bounds it).
    ...(o.acquireTimeoutMs > 0 ? { connectionTimeoutMillis: o.acquireTimeoutMs } : {}),
  };
  const graceMs = cfg.deadlineGraceMs ?? DEFAULT_DEADLINE_GRACE_MS;
  const deadlineMs = o.statementTimeoutMs > 0 ? o.statementTimeoutMs + graceMs : 0;
  const why = `statement_timeout ${o.statementTimeoutMs} ms + ${graceMs} ms grace`;
  const statementNames = new Map<string, string>();
  const nameOf = (sql: string) => {
    let name = statementNames.get(sql);
    if (!name) statementNames.set(sql, (name = `dbcheck_load_${statementNames.size + 1}`));
    return name;
  };

  const all = new Set<LoadConnection>();
  const idle: LoadConnection[] = [];
  const waiters: Array<{ give(c: LoadConnection): void; fail(err: Error): void }> = [];
  let opening = 0;
  let ended = false;

  const forget = (c: LoadConnection) => {
    all.delete(c);
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
    // Room for a new connection: the first waiter gets it.
    const w = waiters.shift();
    if (w && !ended) open().then(w.give, w.fail);
    else if (w) waiters.unshift(w);
  };

  async function open(): Promise<LoadConnection> {
    opening++;
    try {
      const client = new driver.Client(settings);
      client.on('error', () => {});
      await client.connect();
      let c: LoadConnection;
      try {
        c = new LoadConnection(client, forget);
      } catch (err) {
        client.end().catch(() => {}); // connected but unusable: do not leave the session open
        throw err;
      }
      all.add(c);
      if (ended) {
        c.fail(new Error('load pool closed'));
        throw c.dead;
      }
      return c;
    } finally {
      opening--;
    }
  }

  function acquire(): Promise<LoadConnection> {
    if (ended) return Promise.reject(new Error('load pool closed'));
    const c = idle.pop();
    if (c) return Promise.resolve(c);
    if (all.size + opening < o.max) return open();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      const w = {
        give: (conn: LoadConnection) => {
          clearTimeout(timer);
          // A connection opened for a waiter that has given up meanwhile goes back to the pool.
          if (timedOut) release(conn);
          else resolve(conn);
        },
        fail: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      // pg-pool's wording, which pool-stress's error classes know as an acquire timeout.
      if (o.acquireTimeoutMs > 0)
        timer = setTimeout(() => {
          timedOut = true;
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error('timeout exceeded when trying to connect'));
        }, o.acquireTimeoutMs);
      waiters.push(w);
    });
  }

  function release(c: LoadConnection): void {
    if (c.dead) return; // already forgotten
    if (ended) {
      void c.end(CLOSE_GRACE_MS);
      return;
    }
    const w = waiters.shift();
    if (w) w.give(c);
    else idle.push(c);
  }

  // The client-side deadline: one sweep for the whole pool instead of a timer per query (a timer
  // per query costs more CPU than the rest of the client). A query whose server stays silent past
  // the deadline fails, and its connection is destroyed; it ends within a quarter of the deadline past it.
  const sweep = deadlineMs
    ? setInterval(
        () => {
          const now = performance.now();
          for (const c of all) if (c.inFlight && now - c.inFlight.sentAt > deadlineMs) c.fail(new DeadlineError(deadlineMs, why));
        },
        Math.max(20, Math.min(250, deadlineMs / 4)),
      )
    : undefined;
  sweep?.unref();

  const run = (c: LoadConnection, sql: string, params?: unknown[], settled?: (c: LoadConnection) => void) =>
    c.send(sql, params, o.prepare ? nameOf(sql) : undefined, settled);

  return {
    applicationName,
    target,
    query(sql, params) {
      // The hot path: an idle connection is taken at once, and given back by the connection itself
      // when the reply is in (one promise per query).
      const c = idle.pop();
      if (c) return run(c, sql, params, release);
      return acquire().then((conn) => run(conn, sql, params, release));
    },
    async acquire() {
      const c = await acquire();
      let released = false;
      return {
        query: (sql: string, params?: unknown[]) => run(c, sql, params),
        release: () => {
          if (!released) release(c);
          released = true;
        },
      };
    },
    stats: () => ({ total: all.size + opening, idle: idle.length, waiting: waiters.length }),
    async close() {
      if (ended) return;
      ended = true;
      clearInterval(sweep);
      for (const w of waiters.splice(0)) w.fail(new Error('load pool closed'));
      // Idle connections say goodbye; one still busy (close during a query) is cut: its query fails.
      const busy = [...all].filter((c) => !idle.includes(c));
      for (const c of busy) c.fail(new Error('load pool closed'));
      await Promise.all(idle.splice(0).map((c) => c.end(CLOSE_GRACE_MS)));
    },
  };
}
