/**
 * Seeds the demo data set (`npx tsx scripts/seed-demo.ts`, run by `npm run demo`):
 *   Postgres  schema dbcheck_demo: documents, chunks (document_id without FK, content_hash,
 *             embedded flag, updated_at)
 *   Milvus    collection dbcheck_demo_chunks: one embedding per chunk (pk = chunk id)
 *   Redis     demo:doc:{id}: cached documents as JSON with TTLs
 * with a few faults of every kind planted, listed in demo/PLANTED.md (rewritten on each run).
 *
 * Re-running resets everything above to the same state. This is the only program in the repo
 * that writes demo data; dbcheck itself only reads.
 *
 * Servers: the local ones by default; override with DEMO_PG_HOST, DEMO_PG_PORT, DEMO_PG_USER,
 * DEMO_PG_DATABASE, DEMO_REDIS_HOST, DEMO_REDIS_PORT, DEMO_MILVUS (host:port).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import {
  CACHE_PREFIX,
  CACHE_TTL_MAX_S,
  CURRENT_MODEL,
  DEMO_COLLECTION,
  DEMO_SCHEMA,
  FORBIDDEN_PREFIX,
  OLD_MODEL,
  VECTOR_DIM,
  buildDemoData,
  type DemoData,
} from './lib/demo-data.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const PG = {
  host: env.DEMO_PG_HOST ?? '127.0.0.1',
  port: Number(env.DEMO_PG_PORT ?? 5432),
  user: env.DEMO_PG_USER ?? 'postgres',
  database: env.DEMO_PG_DATABASE ?? 'postgres',
};
const REDIS = { host: env.DEMO_REDIS_HOST ?? '127.0.0.1', port: Number(env.DEMO_REDIS_PORT ?? 6379), db: 0 };
const MILVUS_ADDRESS = env.DEMO_MILVUS ?? '127.0.0.1:19530';
const BATCH = 2000;

function chunked<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------- Postgres
const MIGRATIONS_DIR = join(ROOT, 'demo', 'migrations');
/** The migration on disk that was never deployed (a planted "pending" migration). */
const UNDEPLOYED_MIGRATION = '0005';

interface DemoMigration {
  version: string;
  upFile: string;
  hasDown: boolean;
}

/** demo/migrations as `<version>_<name>.up.sql` / `.down.sql` pairs, split into applied and pending. */
function demoMigrations(): { applied: DemoMigration[]; pending: DemoMigration[]; all: DemoMigration[] } {
  const files = readdirSync(MIGRATIONS_DIR).sort();
  const all = files
    .filter((f) => f.endsWith('.up.sql'))
    .map((upFile) => {
      const version = upFile.slice(0, upFile.indexOf('_'));
      return { version, upFile, hasDown: files.includes(upFile.replace(/\.up\.sql$/, '.down.sql')) };
    });
  return {
    all,
    applied: all.filter((m) => m.version !== UNDEPLOYED_MIGRATION),
    pending: all.filter((m) => m.version === UNDEPLOYED_MIGRATION),
  };
}

