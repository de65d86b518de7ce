/**
 * Source of a plugin module (plain objects, no imports: any valid check module works) whose checks
 * do long, controllable work through the public ctx API, so a fault test can hit them mid-flight.
 * Each writes one marker line to stderr when it is in the middle of its work — test plugins only:
 * real checks never print.
 */
export const FAULT_PLUGINS = `
import { AsyncResource } from 'node:async_hooks';

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});
const codes = { seen: { severity: 'info', message: (d) => 'seen ' + d.n } };

/** Streams a table through a server-side cursor, slowly: a long scan to cut in the middle. */
const pgScan = {
  meta: { id: 'fault/pg-scan', title: 'Slow Postgres scan', requires: ['postgres'], codes },
  async run(ctx) {
    const { schema, table, batch = 500, pauseMs = 20 } = ctx.options;
    const pg = ctx.stores.postgres;
    ctx.stats.rows = 0;
    for await (const rows of pg.cursor('SELECT * FROM ' + pg.quoteTable(table, schema) + ' ORDER BY id', [], { signal: ctx.signal, batchSize: batch })) {
      if (ctx.stats.rows === 0) process.stderr.write('marker:pg-scan\\n');
      ctx.stats.rows += rows.length;
      await sleep(pauseMs, ctx.signal);
    }
  },
};

/** SCANs a key prefix page by page and reads each page: a long Redis scan to cut. */
const redisScan = {
  meta: { id: 'fault/redis-scan', title: 'Slow Redis scan', requires: ['redis'], codes },
  async run(ctx) {
    const { match, count = 20, pauseMs = 20 } = ctx.options;
    const redis = ctx.stores.redis;
    ctx.stats.keys = 0;
    for await (const keys of redis.scan({ match, count, signal: ctx.signal })) {
      await redis.pipeline(keys.map((k) => ['get', k]), { signal: ctx.signal });
      if (ctx.stats.keys === 0) process.stderr.write('marker:redis-scan\\n');
      ctx.stats.keys += keys.length;
      await sleep(pauseMs, ctx.signal);
    }
  },
};

/** One statement that runs for a while on the server. */
const pgSleep = {
  meta: { id: 'fault/pg-sleep', title: 'Long statement', requires: ['postgres'], codes },
  async run(ctx) {
    process.stderr.write('marker:pg-sleep\\n');
    await ctx.stores.postgres.query('SELECT pg_sleep($1)', [ctx.options.seconds ?? 30], { signal: ctx.signal });
  },
};

/** Quick reads that should keep working while another store fails: "partial results for the rest". */
const redisPing = {
  meta: { id: 'fault/redis-ping', title: 'Redis answers', requires: ['redis'], codes },
  async run(ctx) {
    ctx.stats.pingMs = await ctx.stores.redis.ping();
    process.stderr.write('marker:redis-ping\\n');
  },
};

const milvusList = {
  meta: { id: 'fault/milvus-list', title: 'Milvus lists collections', requires: ['milvus'], codes },
  async run(ctx) {
    ctx.stats.collections = (await ctx.stores.milvus.listCollections()).length;
  },
};

/**
 * Throws an error nobody can catch — from its own timer, or as an unhandled rejection — while it
 * still runs. options.message is the error's text (a test puts a secret in it); options.unowned
 * throws from a timer made in the module's own context, which no check owns.
 */
const fromModule = AsyncResource.bind((fn) => setTimeout(fn, 10));
const strayTimer = {
  meta: { id: 'fault/stray-timer', title: 'Throws from a timer', requires: ['postgres'], codes },
  async run(ctx) {
    const { message, rejection = false, unowned = false } = ctx.options;
    const boom = () => {
      if (rejection) Promise.reject(new Error(message));
      else throw new Error(message);
    };
    if (unowned) fromModule(boom);
    else setTimeout(boom, 10);
    await sleep(1500, ctx.signal);
    ctx.report({ code: 'seen', data: { n: 1 } });
  },
};

export default [pgScan, redisScan, pgSleep, redisPing, milvusList, strayTimer];
`;
