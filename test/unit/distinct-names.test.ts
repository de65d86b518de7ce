/**
 * One rule for three checks (checks/lib/distinct-names.ts): entries whose names would label their
 * findings, stats and errors alike are refused in validate, at the later entry's name.
 */
import { describe, expect, it } from 'vitest';
import { optionsSchema as freshness } from '../../checks/index-freshness/options.js';
import { optionsSchema as orphans } from '../../checks/orphan-scan/options.js';
import { optionsSchema as integrity } from '../../checks/reference-integrity/options.js';

const issues = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  (r.error?.issues ?? []).map((i) => [i.path.join('.'), i.message]);

describe('distinct names in a check section', () => {
  it('reference-integrity: two mappings with one name', () => {
    const m = { name: 'docs', postgres: { table: 'documents', key: 'id' }, milvus: { collection: 'docs' } };
    expect(issues(integrity.safeParse({ mappings: [m, { ...m, name: 'other' }] }))).toEqual([]);
    expect(issues(integrity.safeParse({ mappings: [m, { ...m, name: 'other' }, m] }))).toEqual([
      ['mappings.2.name', 'two mappings are named "docs": give each a distinct name'],
    ]);
  });

  it('index-freshness: two document entries with one name', () => {
    const d = { name: 'docs', preset: 'langchain', collection: 'chunks', source: { table: 'documents', key: 'source', updatedAt: 'u' } };
    expect(issues(freshness.safeParse({ documents: [d] }))).toEqual([]);
    expect(issues(freshness.safeParse({ documents: [d, d] }))).toEqual([
      ['documents.1.name', 'two entries are named "docs": give each a distinct name'],
    ]);
  });

  it('orphan-scan: relation names are one namespace across postgres, milvus and redis', () => {
    const parent = { table: 'documents', column: 'id' };
    const pg = { name: 'docs', child: { table: 'chunks', column: 'document_id' }, parent };
    const milvus = { name: 'docs', collection: 'chunks', field: 'document_id', parent };
    expect(issues(orphans.safeParse({ postgres: [pg], milvus: [{ ...milvus, name: 'vectors' }] }))).toEqual([]);
    expect(issues(orphans.safeParse({ postgres: [pg], milvus: [milvus] }))).toEqual([
      ['milvus.0.name', 'two relations are named "docs": give each a distinct name'],
    ]);
  });
});
