/**
 * `dbcheck init` on the demo data (scripts/seed-demo.ts: documents, chunks without a foreign key,
 * one vector per chunk, cached documents under demo:doc:{id}): it proposes the mappings a person
 * would write (demo/dbcheck.yml), by sampled values and names, and its output passes
 * `validate --connect`. Documents and chunks share id ranges, so the names must break the tie.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, tempDir } from '../helpers/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCOPE = ['--schemas', 'dbcheck_demo', '--collections', 'dbcheck_demo_chunks', '--redis-match', 'demo:*'];

describe('dbcheck init on the demo data', () => {
  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/seed-demo.ts'], {
      cwd: ROOT,
      timeout: 240_000,
    });
  }, 300_000);

  it('proposes the chunk vectors mapping, the document relations of vectors and cache keys, and validates', async () => {
    const init = await runCli(['init', ...SCOPE], { env: {} });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const proposed = parse(init.stdout);
    expect(proposed.stores).toEqual({
      postgres: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' },
      redis: { host: '127.0.0.1', port: 6379, db: 0 },
      milvus: { address: '127.0.0.1:19530' },
    });
    expect(proposed.checks['reference-integrity'].mappings).toEqual([
      {
        name: 'dbcheck_demo.chunks -> dbcheck_demo_chunks',
        postgres: { schema: 'dbcheck_demo', table: 'chunks', key: 'id' },
        milvus: { collection: 'dbcheck_demo_chunks' },
      },
    ]);
    const orphans = proposed.checks['orphan-scan'];
    expect(orphans.milvus).toEqual([
      {
        name: 'dbcheck_demo_chunks.document_id -> dbcheck_demo.documents',
        collection: 'dbcheck_demo_chunks',
        field: 'document_id',
        parent: { schema: 'dbcheck_demo', table: 'documents', column: 'id' },
      },
    ]);
    // demo:doc:{id} holds document ids (not chunk ids, though every sampled value is both).
    expect(orphans.redis.map((r: any) => [r.pattern, r.parent.table])).toEqual([
      ['demo:doc:{id}', 'documents'],
      ['demo:v1:doc:{id}', 'documents'],
    ]);
    expect(init.stdout).toMatch(/# dbcheck_demo_chunks\.id \(Int64\): \d+ of \d+ sampled values are in dbcheck_demo\.chunks\.id \(int8\)/);

    const dir = tempDir({ 'dbcheck.yml': init.stdout });
    const validate = await runCli(['validate', '-c', path.join(dir, 'dbcheck.yml'), '--connect']);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
  }, 180_000);

  it('a store that cannot be reached is named, the others are still proposed, exit 3', async () => {
    const dir = tempDir({
      'stores.yml':
        'stores:\n  postgres: { host: 127.0.0.1, port: 5432, user: postgres, database: postgres }\n  redis: { host: 127.0.0.1, port: 1, connectTimeout: 2s }\n',
    });
    const init = await runCli(['init', '-c', path.join(dir, 'stores.yml'), '--schemas', 'dbcheck_demo']);
    expect(init.code).toBe(3);
    expect(init.stderr).toMatch(/^dbcheck: init: redis not read: .*127\.0\.0\.1:1/);
    expect(init.stdout).toMatch(/^# NOT READ: redis: /m);
    expect(parse(init.stdout).stores.postgres).toEqual({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  });
});