async function seedPostgres(data: DemoData): Promise<void> {
  const client = new pg.Client({ ...PG, connectionTimeoutMillis: 5000, application_name: 'dbcheck-demo-seed' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`DROP SCHEMA IF EXISTS ${DEMO_SCHEMA} CASCADE`);
    await client.query(`CREATE SCHEMA ${DEMO_SCHEMA}`);
    // The tables come from the demo's own migrations (demo/migrations, plain SQL up/down files),
    // applied like a deploy would, and recorded in a plain tracking table.
    await client.query(`SET LOCAL search_path TO ${DEMO_SCHEMA}`);
    await client.query(`
      CREATE TABLE schema_migrations (
        version     text PRIMARY KEY,
        applied_at  timestamptz NOT NULL
      )`);
    const migrations = demoMigrations();
    for (const [i, migration] of migrations.applied.entries()) {
      await client.query(readFileSync(join(MIGRATIONS_DIR, migration.upFile), 'utf8'));
      const appliedAt = new Date(Date.now() - (migrations.applied.length - i) * 7 * 86_400_000);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [migration.version, appliedAt]);
    }
    for (const batch of chunked(data.documents, BATCH)) {
      await client.query(
        `INSERT INTO ${DEMO_SCHEMA}.documents (id, title, status, version, created_at, updated_at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[])`,
        [
          batch.map((d) => d.id),
          batch.map((d) => d.title),
          batch.map((d) => d.status),
          batch.map((d) => d.version),
          batch.map((d) => d.createdAt.toISOString()),
          batch.map((d) => d.updatedAt.toISOString()),
        ],
      );
    }
    for (const batch of chunked(data.chunks, BATCH)) {
      await client.query(
        `INSERT INTO ${DEMO_SCHEMA}.chunks (id, document_id, ordinal, content, content_hash, embedded, updated_at)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::text[], $6::boolean[], $7::timestamptz[])`,
        [
          batch.map((c) => c.id),
          batch.map((c) => c.documentId),
          batch.map((c) => c.ordinal),
          batch.map((c) => c.content),
          batch.map((c) => c.contentHash),
          batch.map((c) => c.embedded),
          batch.map((c) => c.updatedAt.toISOString()),
        ],
      );
    }
    await client.query('COMMIT');
    await client.query(`ANALYZE ${DEMO_SCHEMA}.documents, ${DEMO_SCHEMA}.chunks`);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- Milvus
function ensureOk(what: string, status: { error_code?: string | number; reason?: string } | undefined): void {
  if (status && status.error_code !== 'Success' && status.error_code !== 0) {
    throw new Error(`Milvus ${what} failed: ${status.reason || status.error_code}`);
  }
}

async function seedMilvus(data: DemoData): Promise<void> {
  const client = new MilvusClient({
    address: MILVUS_ADDRESS,
    timeout: 60_000,
    telemetry: { enabled: false }, // the SDK sends heartbeats by default
    logLevel: 'error',
  } as ConstructorParameters<typeof MilvusClient>[0]);
  try {
    await client.connectPromise; // awaited here, or a refused connection kills the process later
    const exists = await client.hasCollection({ collection_name: DEMO_COLLECTION });
    ensureOk('hasCollection', exists.status);
    if (exists.value) ensureOk('dropCollection', await client.dropCollection({ collection_name: DEMO_COLLECTION }));
    ensureOk(
      'createCollection',
      await client.createCollection({
        collection_name: DEMO_COLLECTION,
        description: 'dbcheck demo: one embedding per row of dbcheck_demo.chunks',
        fields: [
          { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false, description: 'chunk id' },
          { name: 'document_id', data_type: DataType.Int64 },
          { name: 'model', data_type: DataType.VarChar, max_length: 32, description: 'embedding model tag' },
          { name: 'content_hash', data_type: DataType.VarChar, max_length: 32, description: 'md5 of the embedded text' },
          { name: 'embedded_at', data_type: DataType.Int64, description: 'epoch ms' },
          { name: 'embedding', data_type: DataType.FloatVector, dim: VECTOR_DIM },
        ],
      }),
    );
    // Writes to one collection are serialised (Milvus Lite does not take concurrent inserts).
    for (const batch of chunked(data.vectors, BATCH)) {
      const res = await client.insert({
        collection_name: DEMO_COLLECTION,
        data: batch.map((v) => ({
          id: String(v.id),
          document_id: String(v.documentId),
          model: v.model,
          content_hash: v.contentHash,
          embedded_at: String(v.embeddedAt),
          embedding: v.embedding,
        })),
      });
      ensureOk('insert', res.status);
      if (Number(res.insert_cnt) !== batch.length) {
        throw new Error(`Milvus insert stored ${res.insert_cnt} of ${batch.length} rows`);
      }
    }
    ensureOk('flush', (await client.flush({ collection_names: [DEMO_COLLECTION] })).status);
    ensureOk(
      'createIndex',
      await client.createIndex({
        collection_name: DEMO_COLLECTION,
        field_name: 'embedding',
        index_type: 'FLAT',
        metric_type: 'COSINE',
      }),
    );
    ensureOk('loadCollection', await client.loadCollection({ collection_name: DEMO_COLLECTION }));
    const count = await client.query({
      collection_name: DEMO_COLLECTION,
      filter: '',
      output_fields: ['count(*)'],
      consistency_level: 'Strong' as never,
    });
    ensureOk('count', count.status);
    const stored = String(count.data[0]?.['count(*)']);
    if (stored !== String(data.vectors.length)) {
      throw new Error(`Milvus holds ${stored} vectors after seeding, expected ${data.vectors.length}`);
    }
  } finally {
    await client.closeConnection().catch(() => {});
  }
}

// ---------------------------------------------------------------- Redis
async function seedRedis(data: DemoData): Promise<void> {
  const redis = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect().catch((err) => {
      throw lastError ?? err;
    });
    // Reset: delete every demo:* key (SCAN, never KEYS), then write the plan.
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'demo:*', 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    for (const batch of chunked(data.cache, 500)) {
      const pipeline = redis.pipeline();
      for (const entry of batch) {
        if (entry.ttlSeconds === null) pipeline.set(entry.key, entry.value);
        else pipeline.set(entry.key, entry.value, 'EX', entry.ttlSeconds);
      }
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    }
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------- demo/PLANTED.md
function plantedMarkdown(data: DemoData): string {
  const p = data.planted;
  const m = demoMigrations();
  const label = (x: DemoMigration) => x.upFile.replace(/\.up\.sql$/, '');
  const ids = (list: Array<number | string>) => list.map((x) => `\`${x}\``).join(', ');
  const c = data.counts;
  return `# What the demo seeder planted

Written by \`scripts/seed-demo.ts\` on every run (\`npm run demo\`). The data set is deterministic:
the same ids every run; only timestamps move with the time of seeding.

## The data set
| store | where | what |
|---|---|---|
| PostgreSQL | schema \`${DEMO_SCHEMA}\`, table \`documents\` | ${c.documents} documents (\`id\`, \`title\`, \`status\`, \`version\`, \`created_at\`, \`updated_at\`) |
| PostgreSQL | schema \`${DEMO_SCHEMA}\`, table \`chunks\` | ${c.chunks} chunks (\`id\`, \`document_id\` with no foreign key, \`ordinal\`, \`content\`, \`content_hash\` = md5(content), \`embedded\`, \`updated_at\`) |
| Milvus | collection \`${DEMO_COLLECTION}\` | ${c.vectors} vectors: \`id\` (int64 pk = chunk id), \`document_id\`, \`model\`, \`content_hash\` (of the text embedded), \`embedded_at\` (epoch ms), \`embedding\` (FloatVector, dim ${VECTOR_DIM}); FLAT/COSINE index, loaded |
| Redis | db 0, \`${CACHE_PREFIX}{id}\` | ${c.cacheKeys - p.forbiddenKeys.length} cached documents as JSON \`{id, title, status, version, updated_at}\`, TTL at most ${CACHE_TTL_MAX_S} s (cache-aside) |
| Redis | db 0, \`${FORBIDDEN_PREFIX}*\` | ${p.forbiddenKeys.length} keys of the old v1 namespace that should be gone |

Current embedding model: \`${CURRENT_MODEL}\`. A chunk with \`embedded = false\` is not embedded yet and
has no vector by design.

## Planted faults
"Found by" is the check and finding code of demo/dbcheck.yml that reports the fault.

| kind | count | ids | found by |
|---|---|---|---|
| chunk marked embedded, no vector in Milvus | ${p.chunksWithoutVector.length} | chunks ${ids(p.chunksWithoutVector)} | reference-integrity \`missing-vector\` |
| vector without a chunk (chunk row deleted, vector kept) | ${p.vectorsWithoutChunk.length} | vectors ${ids(p.vectorsWithoutChunk)} | reference-integrity \`orphan-vector\` |
| orphan chunks: their document was deleted (no FK); their vectors remain | ${p.orphanChunks.length} | documents ${ids(p.deletedDocuments)}; chunks ${ids(p.orphanChunks)} | orphan-scan \`orphan-row\` (chunks) and \`orphan-milvus-entity\` (their vectors), one finding per document |
| stale vector: chunk text edited after embedding (\`content_hash\` differs, \`embedded_at\` < \`updated_at\`) | ${p.staleContentVectors.length} | chunks ${ids(p.staleContentVectors)} | reference-integrity \`stale-vector\` |
| stale vector: embedded with the old model \`${OLD_MODEL}\` | ${p.staleModelVectors.length} | chunks ${ids(p.staleModelVectors)} | reference-integrity \`model-mismatch\` (one finding for all) |
| duplicate embedding (a copy of another chunk's vector) | ${p.duplicateEmbeddings.length} | ${p.duplicateEmbeddings.map((d) => `\`${d.copy}\` copies \`${d.original}\``).join(', ')} | none yet: reference-integrity \`duplicate-vector\` finds duplicated keys, not duplicated values |
| cached document stale: older \`version\` and \`updated_at\` than the row, which changed 2 days ago | ${p.cacheStale.length} | \`${CACHE_PREFIX}\` ${ids(p.cacheStale)} | cache-drift \`stale-entry\` |
| cached document differs: same \`version\` and \`updated_at\`, different \`title\` | ${p.cacheDiffers.length} | \`${CACHE_PREFIX}\` ${ids(p.cacheDiffers)} | cache-drift \`mismatch\` |
| cached document without a TTL | ${p.cacheNoTtl.length} | \`${CACHE_PREFIX}\` ${ids(p.cacheNoTtl)} | cache-drift \`missing-ttl\` |
| cached document whose row is gone | ${p.cacheRowGone.length} | \`${CACHE_PREFIX}\` ${ids(p.cacheRowGone)} | cache-drift \`orphan-key\`, orphan-scan \`orphan-redis-key\` |
| keys in the forbidden old namespace \`${FORBIDDEN_PREFIX}*\` (no TTL) | ${p.forbiddenKeys.length} | ${ids(p.forbiddenKeys)} | cache-drift \`forbidden-key\` (one finding for all) |

## Migrations
\`demo/migrations\` holds plain SQL \`<version>_<name>.up.sql\` / \`.down.sql\` files; the seeder applies
them like a deploy would and records each in \`${DEMO_SCHEMA}.schema_migrations\` (\`version\`, \`applied_at\`).

| kind | migrations | found by |
|---|---|---|
| applied | ${ids(m.applied.map(label))} | |
| applied without a down script (cannot be rolled back) | ${ids(m.applied.filter((x) => !x.hasDown).map(label))} | rollback-validation \`no-down-script\` |
| on disk but never applied | ${ids(m.pending.map(label))} | rollback-validation \`pending\` |
| down scripts that destroy data (drop a table or a column) | ${ids(m.applied.filter((x) => x.hasDown).map(label))} | rollback-validation \`destructive-rollback\` |

Cache entries expire like real ones (the planted faulty entries after 55-60 minutes, the healthy
ones sooner): audit within the hour after seeding, or seed again (\`npm run demo\` does both).

Not faults (a correct audit stays quiet about them): ${p.pendingChunks.length} chunks with
\`embedded = false\` and no vector yet (${ids(p.pendingChunks)}).

Milvus Lite overwrites a row inserted again with the same primary key, so a duplicated primary key
cannot be planted there; the duplicate planted is a duplicated embedding under two chunk ids.
`;
}

// ---------------------------------------------------------------- main
function explain(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const message = e?.message ?? String(err);
  if (/ECONNREFUSED|UNAVAILABLE|No connection established|Connection is closed/.test(message + (e?.code ?? ''))) {
    return `${message.split('\n')[0]}\n  Are the servers up? Run \`npm run services:up\`.`;
  }
  return message.split('\n')[0] ?? message;
}

async function main(): Promise<void> {
  const started = Date.now();
  const data = buildDemoData();
  await seedPostgres(data);
  await seedMilvus(data);
  await seedRedis(data);
  writeFileSync(join(ROOT, 'demo', 'PLANTED.md'), plantedMarkdown(data));
  const c = data.counts;
  console.log(
    `seed-demo: ${c.documents} documents, ${c.chunks} chunks (Postgres ${DEMO_SCHEMA}), ` +
      `${c.vectors} vectors (Milvus ${DEMO_COLLECTION}), ${c.cacheKeys} keys (Redis demo:*) ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s; faults listed in demo/PLANTED.md`,
  );
}

main().catch((err) => {
  console.error(`seed-demo: ${explain(err)}`);
  process.exitCode = 1;
});
