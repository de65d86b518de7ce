/**
 * Promise: dbcheck changes nothing. A full `dbcheck audit` — every check there is, configured
 * against a realistic fixture with planted drift — leaves Postgres, Redis and Milvus exactly as
 * they were, measured on the servers: Postgres write counters, table checksums and catalog state;
 * Redis command statistics (no command flagged `write` ran) and keyspace digest; Milvus entity
 * counts, data digest, schema and load state. And the sessions themselves refuse writes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres } from '../../src/stores/postgres/connector.js';
import { connectRedis } from '../../src/stores/redis/connector.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { createAuditLogins, type AuditLogins } from '../helpers/fault-sessions.js';
import { startRedisServer } from '../helpers/redis-server.js';
import {
  createMilvusCollectionName,
  createPgSchema,
  MILVUS_ADDRESS,
  PG_DATABASE,
  PG_HOST,
  PG_PORT,
  pgAdmin,
  type PgFixture,
} from '../helpers/stores.js';
import { builtinIds, checkOf, createMilvusCollection, jsonReport } from './support.js';

const DOCS = 300;
const CHUNKS_PER_DOC = 3;
const PREFIX = 'ro:';

/** Every check this suite knows how to configure against the fixture, by id. */
const KNOWN_CHECKS = [
  'cache-drift',
  'health',
  'index-freshness',
  'orphan-scan',
  'pool-stress',
  'reference-integrity',
  'rollback-validation',
];

