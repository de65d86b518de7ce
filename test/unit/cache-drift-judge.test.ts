import { describe, it, expect } from 'vitest';
import { CODECS } from '../../checks/cache-drift/codecs.js';
import { judgeEntry, judgeTtl, type JudgedMapping, type Strategy } from '../../checks/cache-drift/judge.js';
import type { FieldRule } from '../../checks/cache-drift/normalize.js';

const NOW = Date.parse('2024-03-01T12:00:00Z');
const updated: FieldRule = { column: 'updated_at', path: 'updatedAt', type: 'timestamp', format: 'auto', sensitive: false };
const title: FieldRule = { column: 'title', path: 'title', type: 'string', format: 'auto', sensitive: false };
const secret: FieldRule = { column: 'email', path: 'email', type: 'string', format: 'auto', sensitive: true };

function mapping(strategy: Strategy, extra: Partial<JudgedMapping> = {}): JudgedMapping {
  return {
    name: 'doc:{id}',
    table: 'public.docs',
    filtered: false,
    strategy,
    fields: [title, updated, secret],
    version: updated,
    nulls: { absentIsNull: true, emptyIsNull: false },
    ttl: { required: false },
    ...extra,
  };
}
const entry = (doc: object) => {
  const d = CODECS.json.decode(Buffer.from(JSON.stringify(doc)));
  if (!d.ok) throw new Error(d.reason);
  return d.entry;
};
const row = (at: string, t = 'a', email = 'x@y.z') => ({ title: t, updated_at: new Date(at), email });
const cached = (at: string, t = 'a', email = 'x@y.z') => entry({ title: t, updatedAt: at, email });

