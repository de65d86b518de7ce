/**
 * Exact reading of Milvus JSON values (JSON fields and the dynamic field `$meta`).
 *
 * The Node SDK decodes every JSON value with `JSON.parse`, which turns an integer above 2^53 into
 * the nearest double: `{"doc_id": 9007199254740993}` would come back as ...992 and match the wrong
 * Postgres row, or none. `parseJsonExact` parses the same text but keeps every integer that a
 * double cannot hold exactly as its decimal digits (a string), so keys inside JSON compare exactly.
 * `installExactJsonDecoding` swaps it into the SDK's scalar decoder (one process-wide, idempotent
 * patch of the SDK's own module; everything else the decoder does is kept) and proves it works on
 * a probe value. If the SDK's layout changed, it says so, and connectMilvus refuses to connect:
 * falling back to the SDK's lossy decoding would compare keys above 2^53 wrongly, silently.
 */
import { createRequire } from 'node:module';

/** Parses JSON text; integers outside Number's safe range come back as digit strings. */
export function parseJsonExact(text: string): unknown {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON from Milvus at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const value = (): unknown => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') return (i++, obj);
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = string();
        ws();
        if (text[i++] !== ':') fail();
        obj[key] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return (i++, obj);
        else fail();
      }
    }
    if (ch === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') return (i++, arr);
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return (i++, arr);
        else fail();
      }
    }
    if (ch === '"') return string();
    if (text.startsWith('true', i)) return ((i += 4), true);
    if (text.startsWith('false', i)) return ((i += 5), false);
    if (text.startsWith('null', i)) return ((i += 4), null);
    return number();
  };
  const string = (): string => {
    // Delegate escapes to JSON.parse on the exact string token: no re-implementation of \u rules.
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const number = (): number | string => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
    const n = Number(m![0]);
    // An integer token a double cannot hold exactly keeps its digits ("-0" stays the number 0).
    if (!m![2] && !m![3] && !Number.isSafeInteger(n)) return m![0];
    return n;
  };
  const result = value();
  ws();
  if (i !== text.length) fail();
  return result;
}

/** The part of the SDK's `dist/milvus/utils/Data.js` module that the patch replaces and tests. */
export interface SdkDataUtils {
  processScalarData?: (item: any) => unknown[];
  buildFieldDataMap?: (fieldsData: any[], transformers?: unknown) => Map<string, unknown[]>;
}

const SDK_DATA_MODULE = '@zilliz/milvus2-sdk-node/dist/milvus/utils/Data.js';
/** A value a double cannot hold: the self-test sees it exact only when the patched decoder ran. */
const PROBE_INT = '9007199254740993';

/**
 * Makes the SDK decode query results' JSON with `parseJsonExact`. The SDK's `buildFieldDataMap`
 * calls `processScalarData` through its module's exports, so replacing that export is enough; the
 * JSON bytes are decoded first and the rest (valid_data handling) is left to the original. Then it
 * decodes a probe JSON field through `buildFieldDataMap` and checks the int64 came out exact.
 * Returns undefined when that holds, else why not (the SDK's layout changed): the caller must then
 * refuse to run rather than read JSON with lossy parsing.
 */
export function patchScalarDecoder(dataUtils: SdkDataUtils): string | undefined {
  const original = dataUtils.processScalarData;
  if (typeof original !== 'function') return 'it has no processScalarData export';
  if (typeof dataUtils.buildFieldDataMap !== 'function') return 'it has no buildFieldDataMap export';
  dataUtils.processScalarData = (item: any) => {
    const scalars = item?.scalars;
    if (scalars?.data !== 'json_data') return original(item);
    const raw: unknown[] = scalars.json_data?.data ?? [];
    // Decode exactly here, then let the original run on placeholders (entry k becomes the JSON
    // text "k", which it parses to the number k) and swap each placeholder for its decoded value.
    const decoded = raw.map((b) => {
      const buf = b as Buffer;
      return buf && buf.length ? parseJsonExact(buf.toString('utf8')) : null;
    });
    const copy = {
      ...item,
      scalars: { ...scalars, json_data: { ...scalars.json_data, data: decoded.map((_, k) => Buffer.from(String(k))) } },
    };
    const out = original(copy);
    return out.map((v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < decoded.length ? decoded[v] : v));
  };
  try {
    const probe = { field_name: 'probe', scalars: { data: 'json_data', json_data: { data: [Buffer.from(`{"id":${PROBE_INT}}`)] } } };
    const value = dataUtils.buildFieldDataMap([probe]).get('probe')?.[0] as { id?: unknown } | undefined;
    if (value?.id !== PROBE_INT) return `its decoder returned ${JSON.stringify(value?.id ?? null)} for the JSON integer ${PROBE_INT}`;
  } catch (err) {
    return `decoding a JSON field failed (${(err as Error)?.message ?? String(err)})`;
  }
  return undefined;
}

let installed: { failure?: string } | undefined;

/**
 * Patches the SDK once per process (patchScalarDecoder). Returns undefined when int64 inside JSON
 * and `$meta` values will be read exactly, else a sentence saying why not.
 */
export function installExactJsonDecoding(
  load: () => SdkDataUtils = () => createRequire(import.meta.url)(SDK_DATA_MODULE),
): string | undefined {
  if (installed) return installed.failure;
  let failure: string | undefined;
  try {
    failure = patchScalarDecoder(load());
  } catch (err) {
    failure = `${SDK_DATA_MODULE} cannot be loaded (${(err as Error)?.message?.split('\n')[0] ?? String(err)})`;
  }
  installed = { failure: failure && `the Milvus SDK's JSON decoder cannot be made exact: ${failure}` };
  return installed.failure;
}
