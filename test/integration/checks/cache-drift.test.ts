/**
 * cache-drift against real Redis and Postgres: each test seeds its own schema and key prefix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import check from '../../../checks/cache-drift/index.js';
import { runCheck, type RunCheckOptions } from '../../helpers/check-tester.js';
import { createPgSchema, createRedisPrefix, REDIS_HOST, REDIS_PORT, type PgFixture, type RedisFixture } from '../../helpers/stores.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Fixture {
  pg: PgFixture;
  redis: RedisFixture['redis'];
  /** Key prefix, e.g. "cd_1a2b3c4d:". */
  p: string;
  /** Schema-qualified table name for config. */
  t(name: string): string;
  sql(text: string, params?: unknown[]): Promise<unknown>;
}

async function fixture(): Promise<Fixture> {
  const pg = await createPgSchema('cdrift');
  const r = await createRedisPrefix('cdrift');
  cleanups.push(
    () => pg.cleanup(),
    () => r.cleanup(),
  );
  return {
    pg,
    redis: r.redis,
    p: r.prefix,
    t: (name) => `${pg.schema}.${name}`,
    sql: (text, params) => pg.client.query(text.replaceAll('$S', `"${pg.schema}"`), params as unknown[]),
  };
}

/** A documents table: id, title, price, active, updated_at, email. */
async function docsTable(f: Fixture, rows: Array<[number, string, string, boolean, string, string | null]>) {
  await f.sql(
    `CREATE TABLE $S.docs (id bigint PRIMARY KEY, title text, price numeric(10,2), active boolean, updated_at timestamptz NOT NULL, email text)`,
  );
  for (const r of rows) await f.sql(`INSERT INTO $S.docs VALUES ($1, $2, $3, $4, $5, $6)`, r);
}

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const MIN = 60_000;

function run(options: Record<string, unknown>, extra: Omit<RunCheckOptions, 'options'> = {}) {
  return runCheck(check, { options, ...extra });
}

const codes = (r: { countsByCode: Record<string, number> }) => r.countsByCode;
const finding = (r: { findings: Array<{ code: string; subject?: { key?: string } }> }, code: string, key?: string) =>
  r.findings.find((x) => x.code === code && (key === undefined || x.subject?.key === key)) as any;

