/**
 * Presets: the layouts RAG frameworks write (issue 14), as ordinary config.
 *
 * `preset: langchain` or `preset: llamaindex` on an orphan-scan Milvus relation or a
 * reference-integrity mapping is replaced, before the options are validated, by the keys it stands
 * for; keys the user also wrote win (parent / postgres / milvus are merged key by key). Nothing
 * else knows about presets: `dbcheck validate --print` shows the expansion.
 *
 * - LangChain `index()` with SQLRecordManager: Milvus `pk` (VarChar) is the record manager's `key`;
 *   one table `upsertion_record(uuid, key, namespace, group_id, updated_at)` serves every
 *   collection, namespace `milvus/<collection>`.
 * - LlamaIndex with a Postgres docstore: nodes carry their source document's id in `doc_id`
 *   (VarChar); `data_docstore(id, key, namespace, value)` holds the documents under namespace
 *   `docstore/data`. Node ids never reach Postgres.
 */

export const PRESETS = ['langchain', 'llamaindex'] as const;
export type PresetName = (typeof PRESETS)[number];

/** Where a framework's bookkeeping table is, when not at its default name and namespace. */
export interface PresetTable {
  table?: string;
  schema?: string;
  namespace?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** SQL string literal (the namespace goes into a `where`, which is trusted SQL: quote it anyway). */
const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The framework's table (user overrides applied) and the `where` selecting this collection's rows. */
function bookkeeping(preset: PresetName, collection: string, given: unknown): { table: string; schema?: string; where: string } {
  const t: PresetTable = isObj(given) ? (given as PresetTable) : {};
  const table = t.table ?? (preset === 'langchain' ? 'upsertion_record' : 'data_docstore');
  const namespace = t.namespace ?? (preset === 'langchain' ? `milvus/${collection}` : 'docstore/data');
  return { table, ...(t.schema ? { schema: t.schema } : {}), where: `namespace = ${sqlText(namespace)}` };
}

/** Key by key: the user's value wins; nested objects (parent, postgres, milvus) merged one level deep. */
function merge(base: Obj, user: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(user)) out[k] = isObj(v) && isObj(base[k]) ? { ...(base[k] as Obj), ...v } : v;
  return out;
}

/**
 * Splits off `preset` and the framework-table key (`recordManager` for LangChain, `docstore` for
 * LlamaIndex); returns undefined when the input has no preset (or is not an object: the schema says why).
 */
function takePreset(input: unknown): { preset: PresetName; table: unknown; rest: Obj } | undefined {
  if (!isObj(input) || input.preset === undefined) return undefined;
  const { preset, recordManager, docstore, ...rest } = input;
  if (!PRESETS.includes(preset as PresetName)) {
    // Left in place: the schema rejects the unknown key with the list of presets (see presetIssue).
    return undefined;
  }
  return { preset: preset as PresetName, table: preset === 'langchain' ? recordManager : docstore, rest };
}

/** An unknown preset name, or a table key of the other framework; undefined when neither. */
function presetNameIssue(input: Record<string, unknown>): string | undefined {
  if (!PRESETS.includes(input.preset as PresetName))
    return `unknown preset ${JSON.stringify(input.preset)}; presets: ${PRESETS.join(', ')}`;
  if (input.preset === 'langchain' && input.docstore !== undefined)
    return 'docstore belongs to preset llamaindex; LangChain keeps its records in recordManager';
  if (input.preset === 'llamaindex' && input.recordManager !== undefined)
    return 'recordManager belongs to preset langchain; LlamaIndex keeps its documents in docstore';
  return undefined;
}

/** Why `preset` cannot be used here, or undefined: an unknown name, or a table key of the other framework. */
export function presetIssue(input: unknown): string | undefined {
  if (!isObj(input) || input.preset === undefined) return undefined;
  const mixed = presetNameIssue(input);
  if (mixed) return mixed;
  if (typeof input.collection !== 'string')
    return `preset ${String(input.preset)} needs collection: the Milvus collection the framework writes`;
  return undefined;
}

