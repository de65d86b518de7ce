/**
 * The pure half of `dbcheck init`: from what was sampled (src/init/discover.ts), which Milvus
 * fields and Redis key patterns hold the keys of which Postgres column, and what to propose.
 * A match needs the values to agree (most sampled values exist in the column), not just the names.
 */
import type { KeyColumn, Lookup, SampledCollection } from './discover.js';

/** Share of sampled values that must exist in a column to propose it (orphans make it below 1). */
export const MIN_OVERLAP = 0.5;

export interface Match {
  column: KeyColumn;
  /** The namespace the matched keys live in (framework tables), for a `where`. */
  namespace?: string;
  hits: number;
  sampled: number;
}

export interface MilvusProposal {
  collection: SampledCollection;
  field: string;
  dataType: string;
  isPrimaryKey: boolean;
  /** For a key of the dynamic field: the path to write (`$meta["doc_id"]`). */
  path?: string;
  match: Match;
}

export interface RedisPattern {
  pattern: string;
  keys: number;
  values: string[];
}

export interface RedisProposal {
  pattern: RedisPattern;
  match: Match;
}

/** Segments of a Redis key that look like a row key: digits, a uuid, a long hex hash. */
const ID_SEGMENT = /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})$/i;

/**
 * Groups keys into patterns with one `{id}` placeholder (`demo:doc:42` -> `demo:doc:{id}`). Keys
 * with no id-like segment, several, or characters with a meaning in patterns are left out.
 */
export function redisPatterns(keys: string[], valuesPerPattern: number): RedisPattern[] {
  const byPattern = new Map<string, RedisPattern>();
  for (const key of keys) {
    if (/[{}\p{Cc}]/u.test(key)) continue;
    const segments = key.split(':');
    const ids = segments.flatMap((s, i) => (ID_SEGMENT.test(s) ? [i] : []));
    if (ids.length !== 1) continue;
    const pattern = segments.map((s, i) => (i === ids[0] ? '{id}' : s)).join(':');
    const entry = byPattern.get(pattern) ?? { pattern, keys: 0, values: [] };
    entry.keys += 1;
    if (entry.values.length < valuesPerPattern) entry.values.push(segments[ids[0]]);
    byPattern.set(pattern, entry);
  }
  return [...byPattern.values()].sort((a, b) => b.keys - a.keys || a.pattern.localeCompare(b.pattern));
}

/**
 * The key column that holds most of `values` (at least MIN_OVERLAP of them); the names (a field's,
 * its collection's, a key's stem) break ties, e.g. chunk ids 1..200 that are document ids too.
 */
export function bestMatch(names: string[], values: string[], lookups: Lookup[]): Match | undefined {
  const distinct = [...new Set(values)];
  if (!distinct.length) return undefined;
  let best: (Match & { score: number }) | undefined;
  for (const lookup of lookups) {
    for (const [namespace, hits] of hitsByNamespace(lookup, distinct)) {
      if (hits / distinct.length < MIN_OVERLAP) continue;
      const affinity = names.reduce((sum, n) => sum + nameAffinity(n, lookup.column), 0);
      const score = hits / distinct.length + affinity * 0.01;
      if (!best || score > best.score)
        best = { column: lookup.column, namespace: namespace || undefined, hits, sampled: distinct.length, score };
    }
  }
  if (!best) return undefined;
  const { score: _score, ...match } = best;
  return match;
}

/**
 * Hits per namespace. LlamaIndex keeps each document id twice (docstore/data and
 * docstore/metadata): only the `.../data` namespace holds the documents themselves.
 */
function hitsByNamespace(lookup: Lookup, values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) {
    for (const ns of lookup.found.get(v) ?? []) {
      if (lookup.column.framework === 'llamaindex' && !ns.endsWith('/data')) continue;
      counts.set(ns, (counts.get(ns) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * 2: the names say so — the field is the column's name (doc_id ~ doc_id), or names the table
 * (document_id ~ documents.id; the Redis key `doc:{id}` ~ documents); 1: a framework's table;
 * 0: only the values agree. `name` is a field name, or the key's literal segment before `{id}`.
 */
export function nameAffinity(name: string, column: KeyColumn): number {
  const n = name.toLowerCase();
  const col = column.column.toLowerCase();
  const singular = column.table.toLowerCase().replace(/s$/, '');
  if (n === col || n === `${singular}_${col}` || n === `${singular}${col}`) return 2;
  // A collection named after the table: dbcheck_demo_chunks ~ chunks.
  if (n.endsWith(`_${column.table.toLowerCase()}`)) return 2;
  // The table named by the field's or key's stem: document_id, doc_id, doc -> documents.
  const stem = n.replace(/_?(id|key|uuid|pk)$/, '');
  if (stem.length >= 2 && (singular.startsWith(stem) || stem.startsWith(singular))) return 2;
  return column.framework ? 1 : 0;
}

export function proposeMilvus(collections: SampledCollection[], lookups: Lookup[]): MilvusProposal[] {
  const out: MilvusProposal[] = [];
  for (const collection of collections) {
    for (const field of collection.fields) {
      const match = bestMatch(field.isPrimaryKey ? [field.name, collection.name] : [field.name], field.values, lookups);
      if (match)
        out.push({
          collection,
          field: field.name,
          dataType: field.dataType,
          isPrimaryKey: field.isPrimaryKey,
          ...(field.path ? { path: field.path } : {}),
          match,
        });
    }
  }
  return out;
}

export function proposeRedis(patterns: RedisPattern[], lookups: Lookup[]): RedisProposal[] {
  return patterns.flatMap((pattern) => {
    // The literal segment before {id} names what the key holds: doc:{id} -> documents.
    const stem = /([^:]*):\{id\}/.exec(pattern.pattern)?.[1] ?? 'id';
    const match = bestMatch([stem], pattern.values, lookups);
    return match ? [{ pattern, match }] : [];
  });
}

/** The framework layout a collection's shape says it was written by, if any. */
export function collectionLayout(c: SampledCollection): 'langchain' | 'llamaindex' | undefined {
  const vectors = c.vectorFields.map((v) => v.name);
  if (c.primaryKey === 'pk' && vectors.includes('vector')) return 'langchain';
  if (c.primaryKey === 'id' && vectors.includes('embedding') && c.fields.some((f) => f.name === 'doc_id')) return 'llamaindex';
  return undefined;
}
