import { describe, it, expect } from 'vitest';
import { optionsSchema } from '../../checks/cache-drift/options.js';

const mapping = (extra: Record<string, unknown> = {}) => ({ key: 'doc:{id}', table: 'public.docs', strategy: { type: 'write-through' }, ...extra });
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
    expect(r.mappings[0]).toMatchObject({ encoding: 'json', keyColumns: {}, ignore: [], sensitive: [], absentIsNull: true, emptyIsNull: false, ttl: { required: false } });
    expect(r.sample).toBeUndefined();
  });

  it('reads durations', () => {
    const r = optionsSchema.parse({ mappings: [mapping({ strategy: { type: 'write-behind', version: 'v', maxLag: '30s' }, ttl: { max: '1h' } })] });
    expect(r.mappings[0].strategy).toMatchObject({ maxLag: 30_000 });
    expect(r.mappings[0].ttl.max).toBe(3_600_000);
  });

  it('rejects an invalid key pattern with the pattern in the message', () => {
    expect(issues({ mappings: [mapping({ key: 'doc:{id' })] })).toEqual([expect.stringMatching(/^mappings\.0\.key: invalid key pattern "doc:\{id": unbalanced/)]);
  });

  it('rejects strategy settings that cannot be judged', () => {
    expect(issues({ mappings: [mapping({ strategy: { type: 'write-behind', version: 'v' } })] })).toEqual([expect.stringContaining('needs maxLag')]);
    expect(issues({ mappings: [mapping({ strategy: { type: 'cache-aside', version: 'v' } })] })).toEqual([expect.stringContaining('needs maxStaleness or ttl.max')]);
    expect(issues({ mappings: [mapping({ fields: { title: 'title' }, strategy: { type: 'write-through', version: 'v' } })] })).toEqual([
      expect.stringContaining('version column v must be in fields'),
    ]);
    expect(issues({ mappings: [mapping({ ignore: ['v'], strategy: { type: 'write-through', version: 'v' } })] })).toEqual([expect.stringContaining('cannot be ignored')]);
  });

  it('rejects unknown options and encodings', () => {
    expect(issues({ mappings: [mapping({ encodng: 'json' })] }).length).toBeGreaterThan(0);
    expect(issues({ mappings: [mapping({ encoding: 'msgpack' })] }).length).toBeGreaterThan(0);
    expect(issues({ mappings: [mapping()], smaple: 10 }).length).toBeGreaterThan(0);
  });
});
