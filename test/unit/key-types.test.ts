import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIntegersThenText } from '../../checks/lib/id-order.js';
import {
  formatUuid,
  isInt64Text,
  keyTextFor,
  keyTypeProblem,
  milvusKeyType,
  postgresKeyType,
  REDIS_PLACEHOLDER_TYPE,
  sqlAsParentKey,
} from '../../checks/lib/key-types.js';

const side = (label: string, key: ReturnType<typeof postgresKeyType>) => ({ label, key });

describe('key type classification', () => {
  it('classifies Postgres format_type() output', () => {
    expect(postgresKeyType('bigint')).toMatchObject({ kind: 'integer', max: 2n ** 63n - 1n });
    expect(postgresKeyType('smallint')).toMatchObject({ kind: 'integer', min: -32768n, max: 32767n });
    expect(postgresKeyType('numeric(12,0)').kind).toBe('integer');
    expect(postgresKeyType('character varying(64)').kind).toBe('text');
    expect(postgresKeyType('text').kind).toBe('text');
    expect(postgresKeyType('uuid').kind).toBe('uuid');
    expect(postgresKeyType('double precision').kind).toBeUndefined();
    expect(postgresKeyType('numeric(10,2)').kind).toBeUndefined();
    expect(postgresKeyType('timestamp with time zone').kind).toBeUndefined();
  });

  it('classifies Milvus data types', () => {
    expect(milvusKeyType('Int64')).toMatchObject({ kind: 'integer', max: 2n ** 63n - 1n });
    expect(milvusKeyType('VarChar').kind).toBe('text');
    expect(milvusKeyType('Float').kind).toBeUndefined();
    expect(milvusKeyType('JSON').kind).toBeUndefined();
  });
});

describe('keyTypeProblem', () => {
  it('accepts integer/text and uuid/text in both directions', () => {
    for (const [a, b] of [
      [postgresKeyType('bigint'), milvusKeyType('VarChar')],
      [milvusKeyType('Int64'), postgresKeyType('character varying(40)')],
      [postgresKeyType('uuid'), postgresKeyType('text')],
      [REDIS_PLACEHOLDER_TYPE, postgresKeyType('uuid')],
      [postgresKeyType('integer'), postgresKeyType('bigint')],
    ]) {
      expect(keyTypeProblem(side('a', a), side('b', b))).toBeUndefined();
      expect(keyTypeProblem(side('b', b), side('a', a))).toBeUndefined();
    }
  });

  it('refuses integer/uuid and non-key types, naming both sides and types', () => {
    expect(
      keyTypeProblem(side('Postgres column docs.id', postgresKeyType('uuid')), side('Milvus field chunks.doc_id', milvusKeyType('Int64'))),
    ).toBe('Postgres column docs.id is uuid and Milvus field chunks.doc_id is Int64: an integer never equals a uuid');
    expect(
      keyTypeProblem(side('Postgres column t.id', postgresKeyType('bigint')), side('Milvus field c.score', milvusKeyType('Float'))),
    ).toMatch(/^Milvus field c\.score is Float, which cannot hold a key/);
  });
});

describe('key text', () => {
  it('isInt64Text: canonical decimals within int64', () => {
    expect(isInt64Text('9223372036854775807')).toBe(true);
    expect(isInt64Text('-9223372036854775808')).toBe(true);
    expect(isInt64Text('9223372036854775808')).toBe(false);
    expect(isInt64Text('-0')).toBe(false);
    expect(isInt64Text('007')).toBe(false);
    expect(isInt64Text('+7')).toBe(false);
    expect(isInt64Text('1e3')).toBe(false);
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => isInt64Text(n.toString())));
  });

  it('keyTextFor reads a placeholder as a key of the column type, or null', () => {
    const smallint = postgresKeyType('smallint');
    expect(keyTextFor(smallint, '32767')).toBe('32767');
    expect(keyTextFor(smallint, '32768')).toBeNull();
    expect(keyTextFor(smallint, '-32769')).toBeNull();
    expect(keyTextFor(postgresKeyType('bigint'), '9007199254740993')).toBe('9007199254740993');
    expect(keyTextFor(postgresKeyType('bigint'), 'abc')).toBeNull();
    expect(keyTextFor(postgresKeyType('uuid'), 'A0EEBC999C0B4EF8BB6D6BB9BD380A11')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(keyTextFor(postgresKeyType('uuid'), 'not-a-uuid')).toBeNull();
    expect(keyTextFor(postgresKeyType('text'), '007')).toBe('007');
    expect(keyTextFor(postgresKeyType('real'), '1')).toBeNull();
    expect(formatUuid('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  });
});

describe('sqlAsParentKey', () => {
  it('casts a text child to an integer parent only behind CASE guards', () => {
    const sql = sqlAsParentKey('child."doc"', postgresKeyType('text'), postgresKeyType('integer'));
    expect(sql).toBe(
      `(CASE WHEN child."doc" ~ '^(0|-?[1-9][0-9]*)$' THEN (CASE WHEN child."doc"::numeric BETWEEN -2147483648 AND 2147483647 THEN child."doc"::numeric::integer END) END)`,
    );
    expect(sqlAsParentKey('c', postgresKeyType('bigint'), postgresKeyType('text'))).toBe('c::text');
    expect(sqlAsParentKey('c', postgresKeyType('integer'), postgresKeyType('bigint'))).toBe('c');
    expect(sqlAsParentKey('c', postgresKeyType('text'), postgresKeyType('uuid'))).toMatch(/^\(CASE WHEN c ~\* .* THEN c::uuid END\)$/);
  });
});

describe('compareIntegersThenText', () => {
  it('puts canonical integers first in numeric order, then other text in byte order', () => {
    const keys = ['b', '10', '-3', '007', '9', 'a', '9223372036854775808'];
    expect([...keys].sort(compareIntegersThenText)).toEqual(['-3', '9', '10', '9223372036854775808', '007', 'a', 'b']);
  });
});
