/**
 * Exact reading of Milvus JSON values (JSON fields and the dynamic field `$meta`).
 *
 * The Node SDK decodes every JSON value with `JSON.parse`, which turns an integer above 2^53 into
 * the nearest double: `{"doc_id": 9007199254740993}` would come back as ...992 and match the wrong
 * Postgres row, or none. `parseJsonExact` parses the same text but keeps every integer that a
 * double cannot hold exactly as its decimal digits (a string), so keys inside JSON compare exactly.
 * `installExactJsonDecoding` swaps it into the SDK's scalar decoder (one process-wide, idempotent
 * patch of the SDK's own module; everything else the decoder does is kept).
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

let installed = false;

/**
 * Makes the SDK decode query results' JSON with `parseJsonExact`. The SDK's `buildFieldDataMap`
 * calls `processScalarData` through its module's exports, so replacing that export is enough; the
 * JSON bytes are decoded first and the rest (valid_data handling) is left to the original.
 */
export function installExactJsonDecoding(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  let dataUtils: { processScalarData?: (item: any) => unknown[] };
  try {
    dataUtils = require('@zilliz/milvus2-sdk-node/dist/milvus/utils/Data.js');
  } catch {
    return; // another SDK layout: keep its own decoding (exact below 2^53)
  }
  const original = dataUtils.processScalarData;
  if (typeof original !== 'function') return;
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
}