/**
 * An orphan-scan Milvus relation: entities whose framework record is gone.
 * LangChain: `pk` against the record manager's `key` (an entity the record manager no longer knows
 * is never cleaned up by it). LlamaIndex: `doc_id` against the docstore's document `key`.
 */
export function expandRelationPreset(input: unknown): unknown {
  if (presetIssue(input)) return input;
  const p = takePreset(input);
  if (!p) return input;
  const collection = p.rest.collection as string;
  const t = bookkeeping(p.preset, collection, p.table);
  const base: Obj = {
    name: `${collection} (${p.preset})`,
    collection,
    field: p.preset === 'langchain' ? 'pk' : 'doc_id',
    parent: { ...(t.schema ? { schema: t.schema } : {}), table: t.table, column: 'key', where: t.where },
  };
  return merge(base, p.rest);
}

/**
 * A reference-integrity mapping: LangChain only. Every record has exactly one vector (`pk` =
 * `key`), so records without a vector and vectors without a record are both found. LlamaIndex
 * writes many nodes per document: as a mapping each document's nodes would read as duplicate
 * vectors, so that preset is refused here (mappingPresetIssue) and belongs on an orphan-scan relation.
 */
export function expandMappingPreset(input: unknown): unknown {
  if (presetIssue(input) || mappingPresetIssue(input)) return input;
  const p = takePreset(input);
  if (!p) return input;
  const collection = p.rest.collection as string;
  const { collection: _collection, ...rest } = p.rest;
  const t = bookkeeping(p.preset, collection, p.table);
  const base: Obj = {
    name: `${collection} (${p.preset})`,
    postgres: { ...(t.schema ? { schema: t.schema } : {}), table: t.table, key: 'key', where: t.where },
    milvus: { collection, key: 'pk' },
  };
  return merge(base, rest);
}

/** Why a preset cannot expand into a reference-integrity mapping, or undefined. */
export function mappingPresetIssue(input: unknown): string | undefined {
  const general = presetIssue(input);
  if (general) return general;
  if (isObj(input) && input.preset === 'llamaindex') {
    return 'preset llamaindex writes many nodes per document, which a mapping would report as duplicate vectors: use it on an orphan-scan Milvus relation (nodes whose document is gone)';
  }
  return undefined;
}

/**
 * Why a preset cannot expand into an index-freshness entry, or undefined. LangChain needs the
 * collection (its record-manager namespace is `milvus/<collection>`) unless recordManager.namespace
 * is given; LlamaIndex's docstore keeps one `docstore/metadata` namespace whatever the collection.
 */
export function freshnessPresetIssue(input: unknown): string | undefined {
  if (!isObj(input) || input.preset === undefined) return undefined;
  const mixed = presetNameIssue(input);
  if (mixed) return mixed;
  const namespace = isObj(input.recordManager) ? input.recordManager.namespace : undefined;
  if (input.preset === 'langchain' && typeof input.collection !== 'string' && namespace === undefined)
    return 'preset langchain needs collection (the record manager namespace is milvus/<collection>) or recordManager.namespace';
  return undefined;
}

/**
 * An index-freshness entry: LangChain compares the source's updatedAt with the record manager's
 * newest `updated_at` per `group_id`; LlamaIndex compares the source's hash with the docstore's
 * `doc_hash` (namespace `docstore/metadata`). `collection` only names the namespace.
 */
export function expandFreshnessPreset(input: unknown): unknown {
  if (freshnessPresetIssue(input)) return input;
  if (!isObj(input) || input.preset === undefined) return input;
  const { preset, collection, recordManager, docstore, ...rest } = input;
  if (preset === 'langchain') {
    const given = isObj(recordManager) ? recordManager : {};
    const rm = { table: 'upsertion_record', namespace: `milvus/${String(collection)}`, ...given };
    return { name: `${collection ?? rm.namespace} (langchain)`, ...rest, recordManager: rm };
  }
  const given = isObj(docstore) ? docstore : {};
  const ds = { table: 'data_docstore', namespace: 'docstore/metadata', ...given };
  return { name: `${collection ?? tableName(ds)} (llamaindex)`, ...rest, docstore: ds };
}

const tableName = (t: Obj) => (t.schema ? `${String(t.schema)}.${String(t.table)}` : String(t.table));
