/**
 * Field comparison with the normalisation real caches need: a row value and a cache value are
 * brought to one canonical text per type, then compared as text.
 *
 * - number: exact decimal text ("12.50" == 12.5 == "12.5"); when the cache holds a JSON number (a
 *   double once parsed), the row value is compared as a double too; `precision` rounds both sides.
 * - boolean: true/false, "1"/"0", "t"/"f", "true"/"false", "yes"/"no", "on"/"off", 1/0.
 * - timestamp: epoch milliseconds; the cache may hold ISO text (no zone = UTC) or epoch seconds /
 *   milliseconds; the row is compared at the precision the cache keeps (whole seconds when the cache
 *   has whole seconds).
 * - json: key order does not matter.
 * - string: as text.
 * NULL: equals JSON null, a missing field (absentIsNull) and, in hashes, "" (emptyIsNull).
 */
import type { FieldType, TimestampFormat } from './options.js';

export interface FieldRule {
  column: string;
  /** Cache field or JSON path. */
  path: string;
  type: Exclude<FieldType, 'auto'>;
  format: TimestampFormat;
  precision?: number;
  sensitive: boolean;
}

export interface NullPolicy {
  absentIsNull: boolean;
  emptyIsNull: boolean;
}

export interface CacheValue {
  present: boolean;
  value: unknown;
  /** The value came from a hash: always text. */
  stringly: boolean;
}

/** Canonical text of a value, or null for NULL. Unparseable values get a text no real value has. */
type Canon = string | null;

const UNPARSEABLE = '\u0000unparseable:';

export function fieldsEqual(rule: FieldRule, rowValue: unknown, cache: CacheValue, nulls: NullPolicy): boolean {
  const cacheIsNull =
    (!cache.present && nulls.absentIsNull) ||
    (cache.present && cache.value === null) ||
    (cache.present && cache.stringly && cache.value === '' && nulls.emptyIsNull);
  if (rowValue === null || rowValue === undefined) return cacheIsNull;
  if (!cache.present || cacheIsNull) return false;
  // Fast paths for the common case of equal values (most entries of a healthy cache).
  const v = cache.value;
  if (rule.type === 'string' && typeof rowValue === 'string' && typeof v === 'string') return rowValue === v;
  if (rule.type === 'number' && rule.precision === undefined) {
    if (typeof v === 'number') return Number(rowValue) === v; // a JSON number is a double: compare as doubles
    if (rowValue === v) return true; // same text, same number
  }
  if (rule.type === 'boolean' && typeof rowValue === 'boolean' && typeof v === 'boolean') return rowValue === v;
  const [row, cached] = canonPair(rule, rowValue, cache);
  return row !== null && row === cached;
}

function canonPair(rule: FieldRule, rowValue: unknown, cache: CacheValue): [Canon, Canon] {
  const v = cache.value;
  switch (rule.type) {
    case 'number': {
      // A JSON number went through a double: compare the row as a double as well.
      const row = typeof v === 'number' ? canonNumber(Number(canonNumber(rowValue) ?? NaN)) : canonNumber(rowValue);
      return [round(row, rule.precision), round(canonNumber(v), rule.precision)];
    }
    case 'boolean':
      return [canonBoolean(rowValue), canonBoolean(v)];
    case 'timestamp': {
      const cached = cacheTimestamp(v, rule.format);
      if (cached === null) return [rowTimestampMs(rowValue)?.toString() ?? null, UNPARSEABLE + String(v)];
      const row = rowTimestampMs(rowValue);
      if (row === null) return [null, String(cached.ms)];
      return [String(atCachePrecision(row, cached)), String(cached.ms)];
    }
    case 'json':
      return [canonJson(rowValue, true), canonJson(v, cache.stringly)];
    case 'string':
    default:
      return [textOf(rowValue), textOf(v)];
  }
}