describe('cache-drift: write-through', () => {
  it('passes equal JSON entries and reports stale, mismatching and orphan entries', async () => {
    const f = await fixture();
    const t0 = '2024-03-01T10:00:00.000Z';
    const t1 = '2024-03-01T11:00:00.000Z';
    await docsTable(f, [
      [1, 'same', '9.90', true, t1, 'a@x.io'],
      [2, 'new title', '5.00', true, t1, 'b@x.io'],
      [3, 'row title', '5.00', false, t1, 'secret@x.io'],
    ]);
    const doc = (id: number, title: string, price: number, active: boolean, at: string, email: string) =>
      JSON.stringify({ id, title, price, active, updatedAt: at, email });
    await f.redis.set(`${f.p}doc:1`, doc(1, 'same', 9.9, true, t1, 'a@x.io'));
    await f.redis.set(`${f.p}doc:2`, doc(2, 'old title', 5, true, t0, 'b@x.io')); // older: stale
    await f.redis.set(`${f.p}doc:3`, doc(3, 'cache title', 5, false, t1, 'leaked@x.io')); // same version: mismatch
    await f.redis.set(`${f.p}doc:4`, doc(4, 'gone', 1, true, t1, 'c@x.io')); // no row: orphan
    await f.redis.set(`${f.p}doc:1:meta`, 'not a document'); // another family: ignored

    const result = await run({
      mappings: [
        {
          key: `${f.p}doc:{id}`,
          table: f.t('docs'),
          fields: { id: 'id', title: 'title', price: 'price', active: 'active', updated_at: 'updatedAt', email: 'email' },
          sensitive: ['email'],
          strategy: { type: 'write-through', version: 'updated_at' },
        },
      ],
    });

    expect(result.status).toBe('fail');
    expect(codes(result)).toEqual({ 'stale-entry': 1, mismatch: 1, 'orphan-key': 1 });
    expect(finding(result, 'stale-entry').subject.key).toBe(`${f.p}doc:2`);
    expect(finding(result, 'stale-entry').message).toContain(`(updated_at: cache ${t0}, row ${t1})`);
    const mismatch = finding(result, 'mismatch');
    expect(mismatch.subject.key).toBe(`${f.p}doc:3`);
    expect(mismatch.message).toContain('title (cache "cache title", row "row title")');
    expect(mismatch.data.fields).toEqual([
      { column: 'title', path: 'title', cache: 'cache title', row: 'row title' },
      { column: 'email', path: 'email', cache: '<redacted>', row: '<redacted>' },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/leaked@x\.io|secret@x\.io/);
    expect(finding(result, 'orphan-key').subject.key).toBe(`${f.p}doc:4`);
    expect(result.stats).toMatchObject({ keysScanned: 5, keysMatched: 4, keysIgnored: 1, rowsFetched: 3, entriesCompared: 4 });
    expect(result.stats.findings).toEqual({ 'stale-entry': 1, mismatch: 1, 'orphan-key': 1 });
  });

  it('normalises hash values: numbers as text, booleans as 1/0, epoch timestamps, NULL as absent, precision', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.items (id bigint PRIMARY KEY, qty int, price numeric(12,4), ratio double precision, active boolean,
                   created_at timestamp, updated_at timestamptz, note text, big bigint, meta jsonb)`);
    await f.sql(`INSERT INTO $S.items VALUES
      (1, 3, 12.5000, 0.1, true, '2024-03-01 10:00:00', '2024-03-01T10:00:00.250Z', NULL, 9007199254740993, '{"a":1,"b":[1,2]}'),
      (2, 3, 12.5000, 0.1, false, '2024-03-01 10:00:00', '2024-03-01T10:00:00.250Z', 'n', 1, '{}')`);
    await f.redis.hset(`${f.p}item:1`, {
      id: '1',
      qty: '3',
      price: '12.5',
      ratio: '0.1000004',
      active: '1',
      created_at: '1709287200', // epoch seconds of a timestamp without time zone (taken as UTC)
      updated_at: '1709287200250', // epoch ms
      // note absent: NULL
      big: '9007199254740993',
      meta: '{"b":[1,2],"a":1}',
    });
    await f.redis.hset(`${f.p}item:2`, {
      id: '2',
      qty: '3',
      price: '12.50',
      ratio: '0.1',
      active: 'true', // should be false
      created_at: '2024-03-01T10:00:00Z',
      updated_at: '2024-03-01T10:00:00.250Z',
      note: 'n',
      big: '1',
      meta: '{}',
    });

    const result = await run({
      mappings: [
        {
          key: `${f.p}item:{id}`,
          encoding: 'hash',
          table: f.t('items'),
          fields: {
            id: 'id',
            qty: 'qty',
            price: 'price',
            ratio: { precision: 5 },
            active: 'active',
            created_at: 'created_at',
            updated_at: 'updated_at',
            note: 'note',
            big: 'big',
            meta: 'meta',
          },
          strategy: { type: 'write-through' },
        },
      ],
    });
    expect(codes(result)).toEqual({ mismatch: 1 });
    const m = finding(result, 'mismatch');
    expect(m.subject.key).toBe(`${f.p}item:2`);
    expect(m.data.fields).toEqual([{ column: 'active', path: 'active', cache: 'true', row: false }]);
  });

  it('matches composite placeholders against composite keys', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.tdocs (tenant text, id bigint, title text, PRIMARY KEY (tenant, id))`);
    await f.sql(`INSERT INTO $S.tdocs VALUES ('acme', 1, 'a1'), ('acme', 2, 'a2'), ('beta', 1, 'b1')`);
    await f.redis.set(`${f.p}tenant:acme:doc:1`, JSON.stringify({ title: 'a1' }));
    await f.redis.set(`${f.p}tenant:acme:doc:2`, JSON.stringify({ title: 'WRONG' }));
    await f.redis.set(`${f.p}tenant:beta:doc:1`, JSON.stringify({ title: 'b1' }));
    await f.redis.set(`${f.p}tenant:beta:doc:2`, JSON.stringify({ title: 'b2' })); // no row
    await f.redis.set(`${f.p}tenant:beta:doc:x`, JSON.stringify({ title: 'bx' })); // id is no bigint: no row
    await f.redis.set(`${f.p}tenant:a:b:doc:1`, JSON.stringify({ title: '?' })); // tenant would contain ':'

    const result = await run({
      mappings: [
        {
          key: `${f.p}tenant:{tenant}:doc:{id}`,
          table: f.t('tdocs'),
          fields: { title: 'title' },
          strategy: { type: 'write-through' },
        },
      ],
    });
    expect(codes(result)).toEqual({ mismatch: 1, 'orphan-key': 2 });
    expect(finding(result, 'mismatch').subject.key).toBe(`${f.p}tenant:acme:doc:2`);
    const orphans = result.findings
      .filter((x) => x.code === 'orphan-key')
      .map((x) => x.subject?.key)
      .sort();
    expect(orphans).toEqual([`${f.p}tenant:beta:doc:2`, `${f.p}tenant:beta:doc:x`]);
    const reasons = result.findings.filter((x) => x.code === 'orphan-key').map((x) => String(x.data?.reason));
    expect(reasons.filter((r) => r.startsWith('invalid-key'))).toHaveLength(1); // doc:x, not doc:2
    expect(result.stats).toMatchObject({ keysMatched: 5, keysIgnored: 1, rowsFetched: 3 });
  });

  it('compares every column by default, minus ignored ones, and treats rows outside `where` as gone', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.users (id int PRIMARY KEY, name text, deleted boolean NOT NULL DEFAULT false, internal text)`);
    await f.sql(`INSERT INTO $S.users VALUES (1, 'ann', false, 'x'), (2, 'bob', true, 'y')`);
    await f.redis.set(`${f.p}user:1`, JSON.stringify({ id: 1, name: 'ann', deleted: false }));
    await f.redis.set(`${f.p}user:2`, JSON.stringify({ id: 2, name: 'bob', deleted: true }));
    const result = await run({
      mappings: [
        { key: `${f.p}user:{id}`, table: f.t('users'), where: 'NOT deleted', ignore: ['internal'], strategy: { type: 'write-through' } },
      ],
    });
    expect(codes(result)).toEqual({ 'orphan-key': 1 });
    expect(finding(result, 'orphan-key').message).toContain('filtered out by where');
  });
});

describe('cache-drift: write-behind', () => {
  it('allows a lead within maxLag and reports lag-exceeded, stale and mismatching entries', async () => {
    const f = await fixture();
    const rowAt = iso(60 * MIN);
    await docsTable(f, [
      [1, 'flushed', '1.00', true, rowAt, null],
      [2, 'old', '1.00', true, rowAt, null],
      [3, 'old', '1.00', true, rowAt, null],
      [4, 'new', '1.00', true, rowAt, null],
      [5, 'row', '1.00', true, rowAt, null],
    ]);
    const entry = (title: string, at: string) => JSON.stringify({ title, updated_at: at });
    await f.redis.set(`${f.p}doc:1`, entry('flushed', rowAt)); // in sync
    await f.redis.set(`${f.p}doc:2`, entry('pending', iso(5_000))); // leads by 5 s: fine
    await f.redis.set(`${f.p}doc:3`, entry('stuck', iso(30 * MIN))); // leads for 30 min: lag-exceeded
    await f.redis.set(`${f.p}doc:4`, entry('older', iso(2 * 60 * MIN))); // older than its row
    await f.redis.set(`${f.p}doc:5`, entry('cache', rowAt)); // same version, other content
    await f.redis.set(`${f.p}doc:6`, entry('inserted', iso(2_000))); // new, not flushed yet: fine

    const result = await run({
      mappings: [
        {
          key: `${f.p}doc:{id}`,
          table: f.t('docs'),
          fields: { title: 'title', updated_at: 'updated_at' },
          strategy: { type: 'write-behind', version: 'updated_at', maxLag: '1m' },
        },
      ],
    });
    expect(codes(result)).toEqual({ 'lag-exceeded': 1, 'stale-entry': 1, mismatch: 1 });
    expect(finding(result, 'lag-exceeded').subject.key).toBe(`${f.p}doc:3`);
    expect(finding(result, 'lag-exceeded').message).toMatch(/leads its row .* by (29\.\d|30)m \(maxLag 60s\)/);
    expect(finding(result, 'stale-entry').subject.key).toBe(`${f.p}doc:4`);
    expect(finding(result, 'mismatch').subject.key).toBe(`${f.p}doc:5`);
    expect(result.stats.pendingWrites).toBe(2);
  });

  it('judges a number version by maxVersionLead', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.counters (id int PRIMARY KEY, v bigint, total int)`);
    await f.sql(`INSERT INTO $S.counters VALUES (1, 10, 100), (2, 10, 100)`);
    await f.redis.hset(`${f.p}ctr:1`, { v: '11', total: '101' });
    await f.redis.hset(`${f.p}ctr:2`, { v: '15', total: '105' });
    const result = await run({
      mappings: [
        {
          key: `${f.p}ctr:{id}`,
          encoding: 'hash',
          table: f.t('counters'),
          fields: { v: 'v', total: 'total' },
          strategy: { type: 'write-behind', version: 'v', maxVersionLead: 2 },
        },
      ],
    });
    expect(codes(result)).toEqual({ 'lag-exceeded': 1 });
    expect(finding(result, 'lag-exceeded').data).toMatchObject({ versionLead: 5, maxVersionLead: 2 });
  });
});

