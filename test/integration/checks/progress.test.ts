/**
 * What the built-in scans tell the progress display (ctx.progress), through the real engine on real
 * Postgres, Milvus and Redis: reference-integrity's full mode counts Postgres rows against the
 * planner's estimate (EXPLAIN, no data read) and ends at the exact count; orphan-scan names each
 * relation and counts the Redis keys it matched.
 */
import { DataType } from '@zilliz/milvus2-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import orphanScan from '../../../checks/orphan-scan/index.js';
import referenceIntegrity from '../../../checks/reference-integrity/index.js';
import type { ProgressEvent } from '../../../src/engine/run.js';
import type { Check, CheckProgress } from '../../../src/plugin.js';
import { runCheck } from '../../helpers/run-check.js';
import {
  createMilvusCollection,
  createMilvusCollectionName,
  createPgSchema,
  createRedisPrefix,
  type PgFixture,
  type RedisFixture,
} from '../../helpers/stores.js';

/** Runs one check through the engine; returns its status and every progress it reported, in order. */
async function progressOf(
  check: Check,
  options: Record<string, unknown>,
): Promise<{ status: string; findings: number; progress: CheckProgress[] }> {
  const progress: CheckProgress[] = [];
  const onProgress = (e: ProgressEvent) => {
    if (e.type === 'check-progress') progress.push({ ...e.progress });
  };
  const result = await runCheck(check, { options, onProgress });
  return { status: result.status, findings: result.findings.length, progress };
}

describe('progress reported by the scans', () => {
  let pg: PgFixture;
  let milvus: Awaited<ReturnType<typeof createMilvusCollectionName>>;
  let redis: RedisFixture;

  beforeAll(async () => {
    pg = await createPgSchema('progress');
    milvus = await createMilvusCollectionName('progress');
    redis = await createRedisPrefix('progress');
    await pg.client.query(`CREATE TABLE "${pg.schema}".items (id bigint PRIMARY KEY)`);
    await pg.client.query(`INSERT INTO "${pg.schema}".items SELECT g FROM generate_series(1, 30) g`);
    await pg.client.query(`ANALYZE "${pg.schema}".items`); // the planner's estimate is then exact
    const data = Array.from({ length: 28 }, (_, i) => ({ id: String(i + 1) }));
    const fields = [{ name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false }];
    await createMilvusCollection(milvus.client, milvus.collection, fields, data, { dim: 2 });
    for (const id of [1, 2, 3, 99]) await redis.redis.set(`${redis.prefix}item:${id}`, 'x');
  }, 120_000);

  afterAll(async () => {
    await pg?.cleanup();
    await milvus?.cleanup();
    await redis?.cleanup();
  });

  it('reference-integrity full mode: rows against the planner estimate, ending at the exact count', async () => {
    const mapping = {
      name: 'items',
      postgres: { schema: pg.schema, table: 'items', key: 'id' },
      milvus: { collection: milvus.collection },
    };
    const { status, progress } = await progressOf(referenceIntegrity, { mappings: [mapping] });
    expect(status).toBe('fail'); // rows 29 and 30 have no vector
    expect(progress[0]).toEqual({ done: 0, note: 'mapping items (full mode)' });
    expect(progress.at(-1)).toEqual({ done: 30, total: 30, note: 'mapping items' });
  }, 60_000);

  it('orphan-scan: each relation named, the Redis keys it matched counted', async () => {
    const relation = {
      name: 'cached items',
      pattern: `${redis.prefix}item:{id}`,
      parent: { schema: pg.schema, table: 'items', column: 'id' },
    };
    const { findings, progress } = await progressOf(orphanScan, { redis: [relation] });
    expect(findings).toBe(1); // item:99 has no row
    expect(progress[0]).toEqual({ done: 0, note: 'relation 1 of 1: cached items' });
    expect(progress.at(-1)).toEqual({ done: 4 }); // after the last SCAN page: every key of the pattern
  }, 60_000);
});
