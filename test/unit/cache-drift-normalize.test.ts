import { describe, it, expect } from 'vitest';
import { canonNumber, compareVersions, fieldsEqual, type FieldRule } from '../../checks/cache-drift/normalize.js';

const rule = (type: FieldRule['type'], extra: Partial<FieldRule> = {}): FieldRule => ({
  column: 'c',
  path: 'c',
  type,
  format: 'auto',
  sensitive: false,
  ...extra,
});
const json = (value: unknown, present = true) => ({ present, value, stringly: false });
const hash = (value: string | undefined) => ({ present: value !== undefined, value, stringly: true });
const nulls = { absentIsNull: true, emptyIsNull: false };

describe('canonNumber', () => {
  it.each([
    ['12.50', '12.5'],
    ['007', '7'],
    ['-0.0', '0'],
    ['1e3', '1000'],
    ['1.5e-3', '0.0015'],
    [12.5, '12.5'],
    [1e21, '1000000000000000000000'],
    ['9223372036854775807', '9223372036854775807'],
    ['NaN', 'nan'],
    ['-Infinity', '-infinity'],
  ])('%j -> %s', (input, out) => {
    expect(canonNumber(input)).toBe(out);
  });
  it('marks garbage as unparseable', () => {
    expect(canonNumber('12abc')).not.toBe('12');
  });
});

describe('fieldsEqual', () => {
  it('numbers: numeric text vs JSON number vs hash text', () => {
    expect(fieldsEqual(rule('number'), '12.50', json(12.5), nulls)).toBe(true);
    expect(fieldsEqual(rule('number'), '12.50', hash('12.5'), nulls)).toBe(true);
    expect(fieldsEqual(rule('number'), '12.50', hash('12.51'), nulls)).toBe(false);
  });

  it('numbers: precision rounds both sides', () => {
    expect(fieldsEqual(rule('number', { precision: 2 }), '0.1', json(0.1000001), nulls)).toBe(true);
    expect(fieldsEqual(rule('number', { precision: 2 }), '0.125', hash('0.13'), nulls)).toBe(true);
    expect(fieldsEqual(rule('number', { precision: 2 }), '0.1', json(0.11), nulls)).toBe(false);
  });

  it('numbers: int64 beyond 2^53 is exact in hashes, compared as doubles against JSON numbers', () => {
    expect(fieldsEqual(rule('number'), '9007199254740993', hash('9007199254740993'), nulls)).toBe(true);
    expect(fieldsEqual(rule('number'), '9007199254740993', hash('9007199254740992'), nulls)).toBe(false);
    expect(fieldsEqual(rule('number'), '9007199254740993', json(JSON.parse('9007199254740993')), nulls)).toBe(true);
  });

  it('booleans in their usual cache spellings', () => {
    for (const v of ['1', 'true', 't', 'TRUE', 'yes']) expect(fieldsEqual(rule('boolean'), true, hash(v), nulls)).toBe(true);
    for (const v of ['0', 'false', 'f']) expect(fieldsEqual(rule('boolean'), false, hash(v), nulls)).toBe(true);
    expect(fieldsEqual(rule('boolean'), true, json(true), nulls)).toBe(true);
    expect(fieldsEqual(rule('boolean'), true, json(1), nulls)).toBe(true);
    expect(fieldsEqual(rule('boolean'), true, hash('0'), nulls)).toBe(false);
    expect(fieldsEqual(rule('boolean'), true, hash('maybe'), nulls)).toBe(false);
  });

  it('timestamps: ISO, epoch seconds and epoch milliseconds', () => {
    const at = new Date('2024-03-01T10:00:00.250Z');
    expect(fieldsEqual(rule('timestamp'), at, json('2024-03-01T10:00:00.250Z'), nulls)).toBe(true);
    expect(fieldsEqual(rule('timestamp'), at, json('2024-03-01T10:00:00.250'), nulls)).toBe(true); // no zone = UTC
    expect(fieldsEqual(rule('timestamp'), at, json('2024-03-01T12:00:00.250+02:00'), nulls)).toBe(true);
    expect(fieldsEqual(rule('timestamp'), at, json(at.getTime()), nulls)).toBe(true);
    expect(fieldsEqual(rule('timestamp'), at, hash(String(at.getTime())), nulls)).toBe(true);
    // whole seconds in the cache: compared at second precision
    expect(fieldsEqual(rule('timestamp'), at, json(1709287200), nulls)).toBe(true);
    expect(fieldsEqual(rule('timestamp'), at, json('2024-03-01T10:00:00Z'), nulls)).toBe(true);
    expect(fieldsEqual(rule('timestamp'), at, json('2024-03-01T10:00:01Z'), nulls)).toBe(false);
    // an explicit format wins over the guess
    expect(fieldsEqual(rule('timestamp', { format: 'epoch-ms' }), new Date(1709287200), json(1709287200), nulls)).toBe(true);
    expect(fieldsEqual(rule('timestamp'), at, json('not a date'), nulls)).toBe(false);
  });

  it('json: key order does not matter; hashes hold JSON as text', () => {
    expect(fieldsEqual(rule('json'), { a: 1, b: [1, 2] }, json({ b: [1, 2], a: 1 }), nulls)).toBe(true);
    expect(fieldsEqual(rule('json'), { a: 1 }, hash('{"a":1}'), nulls)).toBe(true);
    expect(fieldsEqual(rule('json'), { a: 1 }, hash('{"a":2}'), nulls)).toBe(false);
  });

  it('null vs absent vs empty', () => {
    expect(fieldsEqual(rule('string'), null, json(undefined, false), nulls)).toBe(true);
    expect(fieldsEqual(rule('string'), null, json(null), nulls)).toBe(true);
    expect(fieldsEqual(rule('string'), null, json(undefined, false), { absentIsNull: false, emptyIsNull: false })).toBe(false);
    expect(fieldsEqual(rule('string'), null, hash(''), nulls)).toBe(false);
    expect(fieldsEqual(rule('string'), null, hash(''), { absentIsNull: true, emptyIsNull: true })).toBe(true);
    expect(fieldsEqual(rule('string'), 'x', json(undefined, false), nulls)).toBe(false);
    expect(fieldsEqual(rule('string'), 'x', json(null), nulls)).toBe(false);
    expect(fieldsEqual(rule('string'), null, json('x'), nulls)).toBe(false);
  });
});

describe('compareVersions', () => {
  it('numbers compare exactly, beyond 2^53 too', () => {
    expect(compareVersions(rule('number'), '9007199254740993', hash('9007199254740992'))).toBe(-1);
    expect(compareVersions(rule('number'), '3', json(3))).toBe(0);
    expect(compareVersions(rule('number'), '3', json(4))).toBe(1);
  });
  it('timestamps compare at the cache precision', () => {
    const row = new Date('2024-03-01T10:00:00.900Z');
    expect(compareVersions(rule('timestamp'), row, json(1709287200))).toBe(0);
    expect(compareVersions(rule('timestamp'), row, json('2024-03-01T10:00:00.800Z'))).toBe(-1);
    expect(compareVersions(rule('timestamp'), row, json('2024-03-01T10:00:01Z'))).toBe(1);
  });
  it('unknown when either side is missing', () => {
    expect(compareVersions(rule('number'), null, json(1))).toBeNull();
    expect(compareVersions(rule('number'), '1', json(undefined, false))).toBeNull();
  });
});
