/**
 * The floor: the least work any cache-vs-row comparison must do, written as plainly as possible
 * with the same libraries dbcheck uses (ioredis, pg): SCAN the documents' keys, one pipelined GET
 * per page (optionally PTTL too), one `= ANY($1)` query per page for the rows, two pages in flight.
 * No decoding, no comparison.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { PG_DATABASE, PG_HOST, PG_PORT, PG_USER, REDIS_HOST, REDIS_PORT } from '../../test/helpers/stores.js';
import { PREFIX, SCHEMA } from './seed.js';

export async function runFloor(opts: { withTtl: boolean; count: number; concurrency: number }) {
  const redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true });
  await redis.connect();
  const pool = new pg.Pool({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: PG_DATABASE, max: opts.concurrency });
  await pool.query('SELECT 1');
  const sql = `SELECT id::text, title, price::text, active, updated_at, email FROM ${SCHEMA}.docs WHERE id = ANY($1::bigint[])`;
  let keys = 0;
  let rows = 0;
  const t0 = performance.now();

  const page = async (batch: Buffer[]) => {
    const p = redis.pipeline();
    for (const k of batch) {
      p.getBuffer(k);
      if (opts.withTtl) p.pttl(k);
    }
    await p.exec();
    const ids = batch.map((k) => k.toString().slice(PREFIX.length + 4));
    const r = await pool.query(sql, [ids.filter((id) => /^\d+$/.test(id))]);
    rows += r.rowCount ?? 0;
  };

  const inflight = new Set<Promise<void>>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scanBuffer(cursor, 'MATCH', `${PREFIX}doc:*`, 'COUNT', opts.count);
    cursor = next.toString();
    keys += batch.length;
    if (batch.length) {
      const work: Promise<void> = page(batch).finally(() => inflight.delete(work));
      inflight.add(work);
      if (inflight.size >= opts.concurrency) await Promise.race(inflight);
    }
  } while (cursor !== '0');
  await Promise.all(inflight);
  const ms = performance.now() - t0;
  redis.disconnect();
  await pool.end();
  return { ms, keys, rows };
}