describe('judgeEntry', () => {
  it('write-through: equal is ok, older is stale, same version different content is mismatch', () => {
    const m = mapping({ type: 'write-through' });
    expect(judgeEntry(m, 'k', cached('2024-03-01T11:00:00Z'), row('2024-03-01T11:00:00Z'), NOW).kind).toBe('ok');
    const stale = judgeEntry(m, 'k', cached('2024-03-01T10:00:00Z', 'old'), row('2024-03-01T11:00:00Z'), NOW);
    expect(stale).toMatchObject({ kind: 'issue', issue: { code: 'stale-entry' } });
    const mismatch = judgeEntry(m, 'k', cached('2024-03-01T11:00:00Z', 'b', 'leak@x'), row('2024-03-01T11:00:00Z'), NOW);
    expect(mismatch).toMatchObject({
      kind: 'issue',
      issue: {
        code: 'mismatch',
        data: {
          fields: [
            { column: 'title', cache: 'b', row: 'a' },
            { column: 'email', cache: '<redacted>', row: '<redacted>' },
          ],
        },
      },
    });
    expect(JSON.stringify(mismatch)).not.toContain('leak@x');
    expect(judgeEntry(m, 'k', cached('2024-03-01T11:00:00Z'), undefined, NOW)).toMatchObject({ issue: { code: 'orphan-key' } });
  });

  it('write-behind: a lead within maxLag is pending, beyond it lag-exceeded', () => {
    const m = mapping({ type: 'write-behind', maxLagMs: 60_000 });
    expect(judgeEntry(m, 'k', cached('2024-03-01T11:59:30Z', 'new'), row('2024-03-01T11:00:00Z'), NOW).kind).toBe('pending');
    expect(judgeEntry(m, 'k', cached('2024-03-01T11:50:00Z', 'new'), row('2024-03-01T11:00:00Z'), NOW)).toMatchObject({
      issue: { code: 'lag-exceeded', data: { lagMs: 600_000, maxLagMs: 60_000 } },
    });
    expect(judgeEntry(m, 'k', cached('2024-03-01T10:00:00Z'), row('2024-03-01T11:00:00Z'), NOW)).toMatchObject({
      issue: { code: 'stale-entry' },
    });
    // a young entry without a row is a pending insert; an old one an orphan
    expect(judgeEntry(m, 'k', cached('2024-03-01T11:59:59Z'), undefined, NOW).kind).toBe('pending');
    expect(judgeEntry(m, 'k', cached('2024-03-01T10:00:00Z'), undefined, NOW)).toMatchObject({ issue: { code: 'orphan-key' } });
  });

  it('cache-aside with a number version: older is stale without updatedAt, judged in time with it', () => {
    const version: FieldRule = { column: 'v', path: 'v', type: 'number', format: 'auto', sensitive: false };
    const aside = { type: 'cache-aside', maxStalenessMs: 3_600_000 } as const;
    const noTime = mapping(aside, { fields: [version, title], version });
    expect(judgeEntry(noTime, 'k', entry({ v: 4, title: 'a' }), { v: '5', title: 'a' }, NOW)).toMatchObject({
      issue: { code: 'stale-entry', data: { cacheVersion: '4', rowVersion: '5' } },
    });
    expect(judgeEntry(noTime, 'k', entry({ v: 5, title: 'a' }), { v: '5', title: 'a' }, NOW).kind).toBe('ok');
    const timed = mapping(aside, { fields: [version, title, updated], version, updatedAt: updated });
    const changed = (msAgo: number) => ({ v: '5', title: 'a', updated_at: NOW - msAgo });
    const older = entry({ v: 4, title: 'a', updatedAt: '2024-01-01T00:00:00Z' });
    expect(judgeEntry(timed, 'k', older, changed(10 * 60_000), NOW).kind).toBe('lawfully-stale');
    expect(judgeEntry(timed, 'k', older, changed(2 * 3_600_000), NOW)).toMatchObject({
      issue: { code: 'stale-entry', data: { staleForMs: 2 * 3_600_000 } },
    });
  });

  // Issue 11 item 18: cacheVersion and rowVersion have one type whatever the cache holds.
  it('gives version data one type on both sides: decimal text for numbers, ISO text for timestamps', () => {
    const version: FieldRule = { column: 'v', path: 'v', type: 'number', format: 'auto', sensitive: false };
    const m = mapping({ type: 'write-through' }, { fields: [version], version });
    // a JSON number in the cache, an int8 as text from Postgres (exact beyond 2^53)
    expect(judgeEntry(m, 'k', entry({ v: 9 }), { v: '10' }, NOW)).toMatchObject({
      issue: { data: { version: 'v', cacheVersion: '9', rowVersion: '10' } },
    });
    const hash = CODECS.hash.decode(['v', '9007199254740992']);
    if (!hash.ok) throw new Error(hash.reason);
    expect(judgeEntry(m, 'k', hash.entry, { v: '9007199254740993' }, NOW)).toMatchObject({
      issue: { data: { cacheVersion: '9007199254740992', rowVersion: '9007199254740993' } },
    });
    // timestamps: epoch seconds in a hash, epoch ms from Postgres -> both ISO text
    const epoch = CODECS.hash.decode(['updatedAt', '1709287200', 'title', 'a']);
    if (!epoch.ok) throw new Error(epoch.reason);
    const ts = mapping({ type: 'write-through' }, { fields: [title, updated], version: updated });
    expect(judgeEntry(ts, 'k', epoch.entry, { title: 'a', updated_at: Date.parse('2024-03-01T11:00:00Z') }, NOW)).toMatchObject({
      issue: { code: 'stale-entry', data: { cacheVersion: '2024-03-01T10:00:00.000Z', rowVersion: '2024-03-01T11:00:00.000Z' } },
    });
  });

  it('write-behind with a number version: maxVersionLead', () => {
    const version: FieldRule = { column: 'v', path: 'v', type: 'number', format: 'auto', sensitive: false };
    const m = mapping({ type: 'write-behind', maxVersionLead: 2 }, { fields: [version], version });
    expect(judgeEntry(m, 'k', entry({ v: 7 }), { v: '5' }, NOW).kind).toBe('pending');
    expect(judgeEntry(m, 'k', entry({ v: 8 }), { v: '5' }, NOW)).toMatchObject({
      issue: { code: 'lag-exceeded', data: { versionLead: 3 } },
    });
  });

  it('cache-aside: older within the allowed staleness is lawful, beyond it stale-entry', () => {
    const m = mapping({ type: 'cache-aside' }, { ttl: { required: false, maxMs: 3_600_000 } });
    // row changed 30 minutes ago, TTL max is 1h: the old entry may still live
    expect(judgeEntry(m, 'k', cached('2024-03-01T09:00:00Z', 'old'), row('2024-03-01T11:30:00Z'), NOW).kind).toBe('lawfully-stale');
    // row changed 2h ago: any entry cached before that must have expired
    expect(judgeEntry(m, 'k', cached('2024-03-01T09:00:00Z', 'old'), row('2024-03-01T10:00:00Z'), NOW)).toMatchObject({
      issue: { code: 'stale-entry', data: { staleForMs: 7_200_000, allowedMs: 3_600_000 } },
    });
    expect(judgeEntry(m, 'k', cached('2024-03-01T12:00:00Z', 'x'), row('2024-03-01T10:00:00Z'), NOW)).toMatchObject({
      issue: { code: 'mismatch', data: { reason: 'cache is newer than its row' } },
    });
  });
});

describe('judgeTtl', () => {
  const m = mapping({ type: 'write-through' }, { ttl: { required: true, maxMs: 60_000, minMs: 1000 } });
  it('reports missing and out-of-range TTLs', () => {
    expect(judgeTtl(m, 'k', -1)).toMatchObject({ code: 'missing-ttl' });
    expect(judgeTtl(m, 'k', 30_000)).toBeNull();
    expect(judgeTtl(m, 'k', 120_000)).toMatchObject({ code: 'ttl-out-of-range', data: { bound: 'max' } });
    expect(judgeTtl(m, 'k', 500)).toMatchObject({ code: 'ttl-out-of-range', data: { bound: 'min' } });
  });
  it('cache-aside entries must expire even when ttl.required is off', () => {
    expect(judgeTtl(mapping({ type: 'cache-aside' }), 'k', -1)).toMatchObject({ code: 'missing-ttl' });
    expect(judgeTtl(mapping({ type: 'write-through' }), 'k', -1)).toBeNull();
  });
});
