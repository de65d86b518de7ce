/**
 * Sharded runs and baselines on real Postgres, Redis and Milvus (issue 16 items 1 and 4):
 * - 3 shards (`run.shard`, i.e. --shard i/3) merged give exactly the single run's totals, findings
 *   and consistency ratios, for reference-integrity (int64 keys above 2^53, VarChar keys),
 *   orphan-scan (Milvus, Redis and Postgres relations) and cache-drift; and each shard reads about
 *   a third of the Postgres rows and Redis values (Milvus: every key, it cannot hash);
 * - a baseline: one more planted fault is exactly one new finding; one fault removed is exactly one
 *   resolved; --fail-on-new fails only on the new one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { builtinChecks } from '../../checks/index.js';
import { resolveConfig } from '../../src/config/load.js';
import { applyBaseline } from '../../src/engine/baseline.js';
import { loadChecks } from '../../src/engine/load-checks.js';
import { mergeReports } from '../../src/engine/merge.js';
import { planAudit } from '../../src/engine/plan.js';
import type { Report } from '../../src/engine/result.js';
import { exitCodeFor, runAudit } from '../../src/engine/run.js';
import { consistencyOf } from '../../src/report/consistency.js';
import {
  createMilvusCollection,
  createMilvusCollectionName,
  createPgSchema,
  createRedisPrefix,
  testStoresConfig,
  type PgFixture,
  type RedisFixture,
} from '../helpers/stores.js';

type MilvusFixture = Awaited<ReturnType<typeof createMilvusCollectionName>>;

const BIG = 9007199254740992n; // 2^53
const CHECKS = ['reference-integrity', 'orphan-scan', 'cache-drift'];

/** The collection of `m`, with a 4-dim vector field, loaded and filled (test/helpers/stores.ts). */
function createCollection(m: MilvusFixture, fields: object[], rows: object[]) {
  return createMilvusCollection(m.client, m.collection, fields, rows);
}