/** Version comparison (write-behind, cache-aside): -1 cache older, 0 same, 1 cache newer, null = unknown. */
export function compareVersions(rule: FieldRule, rowValue: unknown, cache: CacheValue): -1 | 0 | 1 | null {
  if (rowValue === null || rowValue === undefined || !cache.present || cache.value === null) return null;
  if (rule.type === 'timestamp') {
    const row = rowTimestampMs(rowValue);
    const cached = cacheTimestamp(cache.value, rule.format);
    if (row === null || cached === null) return null;
    return Math.sign(cached.ms - atCachePrecision(row, cached)) as -1 | 0 | 1;
  }
  const row = canonNumber(rowValue);
  const cached = canonNumber(cache.value);
  if (row === null || cached === null || row.startsWith(UNPARSEABLE) || cached.startsWith(UNPARSEABLE)) return null;
  return compareDecimal(cached, row);
}

/** The cache side of a timestamp version in epoch ms (write-behind measures how long it has led). */
export function cacheTimestampMs(rule: FieldRule, cache: CacheValue): number | null {
  if (!cache.present || cache.value === null) return null;
  return cacheTimestamp(cache.value, rule.format)?.ms ?? null;
}

export function rowTimestampMs(v: unknown): number | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseIso(v);
  return null;
}

/** Difference of two numbers held as decimal text (version lead), as a Number. */
export function decimalDifference(a: unknown, b: unknown): number | null {
  const x = canonNumber(a);
  const y = canonNumber(b);
  if (x === null || y === null || x.startsWith(UNPARSEABLE) || y.startsWith(UNPARSEABLE)) return null;
  const [mx, sx] = toScaled(x);
  const [my, sy] = toScaled(y);
  const scale = Math.max(sx, sy);
  const diff = mx * 10n ** BigInt(scale - sx) - my * 10n ** BigInt(scale - sy);
  return Number(diff) / 10 ** scale;
}

// ---------------------------------------------------------------- numbers

/** Integers already in canonical form: no sign, no leading zero. */
const SIMPLE_INT = /^(0|-?[1-9]\d{0,20})$/;
const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/** Exact canonical decimal text: no exponent, no leading/trailing zeros, no "-0". */
export function canonNumber(v: unknown): Canon {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v === 0 ? '0' : String(v);
  if (typeof v === 'string' && SIMPLE_INT.test(v)) return v;
  let text: string;
  if (typeof v === 'number') {
    text = String(v);
  } else if (typeof v === 'bigint') text = v.toString();
  else if (typeof v === 'string') text = v.trim();
  else return UNPARSEABLE + JSON.stringify(v);
  const special = /^([+-]?)(nan|inf|infinity)$/i.exec(text);
  if (special) return special[2].toLowerCase() === 'nan' ? 'nan' : `${special[1] === '-' ? '-' : ''}infinity`;
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return UNPARSEABLE + text;
  const sign = m[1] === '-' ? '-' : '';
  let digits = (m[2] || '') + (m[3] || '');
  let point = (m[2] || '').length + Number(m[4] ?? 0); // position of the decimal point in digits
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits + '0'.repeat(point - digits.length);
  const int = digits.slice(0, point).replace(/^0+/, '') || '0';
  const frac = digits.slice(point).replace(/0+$/, '');
  const out = frac ? `${int}.${frac}` : int;
  return out === '0' ? '0' : sign + out;
}

/** Rounds canonical decimal text to `precision` places, half away from zero. */
function round(c: Canon, precision: number | undefined): Canon {
  if (c === null || precision === undefined || c.startsWith(UNPARSEABLE) || !/^-?\d/.test(c)) return c;
  const [mantissa, scale] = toScaled(c);
  if (scale <= precision) return c;
  const drop = 10n ** BigInt(scale - precision);
  const negative = mantissa < 0n;
  const abs = negative ? -mantissa : mantissa;
  let q = abs / drop;
  if ((abs % drop) * 2n >= drop) q += 1n;
  return fromScaled(negative ? -q : q, precision);
}

function toScaled(c: string): [bigint, number] {
  const negative = c.startsWith('-');
  const [int, frac = ''] = (negative ? c.slice(1) : c).split('.');
  const m = BigInt(int + frac);
  return [negative ? -m : m, frac.length];
}

