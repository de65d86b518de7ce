/**
 * The subset of Milvus's boolean expression language that dbcheck and its checks send, evaluated
 * over in-memory rows: comparisons (== != < <= > >=) of a field with a literal, `in` / `not in`
 * lists, `&&`/`and`, `||`/`or`, `!`/`not`, parentheses. Literals: integers, floats, true/false and
 * double- or single-quoted strings with backslash escapes (what milvusLiteral writes).
 *
 * Anything outside the subset (functions, arithmetic, JSON paths, field-to-field comparisons) throws
 * a clear error instead of guessing: a fake that silently matched everything would let a test pass
 * for the wrong reason.
 */
import { compareUtf8, isInt64Text } from '../../../src/stores/milvus/expr.js';

export type Row = Record<string, unknown>;
export type RowPredicate = (row: Row) => boolean;

type Literal = string | number | bigint | boolean;
type Token = { kind: 'ident' | 'op' | 'punct'; text: string } | { kind: 'literal'; value: Literal };

export class UnsupportedFilterError extends Error {
  constructor(filter: string, why: string) {
    super(`memory Milvus does not model this filter (${why}): ${filter}`);
  }
}

/** Compiles `filter` once; '' or undefined matches every row. */
export function compileFilter(filter: string | undefined): RowPredicate {
  if (!filter?.trim()) return () => true;
  const tokens = tokenize(filter);
  let i = 0;
  const peek = () => tokens[i];
  const isWord = (t: Token | undefined, ...words: string[]) =>
    t !== undefined && t.kind !== 'literal' && words.includes(t.text.toLowerCase());
  const expect = (text: string) => {
    const t = tokens[i++];
    if (!t || t.kind === 'literal' || t.text !== text) throw new UnsupportedFilterError(filter, `expected ${text}`);
  };
  const literal = (): Literal => {
    const t = tokens[i++];
    if (t?.kind === 'literal') return t.value;
    if (t?.kind === 'op' && t.text === '-' && tokens[i]?.kind === 'literal') {
      const v = (tokens[i++] as { value: Literal }).value;
      if (typeof v === 'number') return -v;
      if (typeof v === 'bigint') return -v;
    }
    throw new UnsupportedFilterError(filter, 'a comparison needs a literal on its right');
  };

  const parseOr = (): RowPredicate => {
    let left = parseAnd();
    while (isWord(peek(), '||', 'or')) {
      i++;
      const l = left,
        r = parseAnd();
      left = (row) => l(row) || r(row);
    }
    return left;
  };
  const parseAnd = (): RowPredicate => {
    let left = parseNot();
    while (isWord(peek(), '&&', 'and')) {
      i++;
      const l = left,
        r = parseNot();
      left = (row) => l(row) && r(row);
    }
    return left;
  };
  const parseNot = (): RowPredicate => {
    if (isWord(peek(), '!', 'not')) {
      i++;
      const inner = parseNot();
      return (row) => !inner(row);
    }
    return parsePrimary();
  };
  const parsePrimary = (): RowPredicate => {
    const t = tokens[i++];
    if (t?.kind === 'punct' && t.text === '(') {
      const inner = parseOr();
      expect(')');
      return inner;
    }
    if (t?.kind !== 'ident') throw new UnsupportedFilterError(filter, 'expected a field name');
    const field = t.text;
    const negated = isWord(peek(), 'not') && isWord(tokens[i + 1], 'in');
    if (negated) i++;
    if (isWord(peek(), 'in')) {
      i++;
      expect('[');
      const values: Literal[] = [];
      while (!(peek()?.kind === 'punct' && (peek() as { text: string }).text === ']')) {
        values.push(literal());
        if (peek()?.kind === 'punct' && (peek() as { text: string }).text === ',') i++;
      }
      expect(']');
      return (row) => values.some((v) => compare(row[field], v) === 0) !== negated;
    }
    const op = tokens[i++];
    if (op?.kind !== 'op' || !['==', '!=', '<', '<=', '>', '>='].includes(op.text))
      throw new UnsupportedFilterError(filter, `unsupported operator after ${field}`);
    const value = literal();
    const test = {
      '==': (c: number) => c === 0,
      '!=': (c: number) => c !== 0,
      '<': (c: number) => c < 0,
      '<=': (c: number) => c <= 0,
      '>': (c: number) => c > 0,
      '>=': (c: number) => c >= 0,
    }[op.text]!;
    return (row) => {
      if (!(field in row)) throw new UnsupportedFilterError(filter, `no field ${field}`);
      return test(compare(row[field], value));
    };
  };

  const predicate = parseOr();
  if (i !== tokens.length) throw new UnsupportedFilterError(filter, 'unexpected text after the expression');
  return predicate;
}

/**
 * Orders a stored value against a literal as Milvus does: integers exactly (int64 text as BigInt),
 * strings by UTF-8 byte order. Mixed kinds never match (the real server rejects them).
 */
function compare(stored: unknown, lit: Literal): number {
  if (typeof lit === 'string') return typeof stored === 'string' ? compareUtf8(stored, lit) : NaN;
  if (typeof lit === 'boolean') return stored === lit ? 0 : NaN;
  const asNumber = (v: unknown): bigint | number | undefined =>
    typeof v === 'bigint'
      ? v
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? BigInt(v)
          : v
        : typeof v === 'string' && isInt64Text(v)
          ? BigInt(v)
          : undefined;
  const a = asNumber(stored);
  const b = asNumber(lit);
  if (a === undefined || b === undefined) return NaN;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  return Number(a) - Number(b);
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  const re =
    /\s*(?:(\d+\.\d+)|(\d+)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(&&|\|\||==|!=|<=|>=|[<>!-])|([()[\],])|([A-Za-z_][A-Za-z0-9_]*))/y;
  let pos = 0;
  while (pos < filter.length) {
    if (/^\s*$/.test(filter.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(filter);
    if (!m) throw new UnsupportedFilterError(filter, `cannot read from "${filter.slice(pos, pos + 20)}"`);
    pos = re.lastIndex;
    const [, float, int, str, op, punct, word] = m;
    if (float !== undefined) tokens.push({ kind: 'literal', value: Number(float) });
    else if (int !== undefined) tokens.push({ kind: 'literal', value: BigInt(int) });
    else if (str !== undefined) tokens.push({ kind: 'literal', value: unescapeLiteral(str.slice(1, -1)) });
    else if (op !== undefined) tokens.push({ kind: 'op', text: op });
    else if (punct !== undefined) tokens.push({ kind: 'punct', text: punct });
    else if (word === 'true' || word === 'false') tokens.push({ kind: 'literal', value: word === 'true' });
    else tokens.push({ kind: 'ident', text: word! });
  }
  return tokens;
}

function unescapeLiteral(s: string): string {
  return s.replace(/\\(.)/g, (_, ch: string) => ({ n: '\n', r: '\r', t: '\t' })[ch] ?? ch);
}
