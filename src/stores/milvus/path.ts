/**
 * Where a value lives in a Milvus entity: a scalar field (`doc_id`), a key inside a JSON field
 * (`metadata["doc_id"]`), or a key of the dynamic field (`$meta["doc_id"]`, nested
 * `$meta["a"]["b"]`). RAG frameworks put document ids in all three places (issue 14).
 *
 * A bare name resolves to the schema field of that name, else — when the collection has a dynamic
 * field — to `$meta["name"]`, which is what Milvus itself does in filter expressions. Pure functions:
 * the caller describes the collection and reads the rows.
 */
import type { MilvusCollectionInfo } from '../types.js';

/** The dynamic field's name in expressions and output fields. */
export const MILVUS_DYNAMIC_FIELD = '$meta';

export interface MilvusValuePath {
  /** The top-level field to ask for in output fields: a schema field or `$meta`. */
  field: string;
  /** Keys inside the JSON value, outermost first; empty for a scalar field. */
  keys: string[];
  /** Canonical spelling, for messages and filter expressions: `doc_id`, `$meta["doc_id"]`. */
  text: string;
  /** The schema field's data type ("Int64", "VarChar", "JSON"), or "JSON" for `$meta`. */
  dataType: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `name` or `$meta` followed by one or more `["key"]` (JSON string keys, escapes allowed). */
const PATH = /^(\$meta|[A-Za-z_][A-Za-z0-9_]*)((?:\s*\[\s*"(?:[^"\\]|\\.)*"\s*\])+)$/;
const STEP = /\[\s*("(?:[^"\\]|\\.)*")\s*\]/g;

/** True when `text` is a field name or a JSON path this module can read (syntax only). */
export function isMilvusPathSyntax(text: string): boolean {
  return IDENT.test(text) || PATH.test(text.trim());
}

/** `["a"]["b"]` text of keys, as Milvus expressions spell them. */
function keysText(keys: string[]): string {
  return keys.map((k) => `[${JSON.stringify(k)}]`).join('');
}

/**
 * The path `text` names in this collection, or a one-line reason it names nothing: an unknown
 * field (with the fields there are), `$meta[...]` without a dynamic field, `x["k"]` on a field that
 * is not JSON.
 */
export function resolveMilvusPath(info: MilvusCollectionInfo, text: string): MilvusValuePath | { problem: string } {
  const t = text.trim();
  const names = () => info.fields.map((f) => f.name).join(', ');
  if (IDENT.test(t)) {
    const f = info.fields.find((x) => x.name === t);
    if (f) return { field: f.name, keys: [], text: f.name, dataType: f.dataType };
    if (info.dynamicField) {
      return { field: MILVUS_DYNAMIC_FIELD, keys: [t], text: `${MILVUS_DYNAMIC_FIELD}${keysText([t])}`, dataType: 'JSON' };
    }
    return { problem: `Milvus collection ${info.name} has no field ${JSON.stringify(t)} and no dynamic field (fields: ${names()})` };
  }
  const m = PATH.exec(t);
  if (!m) {
    return { problem: `${JSON.stringify(t)} is neither a Milvus field name nor a JSON path like metadata["doc_id"] or $meta["doc_id"]` };
  }
  const keys = [...m[2]!.matchAll(STEP)].map((s) => JSON.parse(s[1]!) as string);
  const base = m[1]!;
  if (base === MILVUS_DYNAMIC_FIELD) {
    if (!info.dynamicField)
      return { problem: `Milvus collection ${info.name} has no dynamic field, so ${t} names nothing (fields: ${names()})` };
    return { field: base, keys, text: `${base}${keysText(keys)}`, dataType: 'JSON' };
  }
  const f = info.fields.find((x) => x.name === base);
  if (!f) return { problem: `Milvus collection ${info.name} has no field ${JSON.stringify(base)} (fields: ${names()})` };
  if (!/^json$/i.test(f.dataType))
    return { problem: `Milvus field ${info.name}.${base} is ${f.dataType}, not JSON, so ${t} names nothing` };
  return { field: base, keys, text: `${base}${keysText(keys)}`, dataType: f.dataType };
}

/** The raw value at `path` in a query row (undefined when a key is absent). */
export function milvusPathValue(row: Record<string, unknown>, path: MilvusValuePath): unknown {
  let v: unknown = row[path.field];
  for (const k of path.keys) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * The value at `path` as comparison text: strings as they are, numbers as digits (integers above
 * 2^53 arrive as exact digit strings, see json.ts), other JSON (true, objects) as JSON text;
 * null when absent or null.
 */
export function milvusPathText(row: Record<string, unknown>, path: MilvusValuePath): string | null {
  const v = milvusPathValue(row, path);
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}
