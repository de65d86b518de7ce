/**
 * Promise: odd or hostile input gets a clear answer, never a crash, never a stack trace, and never
 * reaches the database as SQL. Identifiers from config are always quoted (a real table named with
 * quotes, spaces, mixed case and reserved words works; an injection attempt is an inert, clearly
 * reported missing table). Odd data — binary Redis keys, keys that contain the pattern's
 * separator, huge values, values of the wrong type, Milvus varchar keys with quotes and
 * backslashes, NULL Postgres keys — is judged, not choked on. Nasty config files exit 2 cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import cacheDrift from '../../checks/cache-drift/index.js';
import orphanScan from '../../checks/orphan-scan/index.js';
import referenceIntegrity from '../../checks/reference-integrity/index.js';
import { runCheck } from '../helpers/check-tester.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { createMilvusCollectionName, createPgSchema, createRedisPrefix, type PgFixture, type RedisFixture } from '../helpers/stores.js';
import { MILVUS_ADDRESS, PG_DATABASE, PG_HOST, PG_PORT, PG_USER, REDIS_HOST, REDIS_PORT } from '../helpers/stores.js';
import { checkOf, createMilvusCollection, jsonReport, STACK_TRACE } from './support.js';

const INJECTION = 'x"; DROP TABLE victims; --';

describe('identifiers from config are quoted, never interpolated', () => {
  let fx: PgFixture;
  let milvus: Awaited<ReturnType<typeof createMilvusCollectionName>>;
  const WEIRD = 'Weird "Docs" select';
  const CHILD = 'from'; // a reserved word

  beforeAll(async () => {
    fx = await createPgSchema('hostile_ids');
    const s = `"${fx.schema}"`;
    await fx.client.query(`CREATE TABLE ${s}.victims (id int)`);
    await fx.client.query(`INSERT INTO ${s}.victims VALUES (1), (2)`);
    await fx.client.query(`CREATE TABLE ${s}."Weird ""Docs"" select" ("Order Id" bigint PRIMARY KEY)`);
    await fx.client.query(`INSERT INTO ${s}."Weird ""Docs"" select" SELECT generate_series(1, 10)`);
    await fx.client.query(`CREATE TABLE ${s}."from" ("Parent-ID" bigint, "select" text)`);
    // 12 and 13 have no parent; NULL is no reference at all, so it is no orphan either.
    await fx.client.query(`INSERT INTO ${s}."from" VALUES (1, 'a'), (2, 'b'), (12, 'c'), (13, 'd'), (13, 'e'), (NULL, 'f')`);
    milvus = await createMilvusCollectionName('hostile_ids');
    const { DataType } = await import('@zilliz/milvus2-sdk-node');
    await createMilvusCollection(
      milvus.client,
      milvus.collection,
      [{ name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false }],
      [{ id: '1' }],
    );
  }, 60_000);
  afterAll(async () => {
    await milvus?.cleanup();
    await fx?.cleanup();
  });

  async function victimsIntact() {
    const r = await fx.client.query(`SELECT count(*)::int AS n FROM "${fx.schema}".victims`);
    expect(r.rows[0].n).toBe(2);
  }

  it('a table and columns named with quotes, spaces, mixed case and reserved words are read correctly', async () => {
    const result = await runCheck(orphanScan, {
      options: {
        postgres: [
          {
            child: { schema: fx.schema, table: CHILD, column: 'Parent-ID' },
            parent: { schema: fx.schema, table: WEIRD, column: 'Order Id' },
          },
        ],
      },
    });
    expect(result.status, result.error?.message).toBe('fail');
    expect(result.countsByCode['orphan-row']).toBe(2);
    expect(result.findings.map((f) => f.subject?.key).sort()).toEqual(['12', '13']);
  });

  it(`an injection attempt in a table name (${INJECTION}) is a clear missing-table error, and inert`, async () => {
    const viaOrphanScan = await runCheck(orphanScan, {
      options: {
        postgres: [
          { child: { schema: fx.schema, table: INJECTION, column: 'id' }, parent: { schema: fx.schema, table: 'victims', column: 'id' } },
        ],
      },
    });
    expect(viaOrphanScan.status).toBe('error');
    // The checks look names up in the catalog first: the name never reaches SQL text at all.
    expect(viaOrphanScan.error?.code).toMatch(/^(CONFIG|STORE_MISSING_OBJECT)$/);
    // The message may name the relation first ("postgres[0].child: …"); the missing table is said plainly.
    expect(viaOrphanScan.error?.message).toContain(`Postgres table ${fx.schema}.${INJECTION} does not exist`);
    expect(viaOrphanScan.error?.message).not.toMatch(STACK_TRACE);
    await victimsIntact();

    const viaReferenceIntegrity = await runCheck(referenceIntegrity, {
      options: { mappings: [{ postgres: { schema: fx.schema, table: INJECTION, key: 'id' }, milvus: { collection: milvus.collection } }] },
    });
    expect(viaReferenceIntegrity.status).toBe('error');
    expect(viaReferenceIntegrity.error?.code).toMatch(/^(CONFIG|STORE_MISSING_OBJECT)$/);
    expect(viaReferenceIntegrity.error?.message).toMatch(/does not exist/);
    expect(viaReferenceIntegrity.error?.message).toContain(INJECTION);
    await victimsIntact();

    const viaCacheDrift = await runCheck(cacheDrift, {
      options: { mappings: [{ key: 'hostile:{id}', table: `${fx.schema}.${INJECTION}`, strategy: { type: 'write-through' } }] },
    });
    expect(viaCacheDrift.status).toBe('error');
    expect(viaCacheDrift.error?.message).toContain(INJECTION);
    expect(viaCacheDrift.error?.message).toMatch(/does not exist|not found/);
    await victimsIntact();
  });

  it('an injection attempt in a column name is a clear missing-column error, and inert', async () => {
    const result = await runCheck(orphanScan, {
      options: {
        postgres: [
          {
            child: { schema: fx.schema, table: 'victims', column: INJECTION },
            parent: { schema: fx.schema, table: 'victims', column: 'id' },
          },
        ],
      },
    });
    expect(result.status).toBe('error');
    expect(result.error?.code).toMatch(/^(CONFIG|STORE_MISSING_OBJECT)$/);
    expect(result.error?.message).toContain(`Postgres table ${fx.schema}.victims has no column "${INJECTION.replace(/"/g, '\\"')}"`);
    await victimsIntact();
  });
});

describe('odd data', () => {
  let fx: PgFixture;
  let redis: RedisFixture;
  let milvus: Awaited<ReturnType<typeof createMilvusCollectionName>>;
  const KEYS = [
    'plain',
    'with "double" quotes',
    "with 'single' quotes",
    'back\\slash',
    'trailing\\',
    '\\"both\\"',
    'unicode ✓ ключ',
    'in [1, 2] && x',
  ];

  beforeAll(async () => {
    fx = await createPgSchema('hostile_data');
    redis = await createRedisPrefix('hostile');
    milvus = await createMilvusCollectionName('hostile');
    const s = `"${fx.schema}"`;
    await fx.client.query(`CREATE TABLE ${s}.docs (id bigint PRIMARY KEY, title text)`);
    await fx.client.query(`INSERT INTO ${s}.docs SELECT g, 'doc ' || g FROM generate_series(1, 10) g`);
    // Varchar keys with quotes and backslashes; one NULL key (no reference: not missing anything).
    await fx.client.query(`CREATE TABLE ${s}.chunks (n serial PRIMARY KEY, chunk_key text)`);
    for (const k of KEYS.slice(0, -1)) await fx.client.query(`INSERT INTO ${s}.chunks (chunk_key) VALUES ($1)`, [k]);
    await fx.client.query(`INSERT INTO ${s}.chunks (chunk_key) VALUES (NULL)`);
    const { DataType } = await import('@zilliz/milvus2-sdk-node');
    // Milvus has every key but 'back\slash', plus one the table lacks.
    await createMilvusCollection(
      milvus.client,
      milvus.collection,
      [{ name: 'key', data_type: DataType.VarChar, max_length: 64, is_primary_key: true, autoID: false }],
      KEYS.filter((k) => k !== 'back\\slash').map((key) => ({ key })),
    );
  }, 120_000);
  afterAll(async () => {
    await redis?.cleanup();
    await milvus?.cleanup();
    await fx?.cleanup();
  });

  for (const mode of ['full', 'sample'] as const) {
    it(`Milvus varchar keys with quotes and backslashes compare exactly (${mode} mode); a NULL key is no finding`, async () => {
      const result = await runCheck(referenceIntegrity, {
        options: {
          mappings: [
            {
              postgres: { schema: fx.schema, table: 'chunks', key: 'chunk_key' },
              milvus: { collection: milvus.collection },
              mode,
              sampleSize: 100,
            },
          ],
        },
      });
      expect(result.status, result.error?.message).toBe('fail');
      const keys = (code: string) => result.findings.filter((f) => f.code === code).map((f) => f.subject?.key);
      expect(keys('missing-vector')).toEqual(['back\\slash']);
      if (mode === 'full') expect(keys('orphan-vector')).toEqual(['in [1, 2] && x']);
    });
  }

  it('Redis keys that are binary or contain the separator, huge values and wrong types are judged, not choked on', async () => {
    const r = redis.redis;
    const p = redis.prefix;
    const entry = (id: number) => JSON.stringify({ id, title: `doc ${id}` });
    await r.set(`${p}doc:1`, entry(1));
    await r.set(`${p}doc:2`, JSON.stringify({ id: 2, title: 'x'.repeat(8 * 1024 * 1024) })); // 8 MiB, and wrong
    await r.rpush(`${p}doc:3`, 'a list', 'where a string belongs');
    await r.set(`${p}doc:4`, '{"id": 4, "title": "doc 4"'); // truncated JSON
    await r.set(`${p}doc:5:extra`, entry(5)); // the separator inside the id part
    await r.set(Buffer.concat([Buffer.from(`${p}doc:`), Buffer.from([0xff, 0xfe, 0x00, 0x0a])]), entry(6)); // binary id
    await r.set(`${p}doc:7`, Buffer.from([0xc3, 0x28, 0xff])); // invalid UTF-8 value
    const result = await runCheck(cacheDrift, {
      options: { mappings: [{ key: `${p}doc:{id}`, table: `${fx.schema}.docs`, strategy: { type: 'write-through' } }] },
    });
    expect(result.status, result.error?.message).toBe('fail');
    const byKey = Object.fromEntries(result.findings.map((f) => [f.subject?.key, f.code]));
    expect(byKey[`${p}doc:1`]).toBeUndefined();
    expect(byKey[`${p}doc:2`]).toBe('mismatch');
    expect(byKey[`${p}doc:3`]).toBe('undecodable');
    expect(byKey[`${p}doc:4`]).toBe('undecodable');
    expect(byKey[`${p}doc:7`]).toBe('undecodable');
    // Findings stay one short line: the 8 MiB value is not pasted into the message.
    for (const f of result.findings) expect(f.message.length).toBeLessThan(2_000);
    // Every key was looked at; the two whose id part is not an id of this pattern (the separator
    // inside it, binary bytes) are counted as ignored, not guessed at.
    expect(result.stats).toMatchObject({ keysScanned: 7, keysMatched: 5, keysIgnored: 2 });
    expect(result.findings).toHaveLength(4);
  }, 60_000);
});

describe('nasty config files through the CLI: exit 2, one clear message, no stack trace', () => {
  const aliasBomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 10; i++)
    aliasBomb.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['an alias bomb', aliasBomb.join('\n'), /invalid YAML: .*alias/i],
    ['an alias without its anchor', 'stores: *nowhere\n', /invalid YAML/],
    ['binary garbage', Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x3a, 0x3a, 0x7b]), /dbcheck\.yml/],
    ['a file over 1 MiB', `# ${'x'.repeat(1024 * 1024)}\n`, /at most 1 MiB/],
    ['wrong types', 'stores:\n  postgres: { port: "many" }\nrun: { concurrency: -1 }\n', /stores\.postgres\.port: expected number/],
    [
      'an unknown check, with a typo',
      'stores: { postgres: {} }\nchecks:\n  orphan-scn: {}\n',
      /unknown check "orphan-scn" \(did you mean "orphan-scan"\?\)/,
    ],
    [
      'a check section of the wrong shape',
      'stores: { postgres: {} }\nchecks:\n  cache-drift: { mappings: "all of them" }\n',
      /checks\.cache-drift\.mappings/,
    ],
    ['deep nesting', `${'['.repeat(3000)}${']'.repeat(3000)}`, /must be a mapping|invalid YAML/],
  ];
  for (const [name, content, message] of cases) {
    it(name, async () => {
      const dir = tempDir({ 'dbcheck.yml': '' });
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${dir}/dbcheck.yml`, content);
      for (const command of ['validate', 'audit']) {
        const r = await runCli([command], { cwd: dir });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(STACK_TRACE);
        expect(r.stderr).not.toContain('internal error');
        expect(r.stdout).toBe('');
      }
    });
  }
});

describe('store text never drives the terminal', () => {
  // A real Redis key that would clear the screen, retitle the window and paint a fake verdict.
  const EVIL_ID = '\x1b]0;PWNED\x07\x1b[2J\rOK 0 errors\u202e\x9b';
  // Every raw control character of the key: none may reach a human-readable output.
  const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
  let pg: PgFixture;
  let redis: RedisFixture;

  beforeAll(async () => {
    pg = await createPgSchema('hostile_tty');
    redis = await createRedisPrefix('hostile_tty');
    await pg.client.query(`CREATE TABLE "${pg.schema}".documents (id bigint PRIMARY KEY)`);
    await redis.redis.set(`${redis.prefix}doc:${EVIL_ID}`, 'x');
  });
  afterAll(async () => {
    await redis?.cleanup();
    await pg?.cleanup();
  });

  it('orphan-scan of a key with ESC, BEL, CR, C1 and bidi characters: escaped in the table and on stderr, exact in JSON', async () => {
    const dir = tempDir({
      'dbcheck.yml': `stores:
  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE} }
  redis: { host: ${REDIS_HOST}, port: ${REDIS_PORT} }
  milvus: { address: "${MILVUS_ADDRESS}" }
checks:
  orphan-scan:
    redis:
      - pattern: '${redis.prefix}doc:{id}'
        parent: { schema: ${pg.schema}, table: documents, column: id }
    severity: { orphan-redis-key: error }
`,
    });
    const table = await runCli(['audit', '--only', 'orphan-scan', '--verbose'], { cwd: dir });
    expect(table.code, table.stderr).toBe(1);
    expect(table.stdout).toContain('orphan-redis-key');
    expect(table.stdout + table.stderr).not.toMatch(RAW_CONTROL);
    // Shown visibly instead.
    expect(table.stdout).toContain('\\x1b]0;PWNED\\x07\\x1b[2J\\x0dOK 0 errors\\u202e\\x9b');

    const json = await runCli(['audit', '--only', 'orphan-scan', '-f', 'json'], { cwd: dir });
    expect(json.code).toBe(1);
    expect(json.stderr).not.toMatch(RAW_CONTROL);
    const finding = checkOf(jsonReport(json), 'orphan-scan').findings[0];
    expect(finding.subject?.key).toBe(`${redis.prefix}doc:${EVIL_ID}`); // JSON keeps the exact text
  }, 120_000); // two CLI runs; a loaded shared machine takes 20 s+ each
});