describe('cache-drift: cache-aside', () => {
  it('tolerates staleness the TTL allows and reports the rest', async () => {
    const f = await fixture();
    const [h1, h3, h4, m10] = [iso(60 * MIN), iso(3 * 60 * MIN), iso(4 * 60 * MIN), iso(10 * MIN)];
    await docsTable(f, [
      [1, 'same', '1.00', true, h3, null],
      [2, 'changed recently', '1.00', true, m10, null],
      [3, 'changed long ago', '1.00', true, h3, null],
      [4, 'row', '1.00', true, h3, null],
      [5, 'never cached', '1.00', true, h3, null], // absent entries are fine in cache-aside
    ]);
    const set = (id: number, title: string, at: string, ttlSeconds?: number) => {
      const value = JSON.stringify({ title, updatedAt: at });
      return ttlSeconds ? f.redis.set(`${f.p}doc:${id}`, value, 'EX', ttlSeconds) : f.redis.set(`${f.p}doc:${id}`, value);
    };
    await set(1, 'same', h3, 1800);
    await set(2, 'before the change', h4, 1800); // row changed 10 min ago < 1h TTL: lawful
    await set(3, 'before the change', h4, 1800); // row changed 3h ago > 1h: stale
    await set(4, 'other', h3, 1800); // same version, other content
    await set(6, 'no row', h1, 1800); // orphan
    await set(7, 'forever', h1); // no TTL: error in cache-aside (and orphan)

    const result = await run({
      mappings: [
        {
          key: `${f.p}doc:{id}`,
          table: f.t('docs'),
          fields: { title: 'title', updated_at: 'updatedAt' },
          strategy: { type: 'cache-aside', version: 'updated_at' },
          ttl: { max: '1h' },
        },
      ],
    });
    expect(codes(result)).toEqual({ 'stale-entry': 1, mismatch: 1, 'orphan-key': 2, 'missing-ttl': 1 });
    expect(finding(result, 'stale-entry').subject.key).toBe(`${f.p}doc:3`);
    expect(finding(result, 'mismatch').subject.key).toBe(`${f.p}doc:4`);
    expect(finding(result, 'missing-ttl').subject.key).toBe(`${f.p}doc:7`);
    expect(finding(result, 'missing-ttl').message).toContain('cache-aside entries must expire');
    expect(result.stats.staleWithinTtl).toBe(1);
    // The table says why this entry was not reported (issue 14.6).
    expect(result.stats.notJudged).toMatchObject({ 'cache entries older than their row, within the allowed staleness (TTL)': 1 });
  });
});

