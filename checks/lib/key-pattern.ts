/**
 * Redis key patterns with named placeholders: `doc:{id}`, `tenant:{tenant}:doc:{id}`.
 *
 * A compiled pattern gives:
 * - `glob`: the SCAN MATCH pattern (placeholders become `*`, glob metacharacters in the literal
 *   parts are escaped). The glob matches a superset of the keys; `parse` is the exact test.
 * - `parse(key)`: the placeholder values of a key, or null when the key is not of this pattern.
 * - `format(values)`: the key for the given placeholder values (the inverse of parse).
 *
 * Matching rule (deterministic, no backtracking): every placeholder value is non-empty and never
 * contains its *stop character*:
 * - for a placeholder followed by literal text, the first character of that text
 *   (`tenant:{tenant}:doc:{id}`: tenant stops at ':');
 * - for a placeholder at the end of the pattern, the last character of the literal before it
 *   (`doc:{id}`: id stops at ':', so `doc:1:meta` is NOT a key of `doc:{id}`; this keeps sibling
 *   families such as `doc:{id}:meta` out of a mapping);
 * - a pattern that is only `{id}` matches any non-empty key.
 * A value therefore ends at the first stop character, and the rest of the key must match the rest
 * of the pattern exactly, else parse returns null.
 *
 * Syntax: placeholder names are identifiers (`[A-Za-z_][A-Za-z0-9_]*`); `{{` and `}}` stand for
 * literal braces (e.g. Redis Cluster hash tags: `doc:{{{id}}}` is `doc:{42}`). Two placeholders must
 * be separated by literal text (`{a}{b}` is ambiguous and rejected).
 */

export interface KeyPattern {
  /** Placeholder names in pattern order. */
  placeholders: string[];
  /** SCAN MATCH glob: placeholders as `*`, literal glob metacharacters escaped. */
  glob: string;
  parse(key: string): Record<string, string> | null;
  format(values: Record<string, string>): string;
}

/** Thrown for a pattern that cannot be compiled; `code` is 'BAD_KEY_PATTERN'. */
export class KeyPatternError extends Error {
  readonly code = 'BAD_KEY_PATTERN';
  constructor(pattern: string, problem: string) {
    super(`invalid key pattern ${JSON.stringify(pattern)}: ${problem}`);
    this.name = 'KeyPatternError';
  }
}

type Part = { literal: string } | { name: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function compileKeyPattern(pattern: string): KeyPattern {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new KeyPatternError(String(pattern), 'it is empty');
  const parts = tokenize(pattern);
  const placeholders: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (!('name' in part)) continue;
    if (placeholders.includes(part.name)) throw new KeyPatternError(pattern, `placeholder {${part.name}} appears twice`);
    const next = parts[i + 1];
    if (next && 'name' in next) {
      throw new KeyPatternError(pattern, `placeholders {${part.name}} and {${next.name}} need literal text between them`);
    }
    placeholders.push(part.name);
  }
  if (placeholders.length === 0) {
    throw new KeyPatternError(pattern, 'it has no placeholder such as {id} (write literal braces as {{ and }})');
  }

  // Stop character of each placeholder, per the rule in the header comment ('' = none).
  const stops = new Map<string, string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (!('name' in part)) continue;
    const next = parts[i + 1] as { literal: string } | undefined;
    const prev = parts[i - 1] as { literal: string } | undefined;
    stops.set(part.name, next ? next.literal[0] : prev ? prev.literal[prev.literal.length - 1] : '');
  }

  const glob = parts.map((p) => ('name' in p ? '*' : escapeGlob(p.literal))).join('');
  const regex = new RegExp(
    '^' +
      parts
        .map((p) => {
          if (!('name' in p)) return escapeRegex(p.literal);
          const stop = stops.get(p.name)!;
          return stop ? `([^${escapeRegex(stop)}]+)` : '(.+)';
        })
        .join('') +
      '$',
    's',
  );

  return {
    placeholders,
    glob,
    parse(key: string) {
      const m = regex.exec(key);
      if (!m) return null;
      const values: Record<string, string> = {};
      for (const [i, name] of placeholders.entries()) values[name] = m[i + 1];
      return values;
    },
    format(values: Record<string, string>) {
      return parts
        .map((p) => {
          if (!('name' in p)) return p.literal;
          const v = values[p.name];
          if (typeof v !== 'string' || v.length === 0) {
            throw new KeyPatternError(pattern, `format: no value for placeholder {${p.name}}`);
          }
          const stop = stops.get(p.name)!;
          if (stop && v.includes(stop)) {
            throw new KeyPatternError(pattern, `format: value of {${p.name}} contains ${JSON.stringify(stop)}, which ends it`);
          }
          return v;
        })
        .join('');
    },
  };
}

function tokenize(pattern: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '{' && pattern[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (c === '}' && pattern[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (c === '{') {
      const end = pattern.indexOf('}', i + 1);
      const open = pattern.indexOf('{', i + 1);
      if (end === -1 || (open !== -1 && open < end)) {
        throw new KeyPatternError(pattern, `unbalanced '{' at position ${i}`);
      }
      const name = pattern.slice(i + 1, end);
      if (!NAME.test(name)) {
        throw new KeyPatternError(pattern, `placeholder {${name}} must be a name like {id} (letters, digits, _)`);
      }
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ name });
      i = end + 1;
    } else if (c === '}') {
      throw new KeyPatternError(pattern, `unbalanced '}' at position ${i} (write a literal brace as }})`);
    } else {
      literal += c;
      i++;
    }
  }
  if (literal) parts.push({ literal });
  return parts;
}

/** Redis glob metacharacters: * ? [ ] and the escape character itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\\-\/]/g, (c) => `\\${c}`);
}
