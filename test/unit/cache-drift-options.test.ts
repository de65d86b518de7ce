import { describe, it, expect } from 'vitest';
import { optionsSchema } from '../../checks/cache-drift/options.js';

const mapping = (extra: Record<string, unknown> = {}) => ({
  key: 'doc:{id}',
  table: 'public.docs',
  strategy: { type: 'write-through' },
  ...extra,
});
const issues = (input: unknown) => {
  const r = optionsSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('cache-drift options', () => {
  it('needs configuration: {} is rejected, so the check is skipped without it', () => {
    expect(optionsSchema.safeParse({}).success).toBe(false);
  });

  it('fills defaults', () => {
    const r = optionsSchema.parse({ mappings: [mapping()] });
    expect(r).toMatchObject({ scanCount: 1000, concurrency: 2, forbidden: [], examples: 5 });
    expect(r.mappings[0]).toMatchObject({
      encoding: 'json',
      keyColumns: {},
      ignore: [],
      sensitive: [],
      absentIsNull: true,
      emptyIsNull: false,
      ttl: { required: false },
    });
    expect(r.sample).toBeUndefined();
  });

  it('reads durations', () => {
    const r = optionsSchema.parse({
      mappings: [mapping({ strategy: { type: 'write-behind', version: 'v', maxLag: '30s' }, ttl: { max: '1h' } })],
    });
    expect(r.mappings[0].strategy).toMatchObject({ maxLag: 30_000 });
    expect(r.mappings[0].ttl.max).toBe(3_600_000);
  });

  it('rejects an invalid key pattern with the pattern in the message', () => {
    expect(issues({ mappings: [mapping({ key: 'doc:{id' })] })).toEqual([
      expect.stringMatching(/^mappings\.0\.key: invalid key pattern "doc:\{id": unbalanced/),
    ]);
  });

  it('rejects strategy settings that cannot be judged', () => {
    expect(issues({ mappings: [mapping({ strategy: { type: 'write-behind', version: 'v' } })] })).toEqual([
      expect.stringContaining('needs maxLag'),
    ]);
    expect(issues({ mappings: [mapping({ strategy: { type: 'cache-aside', version: 'v' } })] })).toEqual([
      expect.stringContaining('needs maxStaleness or ttl.max'),
    ]);
    expect(issues({ mappings: [mapping({ fields: { title: 'title' }, strategy: { type: 'write-through', version: 'v' } })] })).toEqual([
      expect.stringContaining('version column v must be in fields'),
    ]);
    expect(issues({ mappings: [mapping({ ignore: ['v'], strategy: { type: 'write-through', version: 'v' } })] })).toEqual([
      expect.stringContaining('cannot be ignored'),
    ]);
  });

  // Issue 11 item 15: what the check refuses at run time, the schema refuses first when it can be
  // told without the catalog (a declared field type), so `dbcheck validate` exits 2.
  it('refuses version rules a declared field type already decides', () => {
    const typed = (column: string, type: string) => ({ [column]: { type } });
    expect(issues({ mappings: [mapping({ fields: typed('v', 'string'), strategy: { type: 'write-through', version: 'v' } })] })).toEqual([
      'mappings.0.strategy.version: version column v must be a number or a timestamp (its field type is string)',
    ]);
    expect(
      issues({
        mappings: [mapping({ fields: typed('v', 'timestamp'), strategy: { type: 'write-behind', version: 'v', maxVersionLead: 1 } })],
      }),
    ).toEqual(['mappings.0.strategy: write-behind with a timestamp version (v) needs maxLag']);
    expect(
      issues({ mappings: [mapping({ fields: typed('v', 'number'), strategy: { type: 'write-behind', version: 'v', maxLag: '1m' } })] }),
    ).toEqual(['mappings.0.strategy: write-behind with a number version (v) needs maxVersionLead']);
    expect(issues({ mappings: [mapping({ strategy: { type: 'cache-aside', updatedAt: 'updated_at', maxStaleness: '1m' } })] })).toEqual([
      'mappings.0.strategy.updatedAt: updatedAt judges an older version in time: it needs a version',
    ]);
    expect(
      issues({
        mappings: [
          mapping({
            fields: { v: 'v', at: { type: 'string' } },
            strategy: { type: 'cache-aside', version: 'v', updatedAt: 'at', maxStaleness: '1m' },
          }),
        ],
      }),
    ).toEqual(['mappings.0.strategy.updatedAt: updatedAt column at must be a timestamp (its field type is string)']);
    expect(issues({ mappings: [mapping({ keyColumns: { tenant: 'tenant_id' } })] })).toEqual([
      'mappings.0.keyColumns.tenant: {tenant} is not a placeholder of doc:{id}',
    ]);
  });

  it('accepts cache-aside with a number version, with or without updatedAt', () => {
    // Before issue 11 item 15 this passed the schema and then failed the audit ("must be a timestamp").
    expect(issues({ mappings: [mapping({ fields: { v: { type: 'number' } }, strategy: { type: 'cache-aside', version: 'v' } })] })).toEqual(
      [],
    );
    // updatedAt need not be in the field map: it is read from the row
    expect(
      issues({
        mappings: [
          mapping({ fields: { v: 'v' }, strategy: { type: 'cache-aside', version: 'v', updatedAt: 'updated_at' }, ttl: { max: '1h' } }),
        ],
      }),
    ).toEqual([]);
    // updatedAt judges in time, so it needs the allowance
    expect(
      issues({
        mappings: [
          mapping({
            fields: { v: { type: 'number' }, updated_at: 'u' },
            strategy: { type: 'cache-aside', version: 'v', updatedAt: 'updated_at' },
          }),
        ],
      }),
    ).toEqual([expect.stringContaining('needs maxStaleness or ttl.max')]);
  });

  it('rejects unknown options and encodings', () => {
    expect(issues({ mappings: [mapping({ encodng: 'json' })] }).length).toBeGreaterThan(0);
    expect(issues({ mappings: [mapping({ encoding: 'msgpack' })] }).length).toBeGreaterThan(0);
    expect(issues({ mappings: [mapping()], smaple: 10 }).length).toBeGreaterThan(0);
  });
});