function fromScaled(m: bigint, scale: number): string {
  const negative = m < 0n;
  let digits = (negative ? -m : m).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}` : digits;
  digits = canonNumber(text) as string;
  return negative && digits !== '0' ? `-${digits}` : digits;
}

function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  if (!/^-?\d/.test(a) || !/^-?\d/.test(b)) return a === b ? 0 : a < b ? -1 : 1;
  const [ma, sa] = toScaled(a);
  const [mb, sb] = toScaled(b);
  const scale = Math.max(sa, sb);
  const x = ma * 10n ** BigInt(scale - sa);
  const y = mb * 10n ** BigInt(scale - sb);
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---------------------------------------------------------------- booleans

const TRUE = new Set(['true', 't', '1', 'yes', 'y', 'on']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n', 'off']);

function canonBoolean(v: unknown): Canon {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return String(v);
  const text = String(v).trim().toLowerCase();
  if (TRUE.has(text)) return 'true';
  if (FALSE.has(text)) return 'false';
  return UNPARSEABLE + text;
}

// ---------------------------------------------------------------- timestamps

const NUMERIC = /^-?\d+(\.\d+)?$/;
/** Epoch values below this are seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_BELOW = 1e11;

interface CachedTime {
  ms: number;
  /** Whole epoch seconds, or ISO text without fractional seconds (checked only when it matters). */
  wholeSeconds: boolean | string;
}

function cacheTimestamp(v: unknown, format: TimestampFormat): CachedTime | null {
  if (typeof v === 'string' && format !== 'epoch-s' && format !== 'epoch-ms' && v.length > 10 && v.charCodeAt(4) === 45 /* - */) {
    const ms = parseIso(v);
    return ms === null ? null : { ms, wholeSeconds: v };
  }
  const numeric = typeof v === 'number' ? v : typeof v === 'string' && NUMERIC.test(v.trim()) ? Number(v) : null;
  if (numeric !== null && format !== 'iso') {
    const seconds = format === 'epoch-s' || (format === 'auto' && Math.abs(numeric) < SECONDS_BELOW);
    if (seconds) return { ms: Math.round(numeric * 1000), wholeSeconds: Number.isInteger(numeric) };
    return { ms: Math.round(numeric), wholeSeconds: false };
  }
  if (typeof v !== 'string' || format === 'epoch-s' || format === 'epoch-ms') return null;
  const ms = parseIso(v);
  return ms === null ? null : { ms, wholeSeconds: v };
}

/** The row's time at the precision the cache keeps: whole seconds when the cache has no fraction. */
function atCachePrecision(rowMs: number, cached: CachedTime): number {
  if (rowMs % 1000 === 0 || cached.wholeSeconds === false) return rowMs;
  const whole = typeof cached.wholeSeconds === 'string' ? !/[T ]\d{2}:\d{2}:\d{2}[.,]\d/.test(cached.wholeSeconds) : cached.wholeSeconds;
  return whole ? Math.floor(rowMs / 1000) * 1000 : rowMs;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/;

/** ISO 8601 (or Postgres text); a time without a zone is UTC. */
function parseIso(text: string): number | null {
  if (ISO_UTC.test(text)) return Date.parse(text); // the usual toISOString() form
  let t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) t += 'T00:00:00Z';
  else if (!/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(t)) t += 'Z';
  t = t.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

// ---------------------------------------------------------------- json and text

function canonJson(v: unknown, mayBeText: boolean): Canon {
  if (v === null || v === undefined) return null;
  let value = v;
  if (typeof v === 'string' && mayBeText) {
    try {
      value = JSON.parse(v);
    } catch {
      return UNPARSEABLE + v;
    }
  }
  return stableStringify(value);
}

function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const keys = Object.keys(v as object).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

function textOf(v: unknown): Canon {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return stableStringify(v);
  return String(v);
}

/** A value as shown in a finding: dates as ISO text, absent fields as "<absent>", long text cut. */
export function displayValue(v: unknown, present = true): unknown {
  if (!present) return '<absent>';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string' && v.length > 200) return `${v.slice(0, 200)}…`;
  if (v !== null && typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 200 ? `${s.slice(0, 200)}…` : v;
  }
  return v;
}
