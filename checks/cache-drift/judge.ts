/**
 * The verdict on one cache entry, by the strategy the app uses. Pure: no I/O, `now` passed in.
 *
 * - write-through: the entry must equal its row. Older version -> stale-entry; any other
 *   difference -> mismatch; no row -> orphan-key.
 * - write-behind: the cache may lead. Older version -> stale-entry; newer version is a pending
 *   write, fine while it is younger than maxLag (timestamp version: now - cached version) or leads
 *   by at most maxVersionLead (number version), else lag-exceeded; same version but different
 *   content -> mismatch; no row -> pending insert while young, else orphan-key.
 * - cache-aside: absent entries are never looked at. Older version -> fine while the row changed
 *   less than maxStaleness ago (default ttl.max), else stale-entry; when the row changed is the
 *   timestamp version, or the mapped updatedAt column for a number version; a number version
 *   without updatedAt gives no time, so an older one is stale. Newer or same version with
 *   different content (or any difference without a version) -> mismatch; no row -> orphan-key.
 */
import { ABSENT, type CacheEntry } from './codecs.js';
import {
  cacheTimestampMs,
  canonNumber,
  compareVersions,
  decimalDifference,
  displayValue,
  fieldsEqual,
  rowTimestampMs,
  type CacheValue,
  type FieldRule,
  type NullPolicy,
} from './normalize.js';

export type Strategy =
  | { type: 'write-through' }
  | { type: 'write-behind'; maxLagMs?: number; maxVersionLead?: number }
  | { type: 'cache-aside'; maxStalenessMs?: number };

export interface JudgedMapping {
  name: string;
  /** Table as written in config, for messages. */
  table: string;
  filtered: boolean;
  strategy: Strategy;
  fields: FieldRule[];
  version?: FieldRule;
  /** cache-aside: the row's last-change timestamp, for a number version. */
  updatedAt?: FieldRule;
  nulls: NullPolicy;
  ttl: { required: boolean; minMs?: number; maxMs?: number };
}

export interface Issue {
  code: 'stale-entry' | 'mismatch' | 'orphan-key' | 'lag-exceeded' | 'missing-ttl' | 'ttl-out-of-range';
  data: Record<string, unknown>;
}

export interface FieldDiff {
  column: string;
  path: string;
  cache: unknown;
  row: unknown;
}

export type EntryVerdict = { kind: 'ok' } | { kind: 'pending' } | { kind: 'lawfully-stale' } | { kind: 'issue'; issue: Issue };

const OK: EntryVerdict = { kind: 'ok' };

/** `row` holds the values of m.fields by column name; undefined when no row has the entry's key. */
export function judgeEntry(
  m: JudgedMapping,
  key: string,
  entry: CacheEntry,
  row: Record<string, unknown> | undefined,
  now: number,
): EntryVerdict {
  const s = m.strategy;
  const versionCache = m.version ? cacheValue(entry, m.version) : undefined;

  if (!row) {
    if (s.type === 'write-behind' && m.version?.type === 'timestamp' && s.maxLagMs !== undefined) {
      const written = cacheTimestampMs(m.version, versionCache!);
      if (written !== null && now - written <= s.maxLagMs) return { kind: 'pending' };
    }
    return issue('orphan-key', {
      key,
      table: m.table,
      reason: m.filtered ? 'no row with this key (or it is filtered out by where)' : 'no row with this key',
    });
  }

  const diffs = differences(m, entry, row);
  const order = m.version ? compareVersions(m.version, row[m.version.column], versionCache!) : null;

  if (order === -1 && s.type !== 'cache-aside')
    return issue('stale-entry', { key, table: m.table, ...versionData(m, row, versionCache), fields: diffs });
  if (order === -1 && s.type === 'cache-aside') {
    const changedAt = m.updatedAt ?? (m.version!.type === 'timestamp' ? m.version : undefined);
    const changed = changedAt ? rowTimestampMs(row[changedAt.column]) : null;
    const allowed = s.maxStalenessMs ?? m.ttl.maxMs;
    if (changed !== null && allowed !== undefined && now - changed <= allowed) return { kind: 'lawfully-stale' };
    return issue('stale-entry', {
      key,
      table: m.table,
      ...versionData(m, row, versionCache),
      staleForMs: changed === null ? undefined : now - changed,
      allowedMs: allowed,
      fields: diffs,
    });
  }
  if (order === 1 && s.type === 'write-behind') {
    if (m.version!.type === 'timestamp') {
      const written = cacheTimestampMs(m.version!, versionCache!)!;
      const lagMs = now - written;
      if (s.maxLagMs !== undefined && lagMs > s.maxLagMs)
        return issue('lag-exceeded', { key, table: m.table, ...versionData(m, row, versionCache), lagMs, maxLagMs: s.maxLagMs });
      return { kind: 'pending' };
    }
    const lead = decimalDifference(versionCache!.value, row[m.version!.column]);
    if (s.maxVersionLead !== undefined && lead !== null && lead > s.maxVersionLead) {
      return issue('lag-exceeded', {
        key,
        table: m.table,
        ...versionData(m, row, versionCache),
        versionLead: lead,
        maxVersionLead: s.maxVersionLead,
      });
    }
    return { kind: 'pending' };
  }
  if (diffs.length === 0) return OK;
  return issue('mismatch', {
    key,
    table: m.table,
    ...versionData(m, row, versionCache),
    ...(order === 1 ? { reason: 'cache is newer than its row' } : {}),
    fields: diffs,
  });
}