describe('cache-drift: cache-aside with a number version (issue 11 item 15)', () => {
  it('reports an older cached version as stale without updatedAt, and judges it by updatedAt with one', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.p (id int PRIMARY KEY, v bigint NOT NULL, title text, updated_at timestamptz NOT NULL)`);
    await f.sql(`INSERT INTO $S.p VALUES (1, 7, 'now', $1), (2, 7, 'now', $2), (3, 7, 'now', $2)`, [iso(10 * MIN), iso(3 * 60 * MIN)]);
    const set = (id: number, v: number, title: string) => f.redis.set(`${f.p}p:${id}`, JSON.stringify({ v, title }), 'EX', 1800);
    await set(1, 6, 'before'); // older; the row changed 10 min ago
    await set(2, 6, 'before'); // older; the row changed 3 h ago
    await set(3, 7, 'now'); // current
    const mapping = {
      key: `${f.p}p:{id}`,
      table: f.t('p'),
      fields: { v: 'v', title: 'title' },
      strategy: { type: 'cache-aside', version: 'v' },
    };

    // No updatedAt: no time to judge by, so an older version is stale. (Before: a CONFIG error.)
    const noTime = await run({ mappings: [{ ...mapping, fields: { v: { type: 'number' }, title: 'title' } }] });
    expect(noTime.status, JSON.stringify(noTime.error)).toBe('fail');
    expect(codes(noTime)).toEqual({ 'stale-entry': 2 });
    // Item 18: both versions are decimal text, and the message quotes them alike.
    const stale = finding(noTime, 'stale-entry', `${f.p}p:1`);
    expect(stale.data).toMatchObject({ version: 'v', cacheVersion: '6', rowVersion: '7' });
    expect(stale.message).toBe(`${f.p}p:1 is older than its row in ${f.t('p')} (v: cache 6, row 7)`);

    // With updatedAt and ttl.max 1h: 10 min ago is within the allowance, 3 h ago is not.
    const timed = await run({
      // updated_at is read from the row only: the cache need not hold it
      mappings: [{ ...mapping, strategy: { ...mapping.strategy, updatedAt: 'updated_at' }, ttl: { max: '1h' } }],
    });
    expect(codes(timed)).toEqual({ 'stale-entry': 1 });
    expect(finding(timed, 'stale-entry').subject.key).toBe(`${f.p}p:2`);
    expect(timed.stats.staleWithinTtl).toBe(1);
  });
});

describe('cache-drift: TTL policy and namespaces', () => {
  it('reports keys without TTL and keys beyond the max TTL', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.s (id int PRIMARY KEY, v text)`);
    await f.sql(`INSERT INTO $S.s VALUES (1, 'a'), (2, 'a'), (3, 'a')`);
    await f.redis.set(`${f.p}s:1`, '{"v":"a"}', 'EX', 60);
    await f.redis.set(`${f.p}s:2`, '{"v":"a"}');
    await f.redis.set(`${f.p}s:3`, '{"v":"a"}', 'EX', 7200);
    const result = await run({
      mappings: [
        {
          key: `${f.p}s:{id}`,
          table: f.t('s'),
          fields: { v: 'v' },
          strategy: { type: 'write-through' },
          ttl: { required: true, max: '5m' },
        },
      ],
    });
    expect(codes(result)).toEqual({ 'missing-ttl': 1, 'ttl-out-of-range': 1 });
    expect(finding(result, 'missing-ttl').subject.key).toBe(`${f.p}s:2`);
    expect(finding(result, 'ttl-out-of-range').subject.key).toBe(`${f.p}s:3`);
    expect(finding(result, 'ttl-out-of-range').message).toContain('TTL 2h is above the max 5m');
  });

  it('reports forbidden namespaces with exact counts and examples', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.s (id int PRIMARY KEY, v text)`);
    await f.sql(`INSERT INTO $S.s VALUES (1, 'a')`);
    await f.redis.set(`${f.p}v2:s:1`, '{"v":"a"}');
    for (let i = 0; i < 12; i++) await f.redis.set(`${f.p}v1:s:${i}`, '{}');
    const result = await run({
      mappings: [{ key: `${f.p}v2:s:{id}`, table: f.t('s'), fields: { v: 'v' }, strategy: { type: 'write-through' } }],
      forbidden: [{ match: `${f.p}v1:*`, reason: 'v1 keys were invalidated in the v2 migration' }, { match: `${f.p}v0:*` }],
      examples: 3,
    });
    expect(codes(result)).toEqual({ 'forbidden-key': 1 });
    const fk = finding(result, 'forbidden-key');
    expect(fk.data.count).toBe(12);
    expect(fk.data.examples).toHaveLength(3);
    expect(fk.message).toContain(`12 key(s) match forbidden ${f.p}v1:*`);
    expect(result.stats.forbiddenKeys).toBe(12);
  });
});

describe('cache-drift: bad data and config mistakes', () => {
  it('reports values that are not what the encoding says', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.s (id int PRIMARY KEY, v text)`);
    await f.sql(`INSERT INTO $S.s VALUES (1, 'a'), (2, 'a'), (3, 'a')`);
    await f.redis.set(`${f.p}s:1`, '{"v": "a", broken');
    await f.redis.hset(`${f.p}s:2`, { v: 'a' });
    await f.redis.set(`${f.p}s:3`, '[1,2]');
    await f.redis.set(`${f.p}h:1`, '{"v":"a"}'); // a string where a hash is expected
    const result = await run({
      mappings: [
        { key: `${f.p}s:{id}`, table: f.t('s'), fields: { v: 'v' }, strategy: { type: 'write-through' } },
        { key: `${f.p}h:{id}`, encoding: 'hash', table: f.t('s'), fields: { v: 'v' }, strategy: { type: 'write-through' } },
      ],
    });
    expect(codes(result)).toEqual({ undecodable: 4 });
    expect(finding(result, 'undecodable', `${f.p}s:1`).message).toContain('not valid JSON');
    expect(finding(result, 'undecodable', `${f.p}s:2`).message).toContain('the key is a Redis hash, not a string');
    expect(finding(result, 'undecodable', `${f.p}s:3`).message).toContain('JSON array, expected an object');
    expect(finding(result, 'undecodable', `${f.p}h:1`).message).toContain('not a valid hash entry: the key is a Redis string, not a hash');
  });

  it('says so when a key pattern matches nothing', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.s (id int PRIMARY KEY, v text)`);
    await f.redis.set(`${f.p}document:1`, '{}');
    const result = await run({ mappings: [{ key: `${f.p}doc:{id}`, table: f.t('s'), strategy: { type: 'write-through' } }] });
    // a warning: visible in every report, and failing the run with --fail-on warn
    expect(result.status).toBe('pass');
    expect(result.counts.warn).toBe(1);
    expect(codes(result)).toEqual({ 'no-keys': 1 });
    expect(finding(result, 'no-keys').message).toBe(
      `no key matches ${f.p}doc:{id} (SCAN MATCH ${f.p}doc:*) in Redis db 0: likely a config mistake`,
    );
  });

  it('rejects invalid options before touching a store', async () => {
    await expect(run({ mappings: [{ key: 'doc:{id', table: 'x', strategy: { type: 'write-through' } }] })).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringContaining("unbalanced '{'"),
    });
    await expect(
      run({ mappings: [{ key: 'doc:{id}', table: 'x', strategy: { type: 'write-behind', version: 'v' } }] }),
    ).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringContaining('needs maxLag'),
    });
  });

  // Preflight (issue 11 items 3, 12): every mistake of every mapping in one round, exit 2 (CONFIG), no row read.
  it('reports every mapping mistake at once as config problems: missing table, unknown column, other db, uncomparable key type', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.s (id int PRIMARY KEY, v text, score double precision)`);
    await f.redis.set(`${f.p}s:1`, '{"v":"a"}');
    const result = await run({
      mappings: [
        { key: `${f.p}s:{id}`, table: f.t('nope'), strategy: { type: 'write-through' } },
        { name: 'fields', key: `${f.p}s:{id}`, table: f.t('s'), fields: { nope: 'x', v: 'v' }, strategy: { type: 'write-through' } },
        { name: 'db', key: `${f.p}s:{id}`, db: 3, table: f.t('s'), strategy: { type: 'write-through' } },
        { name: 'float', key: `${f.p}s:{score}`, table: f.t('s'), fields: { v: 'v' }, strategy: { type: 'write-through' } },
        { name: 'fine', key: `${f.p}s:{id}`, table: f.t('s'), fields: { v: 'v' }, strategy: { type: 'write-through' } },
      ],
    });
    expect(result.status).toBe('error');
    expect(result.error?.code).toBe('CONFIG');
    expect(result.configProblems).toEqual([
      {
        path: 'mappings[0].table',
        message: `mapping ${f.p}s:{id}: table ${f.t('nope')} not found in Postgres postgres (check the table name and its schema)`,
      },
      { path: 'mappings[1].fields.nope', message: `mapping fields: field "nope" is not a column of ${f.t('s')}` },
      { path: 'mappings[2].db', message: 'mapping db is in Redis db 3, but the redis store is db 0 (run it with stores.redis.db: 3)' },
      {
        path: 'mappings[3].key',
        message:
          'mapping float: key placeholder {score} (Redis key text) cannot be compared with its column: column score is double precision, which cannot hold a key (integer, text or uuid types can)',
      },
    ]);
    expect(result.stats.keysScanned).toBeUndefined(); // the scan never started
  });

  it('refuses in preflight a version whose column type cannot be a version, and a timestamp version without an allowance', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.s (id int PRIMARY KEY, v text, at timestamptz)`);
    const result = await run({
      mappings: [
        { key: `${f.p}s:{id}`, table: f.t('s'), strategy: { type: 'write-through', version: 'v' } },
        { key: `${f.p}s:{id}`, table: f.t('s'), strategy: { type: 'write-behind', version: 'at', maxVersionLead: 2 } },
      ],
    });
    expect(result.error?.code).toBe('CONFIG');
    expect(result.configProblems?.map((p) => `${p.path}: ${p.message}`)).toEqual([
      `mappings[0].strategy.version: mapping ${f.p}s:{id}: version column v must be a number or a timestamp (it compares as string)`,
      `mappings[1].strategy: mapping ${f.p}s:{id}: write-behind with a timestamp version (at) needs maxLag`,
    ]);
  });

  it('matches uuid, text and integer key columns by value, exactly (checks/lib/key-types.ts)', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.u (id uuid, tag varchar(10), n numeric(12,0), v text, PRIMARY KEY (id, tag, n))`);
    await f.sql(`INSERT INTO $S.u VALUES ('0b6e9d3e-5c0a-4c1e-9a6d-2f1b1c3d4e5f', 'red', 10, 'a')`);
    // an upper-case uuid is the same uuid: the same row
    await f.redis.set(`${f.p}u:0B6E9D3E-5C0A-4C1E-9A6D-2F1B1C3D4E5F:red:10`, '{"v":"a"}');
    // 010 is not the canonical text of an integer (never read through a float or a lenient parse): no row
    await f.redis.set(`${f.p}u:0b6e9d3e-5c0a-4c1e-9a6d-2f1b1c3d4e5f:red:010`, '{"v":"a"}');
    const result = await run({
      mappings: [{ key: `${f.p}u:{id}:{tag}:{n}`, table: f.t('u'), fields: { v: 'v' }, strategy: { type: 'write-through' } }],
    });
    expect(result.error).toBeUndefined();
    expect(codes(result)).toEqual({ 'orphan-key': 1 });
    expect(finding(result, 'orphan-key').subject.key).toBe(`${f.p}u:0b6e9d3e-5c0a-4c1e-9a6d-2f1b1c3d4e5f:red:010`);
    expect(result.stats).toMatchObject({ entriesCompared: 2, rowsFetched: 1 });
  });
});

