/**
 * src/redact.ts: every string that leaves dbcheck goes through redact(). Credentials inside URLs
 * and key=value secrets go by pattern; registered secrets (passwords and tokens from the config)
 * go wherever they appear.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, redactDeep, secretsOf } from '../../src/redact.js';

describe('redact: credentials in URLs', () => {
  it.each([
    ['postgres://app:s3cr3t@db:5432/app', 'postgres://app:***@db:5432/app'],
    ['postgresql://app:p%40ss%2Fw0rd@db/app?sslmode=require', 'postgresql://app:***@db/app?sslmode=require'],
    ['redis://:s3cr3t@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['rediss://default:s3cr3t@cache.internal:6380', 'rediss://default:***@cache.internal:6380'],
    ['https://root:Milvus@milvus:19530', 'https://root:***@milvus:19530'],
    // A raw '@' inside the password: nothing of it may survive.
    ['postgres://u:p@ss@host/db', 'postgres://u:***@host/db'],
    ['connect to POSTGRES://App:Pw@Db/x failed', 'connect to POSTGRES://App:***@Db/x failed'],
    ['two: redis://:a1b2c3@h1/0 and postgres://u:d4e5f6@h2/db', 'two: redis://:***@h1/0 and postgres://u:***@h2/db'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('leaves URLs without a password alone', () => {
    for (const url of [
      'postgres://app@db:5432/app',
      'redis://127.0.0.1:6379/0',
      'http://milvus:19530',
      'Postgres at postgres://u@h:1/db: timed out',
    ]) {
      expect(redact(url)).toBe(url);
    }
  });
});

describe('redact: key=value secrets', () => {
  it.each([
    ['password=hunter22 next', 'password=*** next'],
    ['PASSWORD: "hunter 22"', 'PASSWORD: ***'],
    ["passwd='x y z'", 'passwd=***'],
    ['host=db pwd=abc;port=5432', 'host=db pwd=***;port=5432'],
    ['token=abc.def-ghi&x=1', 'token=***&x=1'],
    ['secret: v3ry', 'secret: ***'],
    ['api_key=zzz, apiKey=yyy, X-Api-Key: www', 'api_key=***, apiKey=***, X-Api-Key: ***'],
    ['{"user":"app","password":"hunter22"}', '{"user":"app","password":***}'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});

describe('redact: dbcheck\'s own "config.path: message" lines stay readable', () => {
  it.each([
    [
      'stores.postgres.password: Invalid input: expected string, received number',
      'stores.postgres.password: Invalid input: expected string, received number',
    ],
    ['stores.milvus.token: unknown key', 'stores.milvus.token: unknown key'],
    // "=" is a value, even after a dotted name (Java-style properties).
    ['spring.datasource.password=hunter22', 'spring.datasource.password=***'],
    ['password: hunter22', 'password: ***'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});

describe('redact: secrets of the config, passed explicitly', () => {
  const stores = {
    postgres: { url: 'postgres://app:Pg%40Url-Pw@db/app', password: 'Plain-Pg-Pw' },
    redis: { host: 'h', password: 'Redis-Pw-1', db: 16 },
    milvus: { address: 'http://root:Milvus-Url-Pw@m:19530', token: 'Milvus-Tok-1', username: 'root' },
  };

  it('secretsOf finds passwords, tokens and URL passwords (raw and decoded), nothing else', () => {
    expect(secretsOf(stores).sort()).toEqual(
      ['Milvus-Tok-1', 'Milvus-Url-Pw', 'Pg%40Url-Pw', 'Pg@Url-Pw', 'Plain-Pg-Pw', 'Redis-Pw-1'].sort(),
    );
  });

  it('a bare secret from the config is removed when passed in', () => {
    const known = secretsOf(stores);
    expect(redact('plugin failed: Redis-Pw-1 / Pg@Url-Pw / Milvus-Tok-1', known)).toBe('plugin failed: *** / *** / ***');
    // No process-wide list: a secret not passed in is not known (the callers pass secretsOf(config.stores)).
    expect(redact('plugin failed: Redis-Pw-1')).toBe('plugin failed: Redis-Pw-1');
    expect(redactDeep({ a: ['x Plain-Pg-Pw'] }, known)).toEqual({ a: ['x ***'] });
  });

  it('secretsOf finds the password of a Milvus address without a scheme (user:password@host:port)', () => {
    expect(secretsOf({ milvus: { address: 'root:Milvus-Bare-Pw@m:19530' } })).toEqual(['Milvus-Bare-Pw']);
  });
});

describe('redact: known secrets', () => {
  it('removes a known secret wherever it appears, even inside words and repeated', () => {
    const known = ['Zq9-Known-Secret'];
    expect(redact('xZq9-Known-Secretx / Zq9-Known-Secret', known)).toBe('x***x / ***');
    expect(redact('WRONGPASS for Zq9-Known-Secret', known)).not.toContain('Known');
  });

  it('ignores values too short to be secrets (they would blank out ordinary text)', () => {
    expect(redact('abc ab', ['ab', ''])).toBe('abc ab');
    expect(secretsOf({ redis: { password: 'ab' } })).toEqual([]);
  });

  it('redactDeep walks objects and arrays, leaves numbers, booleans and Buffers', () => {
    const buf = Buffer.from('raw');
    const out = redactDeep({ a: ['Deep-Secret-77', { b: 'url postgres://u:pw@h/db' }], n: 1, t: true, z: null, buf }, ['Deep-Secret-77']);
    expect(out).toEqual({ a: ['***', { b: 'url postgres://u:***@h/db' }], n: 1, t: true, z: null, buf });
    expect(out.buf).toBe(buf);
  });
});

describe('redact: properties', () => {
  // Secrets contain '#', which the surrounding text never does: no accidental overlap.
  const secret = fc.stringMatching(/^[A-Za-z0-9]{2,12}#[A-Za-z0-9]{2,12}$/);
  const text = fc.string({ unit: fc.constantFrom(...'abcXYZ019 .,-_/@\n'.split('')), maxLength: 40 });

  it('a known secret never survives, whatever surrounds it', () => {
    fc.assert(
      fc.property(secret, text, text, (s, before, after) => {
        expect(redact(`${before}${s}${after}${s}`, [s])).not.toContain(s);
      }),
      { numRuns: 300 },
    );
  });

  it('text with no URL, no key=value and no known secret is left exactly as it was', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(redact(t)).toBe(t);
      }),
      { numRuns: 300 },
    );
  });

  it('a password in any URL never survives', () => {
    const pw = fc.stringMatching(/^[A-Za-z0-9!$%&()*+,;=~-]{3,16}$/).filter((p) => !/^\*+$/.test(p));
    fc.assert(
      fc.property(
        fc.constantFrom('postgres', 'postgresql', 'redis', 'rediss', 'http', 'https'),
        fc.stringMatching(/^[a-z]{0,8}$/),
        pw,
        (scheme, user, p) => {
          const out = redact(`error at ${scheme}://${user}:${p}@db.internal:1234/x: boom`);
          expect(out).toBe(`error at ${scheme}://${user}:***@db.internal:1234/x: boom`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