describe('sharded runs and baselines', () => {
  let pg: PgFixture;
  let redis: RedisFixture;
  let ints: MilvusFixture;
  let texts: MilvusFixture;
  let checks: Record<string, unknown>;

  beforeAll(async () => {
    pg = await createPgSchema('shard');
    redis = await createRedisPrefix('shard');
    ints = await createMilvusCollectionName('shard_int');
    texts = await createMilvusCollectionName('shard_txt');
    const s = `"${pg.schema}"`;
    // 300 small ids and 40 above 2^53 (Number() cannot tell BIG and BIG + 1 apart).
    const docIds = [...Array.from({ length: 300 }, (_, i) => BigInt(i + 1)), ...Array.from({ length: 40 }, (_, i) => BIG + BigInt(i))];
    await pg.client.query(`CREATE TABLE ${s}.docs (id bigint PRIMARY KEY, title text NOT NULL)`);
    await pg.client.query(`INSERT INTO ${s}.docs SELECT unnest($1::bigint[]), 'title'`, [docIds.map(String)]);
    // Every 7th doc has no vector; 25 vectors have no doc.
    const vectors = [...docIds.filter((id) => id % 7n !== 0n), ...Array.from({ length: 25 }, (_, i) => BIG + 1000n + BigInt(i))];
    await createCollection(
      ints,
      [{ name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false }],
      vectors.map((id) => ({ id: String(id) })),
    );
    // VarChar keys, with quotes and non-BMP characters; each entity names a doc (some gone).
    const names = Array.from({ length: 120 }, (_, i) => `k-${i}${i % 10 === 0 ? `'"😀` : ''}`);
    await pg.client.query(`CREATE TABLE ${s}.notes (id text PRIMARY KEY)`);
    await pg.client.query(`INSERT INTO ${s}.notes SELECT unnest($1::text[])`, [names.filter((_, i) => i % 11 !== 0)]);
    await createCollection(
      texts,
      [
        { name: 'id', data_type: DataType.VarChar, max_length: 64, is_primary_key: true, autoID: false },
        { name: 'doc_id', data_type: DataType.Int64 },
      ],
      [...names.filter((_, i) => i % 13 !== 0), 'extra-1', 'extra-2ü'].map((id, i) => ({
        id,
        doc_id: String(i % 9 === 0 ? BIG + 5000n + BigInt(i) : docIds[i % docIds.length]),
      })),
    );
    // Postgres children without a foreign key; some parents gone.
    await pg.client.query(`CREATE TABLE ${s}.chunks (id serial PRIMARY KEY, document_id bigint NOT NULL)`);
    await pg.client.query(`INSERT INTO ${s}.chunks (document_id) SELECT unnest($1::bigint[])`, [
      [...docIds.slice(0, 50), ...Array.from({ length: 30 }, (_, i) => 70_000 + i)].map(String),
    ]);
    // Redis: cached docs (every 5th with another title), and keys of docs that are gone.
    const p = redis.prefix;
    const pipeline = redis.redis.pipeline();
    for (const [i, id] of docIds.entries())
      if (i % 3 === 0) pipeline.set(`${p}doc:${id}`, JSON.stringify({ id: String(id), title: i % 5 === 0 ? 'old' : 'title' }));
    for (let i = 0; i < 30; i++) pipeline.set(`${p}doc:${90_000 + i}`, JSON.stringify({ id: String(90_000 + i), title: 'title' }));
    await pipeline.exec();

    const docs = { schema: pg.schema, table: 'docs', column: 'id' };
    checks = {
      'reference-integrity': {
        mappings: [
          { name: 'docs', postgres: { schema: pg.schema, table: 'docs', key: 'id' }, milvus: { collection: ints.collection } },
          { name: 'notes', postgres: { schema: pg.schema, table: 'notes', key: 'id' }, milvus: { collection: texts.collection } },
        ],
        milvusPageSize: 37, // many pages: shards must agree on keys across page boundaries
      },
      'orphan-scan': {
        milvus: [{ name: 'note-docs', collection: texts.collection, field: 'doc_id', parent: docs }],
        redis: [{ name: 'doc-cache', pattern: `${p}doc:{id}`, parent: docs }],
        postgres: [{ name: 'chunks', child: { schema: pg.schema, table: 'chunks', column: 'document_id' }, parent: docs }],
      },
      'cache-drift': {
        mappings: [
          { key: `${p}doc:{id}`, table: `${pg.schema}.docs`, fields: { id: 'id', title: 'title' }, strategy: { type: 'write-through' } },
        ],
      },
    };
  }, 180_000);

  afterAll(async () => {
    await pg?.cleanup();
    await redis?.cleanup();
    await ints?.cleanup();
    await texts?.cleanup();
  });

  async function audit(shard?: string): Promise<Report> {
    const { config, errors } = resolveConfig(
      { stores: testStoresConfig(), run: { maxFindings: 10_000, ...(shard ? { shard } : {}) }, checks },
      { baseDir: process.cwd(), env: {} },
    );
    if (!config) throw new Error(JSON.stringify(errors));
    const { plan, errors: planErrors } = planAudit(config, await loadChecks(builtinChecks, []), { only: CHECKS });
    if (planErrors.length) throw new Error(JSON.stringify(planErrors));
    return runAudit({ config, plan });
  }

  const findingsOf = (r: Report) =>
    r.checks.flatMap((c) => c.findings.map((f) => `${f.fingerprint} ${f.code} ${f.subject?.key ?? ''} ${f.message}`)).sort();

  it('3 shards merged equal one run: totals, per-code counts, findings and exit code', async () => {
    const single = await audit();
    const shards = [await audit('0/3'), await audit('1/3'), await audit('2/3')];
    for (const c of single.checks) expect(c.error, c.id).toBeUndefined();
    // Every check found something, in more than one shard: the split is real.
    for (const id of CHECKS) {
      expect(single.checks.find((c) => c.id === id)!.findings.length, id).toBeGreaterThan(5);
      expect(shards.filter((r) => r.checks.find((c) => c.id === id)!.findings.length > 0).length, id).toBe(3);
    }
    const merged = mergeReports(shards);
    expect(merged.summary).toEqual(single.summary);
    expect(merged.exitCode).toBe(single.exitCode);
    for (const c of single.checks) {
      const m = merged.checks.find((x) => x.id === c.id)!;
      expect([m.status, m.counts, m.countsByCode], c.id).toEqual([c.status, c.counts, c.countsByCode]);
    }
    expect(findingsOf(merged)).toEqual(findingsOf(single));
    // Key counters add up exactly (each key compared in exactly one shard).
    const ri = (r: Report) => r.checks.find((c) => c.id === 'reference-integrity')!.stats.mappings as any;
    for (const name of ['docs', 'notes']) {
      for (const k of ['rowsCompared', 'postgresRows', 'milvusEntities', 'missing', 'orphans'])
        expect(ri(merged)[name][k], `${name}.${k}`).toBe(ri(single)[name][k]);
    }
    // Each shard READ about a third: Postgres filters by the shard hash in its WHERE (Milvus cannot
    // hash: it sends every key to every shard); Redis values and Postgres child rows likewise.
    const sumOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    for (const name of ['docs', 'notes']) {
      const total = ri(single)[name].postgresRowsRead as number;
      const perShard = shards.map((r) => ri(r)[name].postgresRowsRead as number);
      expect(total, name).toBe(ri(single)[name].postgresRows);
      expect(sumOf(perShard), name).toBe(total);
      for (const n of perShard) expect(n, `${name}: ${perShard}`).toBeLessThan(total / 2);
      for (const r of shards) expect(ri(r)[name].milvusEntitiesRead, name).toBe(ri(single)[name].milvusEntitiesRead);
    }
    const relation = (r: Report) => (r.checks.find((c) => c.id === 'orphan-scan')!.stats.relations as any).chunks;
    expect(relation(single).childRows).toBe(80);
    expect(sumOf(shards.map((r) => relation(r).childRows))).toBe(80);
    for (const r of shards) expect(relation(r).childRows).toBeLessThan(40);
    const cached = (r: Report) => Object.values(r.checks.find((c) => c.id === 'cache-drift')!.stats.mappings as any)[0] as any;
    const entries = shards.map((r) => cached(r).entriesCompared as number);
    expect(sumOf(entries)).toBe(cached(single).entriesCompared);
    for (const n of entries) expect(n).toBeLessThan(cached(single).entriesCompared / 2);
    // orphan-scan's 'sum' counters too: each relation's rowsCompared (Milvus: the shard's entities,
    // though every shard pages the whole collection) and the overall one.
    const scan = (r: Report) => r.checks.find((c) => c.id === 'orphan-scan')!.stats as any;
    for (const name of ['note-docs', 'doc-cache', 'chunks'])
      expect(scan(merged).relations[name].rowsCompared, name).toBe(scan(single).relations[name].rowsCompared);
    expect(scan(merged).rowsCompared).toBe(scan(single).rowsCompared);
    // Every number a built-in check records is declared (meta.stats): none is left unmerged.
    for (const id of CHECKS) expect(merged.checks.find((c) => c.id === id)!.stats.unmerged, id).toBeUndefined();
    // Consistency ratios (reference-integrity, the Postgres relation, the cache mapping) are the single run's.
    for (const id of CHECKS)
      expect(consistencyOf(merged.checks.find((c) => c.id === id)!), id).toEqual(consistencyOf(single.checks.find((c) => c.id === id)!));
    expect(consistencyOf(single.checks.find((c) => c.id === 'orphan-scan')!).find((c) => c.name === 'chunks')).toMatchObject({
      compared: 80,
      inconsistent: 30,
    });
    expect(consistencyOf(single.checks.find((c) => c.id === 'cache-drift')!)[0]).toMatchObject({ unit: 'entries', problem: 'drifted' });

    // int64 keys above 2^53 are judged exactly: BIG + 7 (a multiple of 7) is missing, BIG + 1 is not.
    const missing = single.checks
      .find((c) => c.id === 'reference-integrity')!
      .findings.filter((f) => f.code === 'missing-vector')
      .map((f) => f.subject?.key);
    expect(missing).not.toContain(String(BIG + 1n));
    expect(missing).toContain(String(BIG + ((7n - (BIG % 7n)) % 7n)));
  }, 300_000);

  it('a baseline: one planted fault is exactly one new finding; one fault removed is exactly one resolved', async () => {
    const baseline = await audit();
    const s = `"${pg.schema}"`;
    await pg.client.query(`INSERT INTO ${s}.chunks (document_id) VALUES (80000)`); // one more orphan row
    await pg.client.query(`DELETE FROM ${s}.chunks WHERE document_id = 70000`); // one orphan fixed
    try {
      const now = await audit();
      applyBaseline(now, baseline, { failOnNew: false });
      const all = now.checks.flatMap((c) => c.findings);
      expect(all.filter((f) => f.baseline === 'new').map((f) => [f.code, f.subject?.key])).toEqual([['orphan-row', '80000']]);
      expect(all.filter((f) => f.baseline === 'unknown')).toEqual([]);
      expect(now.baseline!.resolved.map((f) => f.code)).toEqual(['orphan-row']);
      expect(now.baseline!.resolved[0].message).toContain('70000');
      expect(now.baseline).toMatchObject({ new: 1, unknown: 0, notCompared: 0, resolvedUnknown: [] });
      // New findings come first in their check.
      expect(now.checks.find((c) => c.id === 'orphan-scan')!.findings[0].subject?.key).toBe('80000');

      // --fail-on-new: the new error fails the run; against itself as the baseline, nothing is new: 0.
      applyBaseline(now, baseline, { failOnNew: true });
      expect(exitCodeFor(now)).toBe(1);
      const again = await audit();
      applyBaseline(again, now, { failOnNew: true });
      expect(again.baseline).toMatchObject({ new: 0, unchanged: again.checks.reduce((n, c) => n + c.findings.length, 0), resolved: [] });
      expect(exitCodeFor(again)).toBe(0);
      expect(again.summary.findings.error).toBeGreaterThan(0); // findings remain: without a baseline, exit 1
    } finally {
      await pg.client.query(`DELETE FROM ${s}.chunks WHERE document_id = 80000`);
      await pg.client.query(`INSERT INTO ${s}.chunks (document_id) VALUES (70000)`);
    }
  }, 300_000);
});
