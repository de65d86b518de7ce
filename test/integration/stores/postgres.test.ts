/** The Postgres connector against the real server: sessions, streaming, snapshots, cancellation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type PostgresStore } from '../../../src/stores/postgres/connector.js';
import { createPgSchema, PG_DATABASE, PG_HOST, PG_PORT, PG_USER, pgAdmin, type PgFixture } from '../../helpers/stores.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

describe('Postgres connector', () => {
  let fx: PgFixture;
  let store: PostgresStore;
  beforeAll(async () => {
    fx = await createPgSchema('pgstore');
    await fx.client.query(`CREATE TABLE "${fx.schema}".items AS SELECT g AS id, md5(g::text) AS body FROM generate_series(1, 200000) g`);
    store = await connectPostgres({
      host: PG_HOST,
      port: PG_PORT,
      user: PG_USER,
      database: PG_DATABASE,
      applicationName: `dbcheck-test-${fx.schema}`,
    });
  });
  afterAll(async () => {
    await store.close();
    await fx.cleanup();
  });

  const table = () => store.reader.quoteTable('items', fx.schema);

  it('streams a COPY and a cursor completely', async () => {
    let bytes = 0;
    for await (const chunk of store.reader.copyOut(`SELECT id FROM ${table()} ORDER BY id`)) bytes += chunk.length;
    const { rows } = await store.reader.query<{ n: string }>(`SELECT sum(length(id::text) + 1)::bigint AS n FROM ${table()}`);
    expect(bytes).toBe(Number(rows[0].n));
    let count = 0;
    for await (const batch of store.reader.cursor(`SELECT id FROM ${table()}`, [], { batchSize: 5000 })) count += batch.length;
    expect(count).toBe(200000);
  });

  it('a COPY abandoned inside a snapshot does not hang the snapshot, and the pool stays usable', async () => {
    const seen = await store.reader.withSnapshot(async (session) => {
      let chunks = 0;
      for await (const _chunk of session.copyOut(`SELECT id, body FROM ${table()} ORDER BY id`)) {
        if (++chunks === 2) break; // stop early: the connection is mid-COPY
      }
      return chunks;
    });
    expect(seen).toBe(2);
    const { rows } = await store.reader.query<{ one: number }>('SELECT 1 AS one');
    expect(rows[0].one).toBe(1);
  });

  it('a snapshot sees one point in time and is read-only', async () => {
    await expect(store.reader.withSnapshot(async (s) => s.query(`INSERT INTO ${table()} VALUES (0, 'x')`))).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringContaining('read-only transaction'),
    });
    const admin = await pgAdmin();
    try {
      const counts = await store.reader.withSnapshot(async (s) => {
        const before = await s.query<{ n: string }>(`SELECT count(*) AS n FROM ${table()}`);
        await admin.query(`DELETE FROM "${fx.schema}".items WHERE id > 199990`);
        const after = await s.query<{ n: string }>(`SELECT count(*) AS n FROM ${table()}`);
        return [before.rows[0].n, after.rows[0].n];
      });
      expect(counts).toEqual(['200000', '200000']);
    } finally {
      await admin.query(`INSERT INTO "${fx.schema}".items SELECT g, md5(g::text) FROM generate_series(199991, 200000) g`);
      await admin.end();
    }
  });

  it('cancelling a call cancels the statement on the server', async () => {
    const controller = new AbortController();
    const pending = store.reader.query('SELECT pg_sleep(30)', [], { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    const admin = await pgAdmin();
    try {
      // pg_cancel_backend is asynchronous: give the server a moment, then no sleeper may remain.
      let sleeping = 1;
      for (let i = 0; i < 20 && sleeping > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const { rows } = await admin.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active'`,
          [`dbcheck-test-${fx.schema}`],
        );
        sleeping = rows[0].n;
      }
      expect(sleeping).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('a missing table is a clear STORE_MISSING_OBJECT error', async () => {
    await expect(store.reader.query(`SELECT 1 FROM ${store.reader.quoteTable('nope', fx.schema)}`)).rejects.toMatchObject({
      code: 'STORE_MISSING_OBJECT',
      message: expect.stringMatching(
        /^Postgres at postgres:\/\/postgres@127\.0\.0\.1:5432\/postgres: object not found \(relation ".*nope" does not exist\)/,
      ),
    });
  });

  it('waiting for a free pool connection is not a connect timeout: a busy pool is no store failure', async () => {
    // One connection, a 300 ms connect timeout, and a snapshot that holds the connection for 1 s.
    const small = await connectPostgres({
      host: PG_HOST,
      port: PG_PORT,
      user: PG_USER,
      database: PG_DATABASE,
      poolMax: 1,
      connectTimeoutMs: 300,
    });
    try {
      const holder = small.reader.withSnapshot((s) => s.query('SELECT pg_sleep(1)'));
      await new Promise((r) => setTimeout(r, 50)); // the snapshot has the connection
      const waiter = small.reader.query<{ one: number }>('SELECT 1 AS one');
      await holder;
      expect((await waiter).rows[0].one).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('a server that accepts the connection and never answers: connecting fails with STORE_TIMEOUT within connectTimeout', async () => {
    const proxy = await startTcpProxy(PG_PORT);
    try {
      proxy.stall();
      const t0 = performance.now();
      const err = await connectPostgres({
        host: PG_HOST,
        port: proxy.port,
        user: PG_USER,
        database: PG_DATABASE,
        connectTimeoutMs: 300,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({
        code: 'STORE_TIMEOUT',
        message: expect.stringMatching(/^Postgres at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: timed out/),
      });
      expect(performance.now() - t0).toBeLessThan(3 * 300 + 2_000);
      expect(proxy.connections.total).toBe(1);
    } finally {
      proxy.resume();
      await proxy.close();
    }
  });

  describe('client-side deadlines: a frozen server (a stalled proxy forwards nothing, sockets stay open)', () => {
    // statement_timeout 300 ms + 300 ms grace: each wait on the server ends after 600 ms.
    const DEADLINE_MS = 600;
    const BOUND_MS = 3 * DEADLINE_MS + 2_000; // "ended, with generous slack" — not a speed claim
    const DEADLINE_MESSAGE =
      /^Postgres at postgres:\/\/\S+: timed out \(no answer from the server within 600 ms \(statement_timeout 300 ms \+ 300 ms grace\); connection closed\)$/;
    let proxy: TcpProxy;
    let frozen: PostgresStore;
    beforeAll(async () => {
      proxy = await startTcpProxy(PG_PORT);
      frozen = await connectPostgres({
        host: PG_HOST,
        port: proxy.port,
        user: PG_USER,
        database: PG_DATABASE,
        statementTimeoutMs: 300,
        deadlineGraceMs: 300,
        applicationName: `dbcheck-frozen-${fx.schema}`,
      });
    });
    afterAll(async () => {
      proxy.resume();
      await frozen.close();
      await proxy.close();
    });

    /** Freezes the proxy, runs fn, measures how long it took to fail, and thaws the proxy again. */
    async function whileFrozen(fn: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
      proxy.stall();
      const t0 = performance.now();
      try {
        const err = await fn().then(
          () => undefined,
          (e: unknown) => e,
        );
        return { err, ms: performance.now() - t0 };
      } finally {
        proxy.resume();
      }
    }

    it('a query ends with STORE_TIMEOUT at its deadline, and the pool then works again (the frozen connection was destroyed)', async () => {
      const { err, ms } = await whileFrozen(() => frozen.reader.query('SELECT 1'));
      expect(err).toMatchObject({ code: 'STORE_TIMEOUT', message: expect.stringMatching(DEADLINE_MESSAGE) });
      expect(ms).toBeLessThan(BOUND_MS);
      const { rows } = await frozen.reader.query<{ one: number }>('SELECT 1 AS one');
      expect(rows[0].one).toBe(1);
    });

    it('a cursor frozen between two reads ends with STORE_TIMEOUT', async () => {
      let batches = 0;
      const t0 = performance.now();
      const err = await (async () => {
        for await (const _rows of frozen.reader.cursor(`SELECT * FROM ${table()}`, [], { batchSize: 1000 })) {
          if (++batches === 1) proxy.stall();
        }
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      const ms = performance.now() - t0;
      proxy.resume();
      expect(batches).toBe(1);
      expect(err).toMatchObject({ code: 'STORE_TIMEOUT', message: expect.stringMatching(DEADLINE_MESSAGE) });
      expect(ms).toBeLessThan(BOUND_MS);
    });

    it("a COPY frozen mid-stream inside a snapshot ends with STORE_TIMEOUT at the deadline of the snapshot's own SET LOCAL statement_timeout, and the snapshot is not held open", async () => {
      let chunks = 0;
      const t0 = performance.now();
      const err = await frozen.reader
        .withSnapshot(async (session) => {
          await session.query('SET LOCAL statement_timeout = 700');
          for await (const _chunk of session.copyOut(`SELECT id, body FROM ${table()} ORDER BY id`)) {
            if (++chunks === 1) proxy.stall();
          }
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const ms = performance.now() - t0;
      proxy.resume();
      expect(chunks).toBeGreaterThan(0);
      expect(err).toMatchObject({
        code: 'STORE_TIMEOUT',
        message: expect.stringContaining(
          'no answer from the server within 1000 ms (statement_timeout 700 ms + 300 ms grace); connection closed',
        ),
      });
      expect(ms).toBeLessThan(3 * 1000 + 2_000);
      // The snapshot's connection was destroyed, not handed back mid-COPY: the pool still works.
      const { rows } = await frozen.reader.query<{ one: number }>('SELECT 1 AS one');
      expect(rows[0].one).toBe(1);
    });

    for (const [set, ms] of [
      ["SET LOCAL statement_timeout = '1s'", 1000],
      ['SET LOCAL statement_timeout TO DEFAULT', 300],
    ] as const) {
      it(`the deadline follows \`${set}\` (statement_timeout ${ms} ms)`, async () => {
        const err = await frozen.reader
          .withSnapshot(async (session) => {
            await session.query("SET LOCAL statement_timeout = '5s'");
            await session.query(set);
            proxy.stall();
            await session.query('SELECT 1');
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        proxy.resume();
        expect(err).toMatchObject({
          code: 'STORE_TIMEOUT',
          message: expect.stringContaining(`within ${ms + 300} ms (statement_timeout ${ms} ms + 300 ms grace)`),
        });
      });
    }

    it('a COPY read slowly is not cut: the deadline counts time waiting for the server, not time spent by the reader', async () => {
      let bytes = 0;
      let chunks = 0;
      const t0 = performance.now();
      // About 110 kB: the server finishes at once; the reader then takes well past the 600 ms deadline.
      for await (const chunk of frozen.reader.copyOut('SELECT g FROM generate_series(1, 20000) g')) {
        bytes += chunk.length;
        // One pause on the first chunk, longer than the whole deadline.
        if (chunks++ === 0) await new Promise((r) => setTimeout(r, 2 * DEADLINE_MS));
      }
      expect(performance.now() - t0).toBeGreaterThan(DEADLINE_MS); // so a total-time deadline would have cut it
      const expected = Array.from({ length: 20000 }, (_, i) => String(i + 1).length + 1).reduce((a, b) => a + b, 0);
      expect(bytes).toBe(expected);
    });
  });
});
