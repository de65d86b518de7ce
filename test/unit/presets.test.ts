/** Presets (issue 14.4): `preset: langchain | llamaindex` expands, inside the checks' own option schemas, to ordinary config. */
import { describe, expect, it } from 'vitest';
import { optionsSchema as orphanOptions } from '../../checks/orphan-scan/options.js';
import { optionsSchema as refOptions } from '../../checks/reference-integrity/options.js';

const issues = (r: { success: boolean; error?: any }) =>
  r.success ? [] : r.error.issues.map((i: any) => `${i.path.join('.')}: ${i.message}`);

describe('orphan-scan relation presets', () => {
  it("langchain: Milvus pk against the record manager key of this collection's namespace", () => {
    const r = orphanOptions.safeParse({ milvus: [{ preset: 'langchain', collection: 'docs' }] });
    expect(issues(r)).toEqual([]);
    expect(r.data!.milvus).toEqual([
      {
        name: 'docs (langchain)',
        collection: 'docs',
        field: 'pk',
        parent: { table: 'upsertion_record', column: 'key', where: "namespace = 'milvus/docs'" },
      },
    ]);
  });
  it('llamaindex: doc_id against the docstore documents; the table, schema and namespace can be moved; user keys win', () => {
    const r = orphanOptions.safeParse({
      milvus: [
        {
          preset: 'llamaindex',
          collection: 'li',
          docstore: { schema: 'rag', table: 'my_docstore', namespace: "o'brien/data" },
          filter: 'x == 1',
          parent: { where: 'true' },
        },
      ],
    });
    expect(issues(r)).toEqual([]);
    expect(r.data!.milvus).toEqual([
      {
        name: 'li (llamaindex)',
        collection: 'li',
        field: 'doc_id',
        filter: 'x == 1',
        parent: { schema: 'rag', table: 'my_docstore', column: 'key', where: 'true' },
      },
    ]);
    const quoted = orphanOptions.safeParse({
      milvus: [{ preset: 'llamaindex', collection: 'li', docstore: { namespace: "o'brien/data" } }],
    });
    expect(quoted.data!.milvus[0]!.parent.where).toBe("namespace = 'o''brien/data'"); // quoted as SQL text
  });
  it('mistakes are one clear line at the relation', () => {
    const r = orphanOptions.safeParse({
      milvus: [{ preset: 'haystack', collection: 'a' }, { preset: 'langchain', collection: 'b', docstore: {} }, { preset: 'llamaindex' }],
    });
    expect(issues(r)).toEqual([
      'milvus.0: unknown preset "haystack"; presets: langchain, llamaindex',
      'milvus.1: docstore belongs to preset llamaindex; LangChain keeps its records in recordManager',
      'milvus.2: preset llamaindex needs collection: the Milvus collection the framework writes',
    ]);
  });
  it('a relation without a preset is unchanged', () => {
    const plain = { name: 'x', collection: 'c', field: 'doc_id', parent: { table: 't', column: 'id' } };
    expect(orphanOptions.safeParse({ milvus: [plain] }).data!.milvus).toEqual([plain]);
  });
});

describe('reference-integrity mapping presets', () => {
  it("langchain: the record manager rows of the namespace against the collection's pk", () => {
    const r = refOptions.safeParse({
      mappings: [{ preset: 'langchain', collection: 'docs', recordManager: { schema: 'lc' }, mode: 'full' }],
    });
    expect(issues(r)).toEqual([]);
    expect(r.data!.mappings).toEqual([
      {
        name: 'docs (langchain)',
        mode: 'full',
        postgres: { schema: 'lc', table: 'upsertion_record', key: 'key', where: "namespace = 'milvus/docs'" },
        milvus: { collection: 'docs', key: 'pk' },
      },
    ]);
  });
  it('llamaindex is refused on a mapping, pointing at orphan-scan', () => {
    expect(issues(refOptions.safeParse({ mappings: [{ preset: 'llamaindex', collection: 'li' }] }))).toEqual([
      'mappings.0: preset llamaindex writes many nodes per document, which a mapping would report as duplicate vectors: use it on an orphan-scan Milvus relation (nodes whose document is gone)',
    ]);
  });
});
