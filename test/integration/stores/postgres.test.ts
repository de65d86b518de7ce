/** The Postgres connector against the real server: sessions, streaming, snapshots, cancellation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type PostgresStore } from '../../../src/stores/postgres.js';
import { createPgSchema, PG_DATABASE, PG_HOST, PG_PORT, PG_USER, pgAdmin, type PgFixture } from '../../helpers/stores.js';

describe('Postgres connector', () => {
  let fx: PgFixture;
  let store: PostgresStore;
  beforeAll(async () => {
    fx = await createPgSchema('pgstore');
    await fx.client.query(`CREATE TABLE "${fx.schema}".items AS SELECT g AS id, md5(g::text) AS body FROM generate_series(1, 200000) g`);
    store = await connectPostgres({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE, applicationName: `dbcheck-test-${fx.schema}` });
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
    await expect(
      store.reader.withSnapshot(async (s) => s.query(`INSERT INTO ${table()} VALUES (0, 'x')`)),
    ).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringContaining('read-only transaction') });
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
        const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active'`, [`dbcheck-test-${fx.schema}`]);
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
      message: expect.stringMatching(/^Postgres at postgres:\/\/postgres@127\.0\.0\.1:5432\/postgres: object not found \(relation ".*nope" does not exist\)/),
    });
  });
});