describe('cache-drift: big values stay within valueBudget (issue 11 item 7)', () => {
  it('reports a value larger than the budget without reading it, and reads the rest in chunks that fit', async () => {
    const f = await fixture();
    // A private Redis, so its output byte counter shows what this check read and nothing else.
    const { startRedisServer } = await import('../../helpers/redis-server.js');
    const { Redis } = await import('ioredis');
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const redis = new Redis({ host: '127.0.0.1', port: server.port });
    cleanups.push(async () => redis.disconnect());
    await f.sql(`CREATE TABLE $S.b (id int PRIMARY KEY, title text)`);
    await f.sql(`INSERT INTO $S.b SELECT g, 't' || g FROM generate_series(1, 40) g`);
    const body = 'x'.repeat(20_000);
    for (let i = 1; i <= 40; i++) await redis.set(`b:${i}`, JSON.stringify({ title: i === 7 ? 'drift' : `t${i}`, body }), 'EX', 600);
    await redis.set('b:41', JSON.stringify({ title: 'huge', body: 'y'.repeat(5 * 1024 * 1024) }), 'EX', 600);
    await redis.hset('h:1', { title: 't1', body: 'z'.repeat(300_000) });
    const outBytes = async () => Number(/total_net_output_bytes:(\d+)/.exec(await redis.info('stats'))![1]);
    const before = await outBytes();

    const result = await run(
      {
        mappings: [
          { key: 'b:{id}', table: f.t('b'), fields: { title: 'title' }, strategy: { type: 'cache-aside' } },
          { key: 'h:{id}', encoding: 'hash', table: f.t('b'), fields: { title: 'title' }, strategy: { type: 'write-through' } },
        ],
        valueBudget: '128KB', // a fair share of 64 KB per page in flight: 3 values of 20 KB per read
        scanCount: 10,
      },
      { stores: { redis: { host: '127.0.0.1', port: server.port } } },
    );
    const read = (await outBytes()) - before;
    expect(result.error).toBeUndefined();
    expect(codes(result)).toEqual({ 'oversized-entry': 2, mismatch: 1 });
    const huge = finding(result, 'oversized-entry', 'b:41');
    expect(huge.data).toMatchObject({
      bytes: JSON.stringify({ title: 'huge', body: 'y'.repeat(5 * 1024 * 1024) }).length,
      budget: 131_072,
      measure: 'STRLEN',
    });
    expect(huge.message).toBe(
      `b:41 was not compared: its value is ${huge.data.bytes} bytes, above valueBudget 131072 bytes (raise valueBudget to compare it)`,
    );
    expect(finding(result, 'oversized-entry', 'h:1').data.measure).toBe('MEMORY USAGE');
    expect(finding(result, 'mismatch').subject.key).toBe('b:7');
    expect(result.stats).toMatchObject({ keysOversized: 2, entriesCompared: 40 });
    // The 40 small values (~800 KB) were read; the 5 MB one and the 300 KB hash never were.
    expect(read).toBeGreaterThan(40 * 20_000);
    expect(read).toBeLessThan(40 * 20_000 + 300_000);
  });

  it('reads a value above the per-page share but within the budget, alone', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.b (id int PRIMARY KEY, title text)`);
    await f.sql(`INSERT INTO $S.b VALUES (1, 'a'), (2, 'b')`);
    await f.redis.set(`${f.p}b:1`, JSON.stringify({ title: 'a', body: 'x'.repeat(100_000) })); // > 128 KB / 2, < 128 KB
    await f.redis.set(`${f.p}b:2`, JSON.stringify({ title: 'B' }));
    const result = await run({
      mappings: [{ key: `${f.p}b:{id}`, table: f.t('b'), fields: { title: 'title' }, strategy: { type: 'write-through' } }],
      valueBudget: 131_072,
    });
    expect(codes(result)).toEqual({ mismatch: 1 });
    expect(result.stats).toMatchObject({ entriesCompared: 2, keysOversized: 0 });
  });
});

describe('cache-drift: scope and failures', () => {
  it('checks only `sample` keys and marks the result partial', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.s (id int PRIMARY KEY, v text)`);
    await f.sql(`INSERT INTO $S.s SELECT g, 'a' FROM generate_series(1, 300) g`);
    const pipe = f.redis.pipeline();
    for (let i = 1; i <= 300; i++) pipe.set(`${f.p}s:${i}`, JSON.stringify({ v: i % 2 ? 'a' : 'b' }));
    await pipe.exec();
    const result = await run({
      mappings: [{ key: `${f.p}s:{id}`, table: f.t('s'), fields: { v: 'v' }, strategy: { type: 'write-through' } }],
      sample: 40,
      scanCount: 10,
    });
    expect(result.partial).toBe(true);
    expect(result.stats.keysMatched).toBe(40);
    expect(result.stats.entriesCompared).toBe(40);
    // half the entries drift; a sample of 40 sees some of them, never more than 40
    expect(codes(result).mismatch).toBeGreaterThan(0);
    expect(codes(result).mismatch).toBeLessThanOrEqual(40);
  });

  it('stops at its timeout with the progress so far', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.s (id int PRIMARY KEY, v text)`);
    await f.sql(`INSERT INTO $S.s SELECT g, 'a' FROM generate_series(1, 60000) g`);
    for (let start = 1; start <= 60000; start += 5000) {
      const pipe = f.redis.pipeline();
      for (let i = start; i < start + 5000; i++) pipe.set(`${f.p}s:${i}`, '{"v":"a"}');
      await pipe.exec();
    }
    // ~6,000 pages of 10 keys, each a SCAN, two pipelines and a query (4 round trips): several
    // seconds even on a quiet machine, while a loaded one still gets its first page within 1 s.
    const result = await run(
      {
        mappings: [{ key: `${f.p}s:{id}`, table: f.t('s'), fields: { v: 'v' }, strategy: { type: 'write-through' } }],
        scanCount: 10,
        concurrency: 1,
      },
      { timeoutMs: 1000 },
    );
    expect(result.status).toBe('error');
    expect(result.partial).toBe(true);
    expect(result.stats.keysScanned as number).toBeGreaterThan(0);
    expect(result.stats.keysScanned as number).toBeLessThan(60000);
  });

  it('ends in error, with progress so far, when Redis goes away mid-scan', async () => {
    const f = await fixture();
    await f.sql(`CREATE TABLE $S.s (id int PRIMARY KEY, v text)`);
    await f.sql(`INSERT INTO $S.s SELECT g, 'a' FROM generate_series(1, 5000) g`);
    const pipe = f.redis.pipeline();
    for (let i = 1; i <= 5000; i++) pipe.set(`${f.p}s:${i}`, '{"v":"a"}');
    await pipe.exec();

    // A TCP proxy to Redis that cuts every connection once 30 kB went back to the client, and stays down.
    const proxy = await startTcpProxy(REDIS_PORT, REDIS_HOST);
    proxy.cutAfterBytes(30_000, { refuseNew: true });
    cleanups.push(() => proxy.close());

    const result = await run(
      { mappings: [{ key: `${f.p}s:{id}`, table: f.t('s'), fields: { v: 'v' }, strategy: { type: 'write-through' } }], scanCount: 100 },
      { stores: { redis: { host: '127.0.0.1', port: proxy.port, db: 0 } } },
    );
    expect(proxy.byteCuts).toBe(1);
    expect(result.status).toBe('error');
    expect(result.partial).toBe(true);
    expect(result.error?.message).toMatch(/Redis/);
    expect(result.error?.message).toMatch(/after \d+ keys scanned/);
    expect(result.stats.keysScanned as number).toBeGreaterThan(0);
    expect(result.stats.keysScanned as number).toBeLessThan(5000);
  });
});