/** TTL policy: `pttl` is Redis PTTL (-1 = no expiry). cache-aside entries must always expire. */
export function judgeTtl(m: JudgedMapping, key: string, pttl: number): Issue | null {
  if (pttl === -1) {
    if (m.ttl.required || m.strategy.type === 'cache-aside') {
      return { code: 'missing-ttl', data: { key, strategy: m.strategy.type } };
    }
    return null;
  }
  if (pttl < 0) return null;
  if (m.ttl.maxMs !== undefined && pttl > m.ttl.maxMs)
    return { code: 'ttl-out-of-range', data: { key, ttlMs: pttl, maxMs: m.ttl.maxMs, bound: 'max' } };
  if (m.ttl.minMs !== undefined && pttl < m.ttl.minMs)
    return { code: 'ttl-out-of-range', data: { key, ttlMs: pttl, minMs: m.ttl.minMs, bound: 'min' } };
  return null;
}

function differences(m: JudgedMapping, entry: CacheEntry, row: Record<string, unknown>): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  const cached: CacheValue = { present: false, value: undefined, stringly: false }; // reused per field
  for (const rule of m.fields) {
    cacheValue(entry, rule, cached);
    const rowValue = row[rule.column];
    if (fieldsEqual(rule, rowValue, cached, m.nulls)) continue;
    diffs.push({
      column: rule.column,
      path: rule.path,
      cache: rule.sensitive ? '<redacted>' : displayValue(cached.value, cached.present),
      row: rule.sensitive ? '<redacted>' : displayValue(rule.type === 'timestamp' ? msAsDate(rowValue) : rowValue),
    });
  }
  return diffs;
}

/**
 * Version values for a finding (built only for findings: most entries are fine). Both sides have
 * one type whatever the cache holds (a JSON number, hash text): canonical decimal text for number
 * versions (exact beyond 2^53), ISO text for timestamps; a value that does not parse is shown as
 * the text it is, an absent one as '<absent>'.
 */
function versionData(m: JudgedMapping, row: Record<string, unknown>, cached: CacheValue | undefined) {
  if (!m.version || !cached) return undefined;
  const rule = m.version;
  if (rule.sensitive) return { version: rule.column, cacheVersion: '<redacted>', rowVersion: '<redacted>' };
  const cacheMs = rule.type === 'timestamp' ? cacheTimestampMs(rule, cached) : null;
  const rowValue = row[rule.column];
  return {
    version: rule.column,
    cacheVersion: cached.present ? versionText(rule, cached.value, cacheMs) : '<absent>',
    rowVersion: versionText(rule, rowValue, rule.type === 'timestamp' ? rowTimestampMs(rowValue) : null),
  };
}

/** `ms`: the value read as a timestamp (timestamp versions), null when it is not one. */
function versionText(rule: FieldRule, v: unknown, ms: number | null): string | null {
  if (v === null || v === undefined) return null;
  if (ms !== null) return new Date(ms).toISOString();
  if (rule.type === 'number') {
    const n = canonNumber(v);
    if (n !== null && /^-?\d/.test(n)) return n;
  }
  return String(displayValue(v)); // does not parse: the text it is
}

function cacheValue(
  entry: CacheEntry,
  rule: FieldRule,
  into: CacheValue = { present: false, value: undefined, stringly: false },
): CacheValue {
  const v = entry.get(rule.path);
  into.present = v !== ABSENT;
  into.value = v === ABSENT ? undefined : v;
  into.stringly = entry.stringly;
  return into;
}

/** Timestamps come from Postgres as epoch ms; findings show them as ISO text. */
function msAsDate(v: unknown): unknown {
  return typeof v === 'number' && Number.isFinite(v) ? new Date(v) : v;
}

function issue(code: Issue['code'], data: Record<string, unknown>): EntryVerdict {
  return { kind: 'issue', issue: { code, data } };
}