describe('read-only: a full audit changes nothing', () => {
  let pgFx: PgFixture;
  let milvus: Awaited<ReturnType<typeof createMilvusCollectionName>>;
  let redisServer: Awaited<ReturnType<typeof startRedisServer>>;
  let redis: Redis;
  let logins: AuditLogins;
  let schema: string;
  let dir: string;

  beforeAll(async () => {
    pgFx = await createPgSchema('ro');
    schema = pgFx.schema;
    milvus = await createMilvusCollectionName('ro');
    // A private Redis: INFO commandstats is server-wide, and parallel tests write to the shared one.
    redisServer = await startRedisServer();
    redis = new Redis({ host: '127.0.0.1', port: redisServer.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();

    // Seed with a separate connection that then closes: a backend flushes its table statistics
    // when it exits, so the "before" counters are complete.
    const seeder = await pgAdmin();
    const q = (sql: string) => seeder.query(sql);
    const s = `"${schema}"`;
    await q(
      `CREATE TABLE ${s}.documents (id bigint PRIMARY KEY, title text NOT NULL, version int NOT NULL, updated_at timestamptz NOT NULL)`,
    );
    await q(`CREATE TABLE ${s}.chunks (id bigint PRIMARY KEY, document_id bigint NOT NULL, content text)`);
    await q(`CREATE TABLE ${s}.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    await q(
      `INSERT INTO ${s}.documents SELECT g, 'doc ' || g, 1, timestamptz '2026-01-01' + g * interval '1 minute' FROM generate_series(1, ${DOCS}) g`,
    );
    // Chunk 3 of document 7 points at a document that is gone: an orphan for orphan-scan.
    await q(
      `INSERT INTO ${s}.chunks SELECT g, CASE WHEN g = 21 THEN 99999 ELSE (g - 1) / ${CHUNKS_PER_DOC} + 1 END, 'text ' || g FROM generate_series(1, ${DOCS * CHUNKS_PER_DOC}) g`,
    );
    await q(`INSERT INTO ${s}.schema_migrations (version) VALUES ('001'), ('002')`);
    // LangChain's record manager for index-freshness: documents 1..299 indexed after their last change.
    await q(`CREATE TABLE ${s}.upsertion_record (uuid text PRIMARY KEY, key text, namespace text, group_id text, updated_at float8)`);
    await q(
      `INSERT INTO ${s}.upsertion_record SELECT g, g, 'milvus/${milvus.collection}', g, extract(epoch from timestamptz '2026-02-01') FROM generate_series(1, ${DOCS - 1}) g`,
    );
    await seeder.end();

    // Milvus: one vector per chunk, minus two (missing) plus one without a row (orphan).
    const { DataType } = await import('@zilliz/milvus2-sdk-node');
    const entities = [];
    for (let id = 1; id <= DOCS * CHUNKS_PER_DOC; id++) {
      if (id === 5 || id === 6) continue;
      entities.push({ id: String(id), document_id: String(Math.floor((id - 1) / CHUNKS_PER_DOC) + 1) });
    }
    entities.push({ id: '777777', document_id: '88888' });
    await createMilvusCollection(
      milvus.client,
      milvus.collection,
      [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
        { name: 'document_id', data_type: DataType.Int64 },
      ],
      entities,
    );

    // Redis: a write-through JSON cache of documents, with drift planted: 3 stale, 2 orphans,
    // one of the wrong type, one key with binary bytes.
    const p = redis.pipeline();
    for (let id = 1; id <= DOCS; id++) {
      const stale = id <= 3;
      p.set(
        `${PREFIX}doc:${id}`,
        JSON.stringify({
          id,
          title: stale ? `old ${id}` : `doc ${id}`,
          version: stale ? 0 : 1,
          updated_at: new Date(Date.UTC(2026, 0, 1) + id * 60_000).toISOString(),
        }),
        'EX',
        86_400,
      );
    }
    p.set(`${PREFIX}doc:5000`, JSON.stringify({ id: 5000, title: 'gone', version: 1, updated_at: '2026-01-01T00:00:00Z' }));
    p.set(`${PREFIX}doc:5001`, JSON.stringify({ id: 5001, title: 'gone', version: 1, updated_at: '2026-01-01T00:00:00Z' }));
    p.del(`${PREFIX}doc:10`);
    p.hset(`${PREFIX}doc:10`, 'title', 'a hash where a string belongs');
    p.set(Buffer.concat([Buffer.from(`${PREFIX}doc:`), Buffer.from([0xff, 0x00, 0xfe])]), 'binary key');
    await p.exec();

    logins = await createAuditLogins([schema]);

    // A migrations folder for rollback-validation (plain SQL tool, tracking table in the schema).
    dir = tempDir();
    mkdirSync(path.join(dir, 'migrations'));
    const mig = (name: string, sql: string) => writeFileSync(path.join(dir, 'migrations', name), sql);
    mig(
      '001_documents.up.sql',
      'CREATE TABLE documents (id bigint PRIMARY KEY, title text NOT NULL, version int NOT NULL, updated_at timestamptz NOT NULL);\n',
    );
    mig('001_documents.down.sql', 'DROP TABLE documents;\n');
    mig('002_chunks.up.sql', 'CREATE TABLE chunks (id bigint PRIMARY KEY, document_id bigint NOT NULL, content text);\n');
    mig('002_chunks.down.sql', 'DROP TABLE chunks;\n');
  }, 180_000);

  afterAll(async () => {
    await logins?.drop();
    redis?.disconnect();
    await redisServer?.stop();
    await milvus?.cleanup();
    await pgFx?.cleanup();
  });

  /** The config section of each check, against this fixture. Tiny bounds for the load check. */
  function checkSections(): Record<string, object> {
    const table = (t: string) => ({ schema, table: t });
    return {
      health: { collections: [milvus.collection] },
      'cache-drift': {
        mappings: [
          {
            name: 'documents',
            key: `${PREFIX}doc:{id}`,
            table: `${schema}.documents`,
            encoding: 'json',
            strategy: { type: 'write-through', version: 'version' },
          },
        ],
      },
      'reference-integrity': {
        mappings: [{ postgres: { ...table('chunks'), key: 'id' }, milvus: { collection: milvus.collection }, mode: 'full' }],
      },
      'index-freshness': {
        documents: [
          {
            preset: 'langchain',
            collection: milvus.collection,
            recordManager: { schema },
            source: { ...table('documents'), key: 'id', updatedAt: 'updated_at' },
          },
        ],
      },
      'orphan-scan': {
        milvus: [{ collection: milvus.collection, field: 'document_id', parent: { ...table('documents'), column: 'id' } }],
        redis: [{ pattern: `${PREFIX}doc:{id}`, parent: { ...table('documents'), column: 'id' } }],
        postgres: [{ child: { ...table('chunks'), column: 'document_id' }, parent: { ...table('documents'), column: 'id' } }],
      },
      'rollback-validation': { migrations: 'migrations', tool: 'plain', schema, table: 'schema_migrations' },
      'pool-stress': {
        enabled: true,
        label: `ro_${randomBytes(3).toString('hex')}`,
        postgres: {
          poolSize: 2,
          query: `SELECT count(*) FROM "${schema}".documents`,
          burst: { concurrency: 2 },
          sustained: { workers: 2, duration: 300, maxOps: 200 },
          exhaustion: { recoveryWithin: 2000 },
          slow: { count: 1, statementTimeout: 100, sleep: 300, recoveryWithin: 2000 },
        },
        redis: {
          connections: 1,
          command: ['GET', `${PREFIX}doc:1`],
          burst: { concurrency: 2 },
          sustained: { workers: 2, duration: 300, maxOps: 200 },
        },
      },
    };
  }

  it('every check this tree has is configured here (a new check must join this test)', () => {
    const unknown = builtinIds().filter((id) => !KNOWN_CHECKS.includes(id));
    expect(unknown, `read-only.test.ts has no fixture config for ${unknown.join(', ')}: add one`).toEqual([]);
  });

  it('Postgres, Redis and Milvus are unchanged after `dbcheck audit` with every check', async () => {
    const present = KNOWN_CHECKS.filter((id) => builtinIds().includes(id));
    const sections = checkSections();
    const config = {
      stores: {
        postgres: { host: PG_HOST, port: PG_PORT, user: logins.pgUser, database: PG_DATABASE },
        redis: { host: '127.0.0.1', port: redisServer.port },
        milvus: { address: MILVUS_ADDRESS },
      },
      checks: Object.fromEntries(present.map((id) => [id, sections[id]])),
    };
    writeFileSync(path.join(dir, 'dbcheck.json'), JSON.stringify(config, null, 2));

    const before = await snapshot();
    // The measurement sees the seed: counters are flushed and would show a write.
    expect(before.postgres.stats.find((t) => t.relname === 'documents')).toMatchObject({ n_tup_ins: String(DOCS) });

    const run = await runCli(['audit', '-c', 'dbcheck.json', '--format', 'json'], { cwd: dir });
    const report = jsonReport(run);
    expect([0, 1], run.stderr).toContain(run.code);
    // Every check really ran (a skipped or failed check proves nothing about its reads).
    for (const id of present) {
      const c = checkOf(report, id);
      expect(c.status, `${id}: ${c.error?.message ?? c.skipReason ?? ''}`).toMatch(/^(pass|fail)$/);
    }
    // And found the planted drift where it looks for it.
    if (present.includes('cache-drift')) expect(checkOf(report, 'cache-drift').counts.error).toBeGreaterThan(0);
    if (present.includes('index-freshness')) expect(checkOf(report, 'index-freshness').countsByCode['unindexed-document']).toBe(1);
    if (present.includes('reference-integrity')) expect(checkOf(report, 'reference-integrity').counts.error).toBeGreaterThan(0);

    // dbcheck's backends flush their statistics as they exit: wait until they are gone.
    expect((await logins.leftovers()).postgres).toEqual([]);
    const after = await snapshot();

    expect(after.postgres).toEqual(before.postgres);
    expect(after.redis.keyspace).toEqual(before.redis.keyspace);
    const ran = commandsRun(before.redis.commandstats, after.redis.commandstats);
    expect(Object.keys(ran)).toContain('ping'); // the statistics do see dbcheck's commands (health pings)
    const writes = await writeCommands(Object.keys(ran));
    expect(writes, `write commands ran: ${JSON.stringify(ran)}`).toEqual([]);
    // Bounded reads: the keyspace is walked with SCAN, never KEYS (which blocks the server).
    expect(ran).not.toHaveProperty('keys');
    expect(after.milvus).toEqual(before.milvus);
  }, 180_000);

  it("a write through dbcheck's Postgres session is refused, and the session carries its safety settings", async () => {
    const store = await connectPostgres({
      host: PG_HOST,
      port: PG_PORT,
      user: logins.pgUser,
      database: PG_DATABASE,
      statementTimeoutMs: 12_345,
      lockTimeoutMs: 2_345,
    });
    try {
      const r = store.reader;
      await expect(r.query(`CREATE TABLE "${schema}".intruder (x int)`)).rejects.toThrow(/read-only transaction/);
      await expect(r.query(`DELETE FROM "${schema}".documents`)).rejects.toThrow(/read-only transaction/);
      await expect(
        r.query(`SELECT set_config('default_transaction_read_only', 'off', false); INSERT INTO "${schema}".chunks VALUES (0, 0, 'x')`),
      ).rejects.toThrow(/read-only transaction|permission denied/);
      // Even inside withSnapshot (an explicit READ ONLY transaction).
      await expect(r.withSnapshot((tx) => tx.query(`UPDATE "${schema}".documents SET version = 2`))).rejects.toThrow(
        /read-only transaction/,
      );
      const setting = async (name: string) => Object.values((await r.query(`SHOW ${name}`)).rows[0]!)[0];
      expect(await setting('default_transaction_read_only')).toBe('on');
      expect(await setting('statement_timeout')).toBe('12345ms');
      expect(await setting('lock_timeout')).toBe('2345ms');
      expect(await setting('application_name')).toBe('dbcheck');
    } finally {
      await store.close();
    }
    const check = await pgAdmin();
    try {
      const exists = await check.query(`SELECT to_regclass($1) AS t`, [`"${schema}".intruder`]);
      expect(exists.rows[0].t).toBeNull();
      expect((await check.query(`SELECT count(*)::int AS n FROM "${schema}".documents`)).rows[0].n).toBe(DOCS);
    } finally {
      await check.end();
    }
  });

  it('the Redis reader refuses a write command before sending it: the server never sees it', async () => {
    const before = parseCommandstats(await redis.info('commandstats'));
    const store = await connectRedis({ host: '127.0.0.1', port: redisServer.port });
    try {
      const reader = store.reader;
      await expect(reader.pipeline([['set' as never, `${PREFIX}intruder`, 'x']])).rejects.toThrow(/refused Redis command SET/);
      await expect(
        reader.pipeline([
          ['get', `${PREFIX}doc:1`],
          ['del' as never, `${PREFIX}doc:1`],
        ]),
      ).rejects.toThrow(/refused Redis command DEL/);
      await expect(reader.pipeline([['memory', 'purge']])).rejects.toThrow(/refused/);
      await expect(reader.pipeline([['flushall' as never]])).rejects.toThrow(/refused/);
      const load = await reader.createLoadConnection();
      await expect(load.command('expire' as never, `${PREFIX}doc:1`, 1)).rejects.toThrow(/refused Redis command EXPIRE/);
      await load.close();
    } finally {
      await store.close();
    }
    const after = parseCommandstats(await redis.info('commandstats'));
    for (const cmd of ['set', 'del', 'expire', 'flushall', 'memory|purge', 'get']) expect(after[cmd] ?? 0, cmd).toBe(before[cmd] ?? 0);
    expect(await redis.exists(`${PREFIX}intruder`)).toBe(0);
    expect(await redis.exists(`${PREFIX}doc:1`)).toBe(1);
  });

  // ------------------------------------------------------------------ measurements

  async function snapshot() {
    return { postgres: await postgresState(), redis: await redisState(), milvus: await milvusState() };
  }

  async function postgresState() {
    const c = new pg.Client({ host: PG_HOST, port: PG_PORT, user: 'postgres', database: PG_DATABASE });
    await c.connect();
    try {
      await c.query('SELECT pg_stat_clear_snapshot()');
      const stats = (
        await c.query(
          `SELECT relname, n_tup_ins::text, n_tup_upd::text, n_tup_del::text, n_tup_hot_upd::text
           FROM pg_stat_user_tables WHERE schemaname = $1 ORDER BY relname`,
          [schema],
        )
      ).rows as Array<Record<string, string>>;
      const checksums: Record<string, string> = {};
      for (const { relname } of stats) {
        const r = await c.query(
          `SELECT count(*)::text AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM "${schema}"."${relname}" t`,
        );
        checksums[relname!] = `${r.rows[0].n}:${r.rows[0].sum}`;
      }
      // Catalog state of the schema: relations, columns, constraints, indexes, privileges.
      const catalog = (
        await c.query(
          `SELECT md5(string_agg(x, '|' ORDER BY x)) AS sum, count(*)::int AS n FROM (
           SELECT cl.relname || ':' || cl.relkind::text || ':' || coalesce(cl.relacl::text, '') ||
                  ':' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
                                     FROM pg_attribute a WHERE a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS x
             FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = $1
           UNION ALL
           SELECT 'con:' || conname || ':' || pg_get_constraintdef(co.oid) FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace WHERE n.nspname = $1
         ) s`,
          [schema],
        )
      ).rows[0];
      return { stats, checksums, catalog };
    } finally {
      await c.end();
    }
  }

  async function redisState() {
    const commandstats = parseCommandstats(await redis.info('commandstats'));
    const dbsize = await redis.dbsize();
    // Digest of every key: name, type-preserving DUMP of the value, and whether it expires.
    const keys: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, page] = await redis.scanBuffer(cursor, 'COUNT', 1000);
      cursor = String(next);
      keys.push(...page);
    } while (cursor !== '0');
    keys.sort(Buffer.compare);
    const hash = createHash('sha256');
    for (const k of keys) {
      const [dump, pttl] = await Promise.all([redis.dumpBuffer(k), redis.pttl(k)]);
      hash
        .update(k)
        .update('\0')
        .update(dump ?? Buffer.alloc(0))
        .update(pttl > 0 ? 'ttl' : String(pttl))
        .update('\n');
    }
    return { commandstats, keyspace: { dbsize, keys: keys.length, digest: hash.digest('hex') } };
  }

  async function milvusState() {
    const c = milvus.client as any;
    const name = milvus.collection;
    const count = await c.query({ collection_name: name, output_fields: ['count(*)'], consistency_level: 'Strong' });
    const rows = await c.query({
      collection_name: name,
      filter: 'id >= 0',
      output_fields: ['id', 'document_id'],
      consistency_level: 'Strong',
    });
    const sorted = (rows.data as Array<{ id: string; document_id: string }>).map((r) => `${r.id}:${r.document_id}`).sort();
    const describe = await c.describeCollection({ collection_name: name });
    const fields = describe.schema.fields.map((f: any) => ({
      name: f.name,
      type: f.data_type,
      pk: f.is_primary_key,
      params: f.type_params,
    }));
    const load = await c.getLoadState({ collection_name: name });
    const indexes = await c.describeIndex({ collection_name: name });
    return {
      count: count.data[0]['count(*)'],
      digest: createHash('sha256').update(sorted.join('\n')).digest('hex'),
      rows: sorted.length,
      fields,
      load: load.state,
      indexes: (indexes.index_descriptions ?? []).map((i: any) => `${i.field_name}:${i.index_name}`),
    };
  }

  async function writeCommands(names: string[]): Promise<string[]> {
    const writes: string[] = [];
    for (const name of names) {
      // COMMAND INFO knows subcommands as "container|sub" in Redis 7.
      const info = (await redis.call('COMMAND', 'INFO', name)) as Array<[string, number, string[]] | null>;
      const flags = info[0]?.[2] ?? ['unknown'];
      if (flags.includes('write') || flags.includes('unknown')) writes.push(name);
    }
    return writes;
  }
});

function parseCommandstats(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

function commandsRun(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cmd, n] of Object.entries(after)) if (n > (before[cmd] ?? 0)) out[cmd] = n - (before[cmd] ?? 0);
  return out;
}
