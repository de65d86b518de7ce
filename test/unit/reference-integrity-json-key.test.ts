/** reference-integrity refuses a key inside JSON / $meta with one line that says why and what to use. */
import { describe, expect, it } from 'vitest';
import { JSON_KEY_REFUSAL, optionsSchema } from '../../checks/reference-integrity/options.js';

describe('reference-integrity: a JSON path as the mapping key', () => {
  const parse = (key: string) =>
    optionsSchema.safeParse({ mappings: [{ postgres: { table: 'documents', key: 'id' }, milvus: { collection: 'docs', key } }] });

  it('is refused in validate, naming the relations that work with it', () => {
    for (const key of ['$meta["doc_id"]', 'metadata["doc_id"]']) {
      const r = parse(key);
      expect(r.success).toBe(false);
      expect(r.success ? [] : r.error.issues.map((i) => i.message)).toEqual([JSON_KEY_REFUSAL]);
    }
    expect(JSON_KEY_REFUSAL).toContain('orphan-scan (field: $meta["doc_id"]');
  });

  it('a scalar field name still parses, and garbage gets the field-name message', () => {
    expect(parse('chunk_id').success).toBe(true);
    const bad = parse('doc id');
    expect(bad.success ? [] : bad.error.issues.map((i) => i.message)).toContain('a Milvus field name (letters, digits, _)');
  });
});
