/**
 * Key types across stores: the one place that says whether a key on one side can equal a key on
 * the other, and how to compare them exactly.
 *
 * Every cross-store key comparison (a Milvus field against a Postgres column, a Redis key
 * placeholder against a Postgres column, a Postgres child column against its parent) first asks
 * `keyTypeProblem`. Compatible kinds are compared by value, never through a float:
 * - integer <-> integer: as integers (any widths; a value out of the narrower range simply has no match);
 * - integer <-> text: as canonical decimal strings ("42", "-7"; never "042", "+42" or "4.2e1"),
 *   which is the text Postgres and Milvus print for an integer;
 * - uuid <-> text: as canonical uuid text (lower case, hyphens): text in another spelling of the
 *   same uuid is read as that uuid where the text can be parsed (Redis placeholders, Postgres child
 *   columns) and must be canonical where it is streamed in order (Milvus VarChar);
 * - text <-> text and uuid <-> uuid: as they are.
 * integer <-> uuid, and any side of another type (float, boolean, timestamp, json...), is a
 * configuration error that names both types: such keys can never be equal, and comparing them
 * anyway would report every child as an orphan.
 */
import { CANONICAL_INTEGER, INT64_MAX, INT64_MIN } from '../../src/plugin.js';

/** What a key is, whatever store holds it. */
export type KeyKind = 'integer' | 'text' | 'uuid';

export interface KeyTypeInfo {
  /** The type as the store spells it (format_type() output, Milvus data type), for messages. */
  type: string;
  /** undefined: the type cannot hold a key (float, boolean, json...). */
  kind?: KeyKind;
  /** integer kinds: the range of the type. */
  min?: bigint;
  max?: bigint;
}

export { CANONICAL_INTEGER, INT64_MAX, INT64_MIN, isInt64Text } from '../../src/plugin.js';

const POSTGRES_INTEGERS: Record<string, [bigint, bigint]> = {
  smallint: [-(2n ** 15n), 2n ** 15n - 1n],
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  bigint: [INT64_MIN, INT64_MAX],
};
/** numeric with scale 0 holds integers only; plain `numeric` is kept as an integer key for compatibility. */
const POSTGRES_NUMERIC_INTEGER = /^numeric(\(\d+(,\s*0)?\))?$/;
/** format_type() spellings of text types. */
const POSTGRES_TEXT = /^(text|character varying(\(\d+\))?|character(\(\d+\))?|name|citext)$/;

const MILVUS_INTEGERS: Record<string, [bigint, bigint]> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [INT64_MIN, INT64_MAX],
};

/** Classifies a Postgres column type, as format_type() prints it ("bigint", "character varying(64)"). */
export function postgresKeyType(formatType: string): KeyTypeInfo {
  const t = formatType.trim().toLowerCase();
  const range = POSTGRES_INTEGERS[t];
  if (range) return { type: formatType, kind: 'integer', min: range[0], max: range[1] };
  if (POSTGRES_NUMERIC_INTEGER.test(t)) return { type: formatType, kind: 'integer' };
  if (POSTGRES_TEXT.test(t)) return { type: formatType, kind: 'text' };
  if (t === 'uuid') return { type: formatType, kind: 'uuid' };
  return { type: formatType };
}

/** Classifies a Milvus field data type ("Int64", "VarChar"). */
export function milvusKeyType(dataType: string): KeyTypeInfo {
  const t = dataType.trim().toLowerCase();
  const range = MILVUS_INTEGERS[t];
  if (range) return { type: dataType, kind: 'integer', min: range[0], max: range[1] };
  if (t === 'varchar' || t === 'string') return { type: dataType, kind: 'text' };
  return { type: dataType };
}

/**
 * A value inside a Milvus JSON field or the dynamic field: a string or a number, whatever each
 * entity holds. Compared as its text (integers as exact digits), like a Redis placeholder.
 */
