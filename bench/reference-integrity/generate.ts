/**
 * Data for the reference-integrity benchmark, generated once and reused (schema dbcheck_bench,
 * collections dbcheck_bench_items_<n>).
 *
 * Postgres `dbcheck_bench.items_<n>`: ids 1..n (bigint primary key), built with generate_series.
 * Milvus `dbcheck_bench_items_<n>`: one entity per id (scalar int64 field item_id, auto primary
 * key, 2-dim vector), except:
 * - missing:    ids that are multiples of `step` (offset 7) have no entity;
 * - duplicate:  ids that are multiples of `step` (offset 3) have two entities;
 * - orphan:     entities with item_id -1..-k have no row.
 * The key is a scalar field because Milvus Lite silently replaces a repeated primary key, so
 * duplicates can only be planted in a scalar key (real Milvus keeps both).
 * On real Milvus the benchmark keys by the primary key instead (`dbcheck_bench_pk_<n>`, pk = id, no
 * duplicates: real Milvus counts a duplicated primary key twice but returns it once), because a
 * scalar key field is paged in the server's primary-key order there (docs/milvus-paging.md).
 * planted(pgRows, milvusRows) gives the exact expected counts, also when Postgres is the larger side.
 */
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import type pg from 'pg';

export const SCHEMA = 'dbcheck_bench';

export function plantedIn(n: number) {
  const k = Math.max(5, Math.floor(n / 10_000));
  const step = Math.floor(n / k);
  const missing = (id: number) => id % step === 7 % step;
  const duplicate = (id: number) => id % step === 3 % step && !missing(id);
  let missingCount = 0;
  let duplicateCount = 0;
  for (let id = 7 % step || step; id <= n; id += step) if (missing(id)) missingCount++;
  for (let id = 3 % step || step; id <= n; id += step) if (duplicate(id)) duplicateCount++;
  return { k, step, missing, duplicate, missingCount, duplicateCount, orphanCount: k };
}

/** Expected findings when Postgres holds ids 1..pgRows and Milvus the collection of milvusRows. */
export function planted(pgRows: number, milvusRows: number, byPrimaryKey = false) {
  const p = plantedIn(milvusRows);
  return {
    'missing-vector': p.missingCount + Math.max(0, pgRows - milvusRows),
    'orphan-vector': p.orphanCount + Math.max(0, milvusRows - pgRows),
    'duplicate-vector': byPrimaryKey ? 0 : p.duplicateCount,
  };
}

export const tableName = (n: number) => `items_${n}`;
export const collectionName = (n: number) => `dbcheck_bench_items_${n}`;
export const pkCollectionName = (n: number) => `dbcheck_bench_pk_${n}`;

export async function ensurePostgres(client: pg.Client, n: number, log: (s: string) => void): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${SCHEMA}.generated (name text PRIMARY KEY, rows bigint NOT NULL)`);
  const done = await client.query(`SELECT rows FROM ${SCHEMA}.generated WHERE name = $1`, [tableName(n)]);
  if (done.rows.length && Number(done.rows[0].rows) === n) return;
  const t0 = performance.now();
  await client.query(`DROP TABLE IF EXISTS ${SCHEMA}.${tableName(n)}`);
  await client.query(`CREATE TABLE ${SCHEMA}.${tableName(n)} AS SELECT g::bigint AS id FROM generate_series(1, ${n}) g`);
  await client.query(`ALTER TABLE ${SCHEMA}.${tableName(n)} ADD PRIMARY KEY (id)`);
  await client.query(`VACUUM ANALYZE ${SCHEMA}.${tableName(n)}`);
  await client.query(`INSERT INTO ${SCHEMA}.generated VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET rows = excluded.rows`, [
    tableName(n),
    n,
  ]);
  log(`generated Postgres ${SCHEMA}.${tableName(n)} (${n} rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

export async function ensureMilvus(client: MilvusClient, n: number, log: (s: string) => void, byPrimaryKey = false): Promise<void> {
  const name = byPrimaryKey ? pkCollectionName(n) : collectionName(n);
  const p = plantedIn(n);
  const expected = n - p.missingCount + (byPrimaryKey ? 0 : p.duplicateCount) + p.orphanCount;
  const has = await client.hasCollection({ collection_name: name });
  if (has.value) {
    await client.loadCollectionSync({ collection_name: name });
    const c = await client.count({ collection_name: name, consistency_level: 'Strong' } as any);
    if (Number(c.data) === expected) return;
    await client.dropCollection({ collection_name: name });
  }
  const t0 = performance.now();
  const ok = (r: any, what: string) => {
    const code = r?.error_code ?? r?.status?.error_code;
    if (code !== 'Success') throw new Error(`${what}: ${JSON.stringify(r)}`);
  };
  ok(
    await client.createCollection({
      collection_name: name,
      fields: [
        byPrimaryKey
          ? { name: 'item_id', data_type: DataType.Int64, is_primary_key: true, autoID: false }
          : { name: 'pk', data_type: DataType.Int64, is_primary_key: true, autoID: true },
        ...(byPrimaryKey ? [] : [{ name: 'item_id', data_type: DataType.Int64 }]),
        { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
      ],
    } as any),
    'createCollection',
  );
  ok(await client.createIndex({ collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' } as any), 'createIndex');
  ok(await client.loadCollectionSync({ collection_name: name }), 'load');
  const vec = [0.5, 0.5];
  let buffer: Array<{ item_id: string; vec: number[] }> = [];
  const flush = async () => {
    if (!buffer.length) return;
    ok(await client.insert({ collection_name: name, data: buffer } as any), 'insert');
    buffer = [];
  };
  for (let id = 1; id <= n; id++) {
    if (p.missing(id)) continue;
    buffer.push({ item_id: String(id), vec });
    if (p.duplicate(id) && !byPrimaryKey) buffer.push({ item_id: String(id), vec });
    if (buffer.length >= 20_000) await flush();
  }
  for (let o = 1; o <= p.orphanCount; o++) buffer.push({ item_id: String(-o), vec });
  await flush();
  await client.flush({ collection_names: [name] } as any).catch(() => {});
  log(`generated Milvus ${name} (${expected} entities) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
