/**
 * One shard function for every store (src/shard.ts, exported from `dbcheck`): the Postgres condition (`shardSql`)
 * picks exactly the rows the JS predicate (`shardOf`) gives the shard, on real Postgres, for the
 * keys where a mistake would hide: negative integers, 0, integers above 2^53, INT64_MIN/MAX (as
 * integers and as text), text just past int64 or not canonical ("042", "+42", "-0"), uuids (a uuid
 * column prints lower case; text holding an upper-case uuid is hashed as written) and non-ASCII text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf, shardSql } from '../../src/plugin.js';
import { createPgSchema, type PgFixture } from '../helpers/stores.js';

const INTEGERS = ['-9223372036854775808', '-9223372036854775807', '-7', '-1', '0', '1', '42', '9007199254740993', '9223372036854775807'];
const UUIDS = ['0f8fad5b-d9cb-469f-a165-70867728950e', '7C9E6679-7425-40DE-944B-E07FC1F90AE7'];
const TEXTS = ['', 'k-1', `it's "quoted"`, 'ü', '日本語', '😀 emoji', '-0', '042', '+42', '9223372036854775808', '12', '-12', ...UUIDS];

describe('the shard function in Postgres and in JS', () => {
  let pg: PgFixture;
  beforeAll(async () => {
    pg = await createPgSchema('shardfn');
    const s = `"${pg.schema}"`;
    await pg.client.query(`CREATE TABLE ${s}.ints (k bigint)`);
    await pg.client.query(`INSERT INTO ${s}.ints SELECT unnest($1::bigint[])`, [INTEGERS]);
    await pg.client.query(`CREATE TABLE ${s}.uuids (k uuid)`);
    await pg.client.query(`INSERT INTO ${s}.uuids SELECT unnest($1::uuid[])`, [UUIDS]);
    await pg.client.query(`CREATE TABLE ${s}.texts (k text)`);
    await pg.client.query(`INSERT INTO ${s}.texts SELECT unnest($1::text[])`, [TEXTS]);
  });
  afterAll(async () => pg?.cleanup());

  const cases: Array<[string, string[], 'integer' | 'text']> = [
    ['ints', INTEGERS, 'integer'],
    ['ints', INTEGERS, 'text'], // the same integers read as text (a text column in an int64 mapping)
    ['uuids', UUIDS.map((u) => u.toLowerCase()), 'text'], // what `uuid::text` prints: the canonical text
    ['texts', TEXTS, 'text'],
  ];
  for (const [table, canonical, as] of cases) {
    it(`${table} as ${as}: each shard's rows in SQL are the keys the JS function gives it`, async () => {
      for (const count of [2, 3, 7, 1000]) {
        for (let index = 0; index < Math.min(count, 8); index++) {
          const where = shardSql({ index, count }, as === 'integer' ? { integer: 'k' } : { text: 'k::text' })!;
          const { rows } = await pg.client.query<{ k: string }>(`SELECT k::text AS k FROM "${pg.schema}".${table} WHERE ${where}`);
          const expected = canonical.filter((k) => shardOf(k, count) === index).sort();
          expect(rows.map((r) => r.k).sort(), `${table} ${index}/${count}`).toEqual(expected);
        }
      }
    });
  }

  it('an upper-case uuid held as text is not the uuid: hashed as written, like every store compares it', () => {
    expect(shardOf(UUIDS[1], 1000)).not.toBe(shardOf(UUIDS[1].toLowerCase(), 1000));
  });
});