export function milvusJsonKeyType(path: string): KeyTypeInfo {
  return { type: `JSON value ${path}`, kind: 'text' };
}

/** A placeholder of a Redis key pattern: whatever text the key holds there. */
export const REDIS_PLACEHOLDER_TYPE: KeyTypeInfo = { type: 'Redis key text', kind: 'text' };

/** Both sides of a comparison, labelled for messages (e.g. "Milvus field docs.doc_id"). */
export interface KeySide {
  label: string;
  key: KeyTypeInfo;
}

/**
 * Why keys of these two types can never be compared, or undefined when they can. The message
 * names both sides and both types; the caller prefixes the relation or mapping.
 */
export function keyTypeProblem(a: KeySide, b: KeySide): string | undefined {
  for (const side of [a, b]) {
    if (!side.key.kind) return `${side.label} is ${side.key.type}, which cannot hold a key (integer, text or uuid types can)`;
  }
  const kinds = new Set([a.key.kind, b.key.kind]);
  if (kinds.has('integer') && kinds.has('uuid')) {
    return `${a.label} is ${a.key.type} and ${b.label} is ${b.key.type}: an integer never equals a uuid`;
  }
  return undefined;
}

/** The canonical integer test (CANONICAL_INTEGER) in Postgres regex syntax (ASCII digits only, like the JS one). */
export const CANONICAL_INTEGER_SQL = '^(0|-?[1-9][0-9]*)$';

/** A uuid in any spelling Postgres accepts here: any case, hyphens optional. */
export const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The canonical text of a uuid (lower case, hyphenated), as Postgres prints it. */
export function formatUuid(text: string): string {
  const h = text.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The canonical text of `text` read as a key of `key`'s type, or null when no key of that type has
 * this text (a Redis placeholder "abc" against a bigint column, 40000 against a smallint).
 */
export function keyTextFor(key: KeyTypeInfo, text: string): string | null {
  switch (key.kind) {
    case 'integer': {
      if (!CANONICAL_INTEGER.test(text)) return null;
      if (key.min === undefined || key.max === undefined) return text;
      if (text.length < 5) return text; // |v| <= 9999: within every integer type's range
      const v = BigInt(text);
      return v >= key.min && v <= key.max ? text : null;
    }
    case 'uuid':
      return UUID_TEXT.test(text) ? formatUuid(text) : null;
    case 'text':
      return text.includes('\u0000') ? null : text; // Postgres text cannot hold NUL
    default:
      return null;
  }
}

/**
 * SQL for a Postgres child value read as a value of the parent column's type, NULL when it cannot be
 * one, so `parent.col = <this>` uses the parent's index and never fails on a bad value ("abc" cast
 * to bigint would end the scan). `child` is a quoted column reference; types come from
 * format_type(), valid SQL. Call only for compatible types (keyTypeProblem undefined).
 */
export function sqlAsParentKey(child: string, childKey: KeyTypeInfo, parentKey: KeyTypeInfo): string {
  // Same kind: Postgres compares integers of any width, and text with varchar, natively.
  if (childKey.kind === parentKey.kind) return child;
  if (parentKey.kind === 'text') return `${child}::text`; // integer or uuid child: its canonical text
  // CASE is the one construct whose evaluation order Postgres guarantees: the cast never sees a bad value.
  if (parentKey.kind === 'integer') {
    // Text child: canonical integers only, within the parent type's range (else NULL: no parent).
    const cast = `${child}::numeric::${parentKey.type}`;
    const inRange =
      parentKey.min !== undefined ? `(CASE WHEN ${child}::numeric BETWEEN ${parentKey.min} AND ${parentKey.max} THEN ${cast} END)` : cast;
    return `(CASE WHEN ${child} ~ '${CANONICAL_INTEGER_SQL}' THEN ${inRange} END)`;
  }
  // uuid parent, text child: any spelling of a uuid, by value.
  return `(CASE WHEN ${child} ~* '${UUID_TEXT.source}' THEN ${child}::uuid END)`;
}
