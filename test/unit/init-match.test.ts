/** dbcheck init's matching (src/init/match.ts): key patterns, overlap threshold, names breaking ties. */
import { describe, expect, it } from 'vitest';
import type { KeyColumn, Lookup } from '../../src/init/discover.js';
import { bestMatch, MIN_OVERLAP, redisPatterns } from '../../src/init/match.js';

const column = (table: string, name = 'id', extra: Partial<KeyColumn> = {}): KeyColumn => ({
  schema: 'app',
  table,
  column: name,
  type: 'int8',
  ...extra,
});
const lookup = (c: KeyColumn, found: Record<string, string[]>): Lookup => ({
  column: c,
  found: new Map(Object.entries(found).map(([v, ns]) => [v, new Set(ns)])),
});

describe('redisPatterns', () => {
  it('puts {id} where the one id-like segment is, and leaves out keys with none, several, or braces', () => {
    const patterns = redisPatterns(
      [
        'doc:1',
        'doc:2',
        'doc:3:meta',
        'session:0b5a6e2c-1f7e-4c1e-9d7e-3f1a2b3c4d5e',
        'config',
        'tenant:7:doc:9',
        'odd:{1}',
        'bad:\u001b:5',
      ],
      10,
    );
    expect(patterns).toEqual([
      { pattern: 'doc:{id}', keys: 2, values: ['1', '2'] },
      { pattern: 'doc:{id}:meta', keys: 1, values: ['3'] },
      { pattern: 'session:{id}', keys: 1, values: ['0b5a6e2c-1f7e-4c1e-9d7e-3f1a2b3c4d5e'] },
    ]);
  });

  it('keeps at most valuesPerPattern values but counts every key', () => {
    expect(redisPatterns(['k:1', 'k:2', 'k:3'], 2)).toEqual([{ pattern: 'k:{id}', keys: 3, values: ['1', '2'] }]);
  });
});

describe('bestMatch', () => {
  it('needs at least MIN_OVERLAP of the sampled values in the column', () => {
    expect(MIN_OVERLAP).toBe(0.5);
    const docs = column('documents');
    expect(bestMatch(['doc_id'], ['1', '2', '3', '4'], [lookup(docs, { 1: [''], 2: [''] })])?.hits).toBe(2);
    expect(bestMatch(['doc_id'], ['1', '2', '3', '4', '5'], [lookup(docs, { 1: [''], 2: [''] })])).toBeUndefined();
  });

  it('breaks a tie of equal overlap by names: doc:{id} and document_id name documents, not chunks', () => {
    const both = { 1: [''], 2: [''] };
    const lookups = [lookup(column('chunks'), both), lookup(column('documents'), both)];
    expect(bestMatch(['doc'], ['1', '2'], lookups)?.column.table).toBe('documents');
    expect(bestMatch(['document_id'], ['1', '2'], lookups)?.column.table).toBe('documents');
    expect(bestMatch(['id', 'app_chunks'], ['1', '2'], lookups)?.column.table).toBe('chunks');
  });

  it('counts only the documents namespace of a LlamaIndex docstore (each id is also in docstore/metadata)', () => {
    const docstore = column('data_docstore', 'key', { type: 'varchar', namespaceColumn: 'namespace', framework: 'llamaindex' });
    const match = bestMatch(
      ['doc_id'],
      ['a', 'b'],
      [lookup(docstore, { a: ['docstore/data', 'docstore/metadata'], b: ['docstore/metadata'] })],
    );
    expect(match).toMatchObject({ namespace: 'docstore/data', hits: 1, sampled: 2 });
  });
});
