/** index-freshness: the verdicts (judge.ts) and the options, presets included. No servers. */
import { describe, expect, it } from 'vitest';
import { epochSeconds, judgeHashes, judgeTimes, judgeUnindexed } from '../../checks/index-freshness/judge.js';
import { optionsSchema } from '../../checks/index-freshness/options.js';

const NOW = 1_000_000;

describe('index-freshness verdicts', () => {
  it('times: stale only when the change is more than grace after indexing and more than grace ago', () => {
    expect(judgeTimes(100, 100, NOW, 0)).toBe('fresh'); // indexed at the very moment of the change
    expect(judgeTimes(101, 100, NOW, 0)).toBe('stale');
    expect(judgeTimes(150, 100, NOW, 60)).toBe('within-grace'); // clock skew / lag between app and indexer
    expect(judgeTimes(161, 100, NOW, 60)).toBe('stale');
    expect(judgeTimes(NOW - 30, 100, NOW, 60)).toBe('within-grace'); // changed 30 s ago: the pipeline's turn
    expect(judgeTimes(NOW - 61, 100, NOW, 60)).toBe('stale');
  });

  it('hashes: any difference is stale, unless the source says it changed within grace', () => {
    expect(judgeHashes('a', 'a', null, NOW, 60)).toBe('fresh');
    expect(judgeHashes('a', 'b', null, NOW, 60)).toBe('stale');
    expect(judgeHashes('a', null, null, NOW, 60)).toBe('stale');
    expect(judgeHashes('a', 'b', NOW - 10, NOW, 60)).toBe('within-grace');
    expect(judgeHashes('a', 'b', NOW - 100, NOW, 60)).toBe('stale');
  });

  it('unindexed: a document created within grace is not reported yet', () => {
    expect(judgeUnindexed(null, NOW, 60)).toBe('unindexed');
    expect(judgeUnindexed(NOW - 10, NOW, 60)).toBe('within-grace');
    expect(judgeUnindexed(NOW - 100, NOW, 60)).toBe('unindexed');
  });

  it('entity times: epoch seconds or milliseconds, numeric text, ISO-8601; unreadable is null', () => {
    expect(epochSeconds(1_700_000_000, 's')).toBe(1_700_000_000);
    expect(epochSeconds('1700000000500', 'ms')).toBe(1_700_000_000.5);
    expect(epochSeconds('2024-01-01T00:00:00Z', 's')).toBe(1_704_067_200);
    expect(epochSeconds('yesterday', 's')).toBeNull();
    expect(epochSeconds(null, 's')).toBeNull();
  });
});

describe('index-freshness options', () => {
  const source = { table: 'documents', key: 'source', updatedAt: 'updated_at' };
  const parse = (documents: unknown[]) => optionsSchema.safeParse({ documents });
  const messages = (r: ReturnType<typeof parse>) => (r.success ? [] : r.error.issues.map((i) => i.message));

  it('preset langchain fills the record manager of the collection; the user keeps the last word', () => {
    const r = parse([{ preset: 'langchain', collection: 'chunks', recordManager: { schema: 'rag' }, source }]);
    expect(r.success && r.data.documents[0]).toMatchObject({
      name: 'chunks (langchain)',
      recordManager: { table: 'upsertion_record', schema: 'rag', namespace: 'milvus/chunks' },
      grace: 0,
    });
  });

  it('preset llamaindex fills the docstore metadata namespace and needs a hash column', () => {
    const ok = parse([{ preset: 'llamaindex', source: { table: 'documents', key: 'id', hash: 'content_hash' }, grace: '5m' }]);
    expect(ok.success && ok.data.documents[0]).toMatchObject({
      docstore: { table: 'data_docstore', namespace: 'docstore/metadata' },
      grace: 300_000,
    });
    expect(messages(parse([{ preset: 'llamaindex', source }]))).toEqual(['docstore is compared with source.hash: give that column']);
  });

  it('one clear line per mistake', () => {
    expect(messages(parse([{ preset: 'langchain', source }]))).toEqual([
      'preset langchain needs collection (the record manager namespace is milvus/<collection>) or recordManager.namespace',
    ]);
    expect(messages(parse([{ preset: 'haystack', source }]))).toEqual(['unknown preset "haystack"; presets: langchain, llamaindex']);
    expect(messages(parse([{ source }]))).toEqual(['give exactly one index: recordManager (LangChain), docstore (LlamaIndex) or milvus']);
    expect(messages(parse([{ source, milvus: { collection: 'c', field: 'doc_id', indexedAt: 'a', hash: 'b' } }]))).toEqual([
      'give exactly one of indexedAt or hash',
    ]);
    expect(messages(parse([{ source: { table: 'documents', key: 'id' }, docstore: {} }]))).toContain(
      'give updatedAt (a timestamp column) or hash (a content-hash column)',
    );
  });
});
