import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { compileKeyPattern } from '../../checks/lib/key-pattern.js';

describe('compileKeyPattern', () => {
  it('compiles a single placeholder', () => {
    const p = compileKeyPattern('doc:{id}');
    expect(p.placeholders).toEqual(['id']);
    expect(p.glob).toBe('doc:*');
    expect(p.parse('doc:42')).toEqual({ id: '42' });
    expect(p.format({ id: '42' })).toBe('doc:42');
  });

  it('compiles composite placeholders', () => {
    const p = compileKeyPattern('tenant:{tenant}:doc:{id}');
    expect(p.placeholders).toEqual(['tenant', 'id']);
    expect(p.glob).toBe('tenant:*:doc:*');
    expect(p.parse('tenant:acme:doc:7')).toEqual({ tenant: 'acme', id: '7' });
    expect(p.format({ tenant: 'acme', id: '7' })).toBe('tenant:acme:doc:7');
  });

  it('returns null for keys of another shape', () => {
    const p = compileKeyPattern('tenant:{tenant}:doc:{id}');
    expect(p.parse('tenant:acme:user:7')).toBeNull();
    expect(p.parse('tenant::doc:7')).toBeNull(); // empty value
    expect(p.parse('tenant:acme:doc:')).toBeNull();
    expect(p.parse('xtenant:acme:doc:7')).toBeNull();
  });

  it('never lets a placeholder swallow its stop character', () => {
    const p = compileKeyPattern('tenant:{tenant}:doc:{id}');
    // tenant would have to be "a:b"
    expect(p.parse('tenant:a:b:doc:7')).toBeNull();
    // a trailing placeholder stops at the separator before it: sibling families stay out
    const doc = compileKeyPattern('doc:{id}');
    expect(doc.parse('doc:1:meta')).toBeNull();
    // ... but may contain other characters
    expect(doc.parse('doc:a.b-c_d')).toEqual({ id: 'a.b-c_d' });
  });

  it('a value ends at the first stop character (no backtracking)', () => {
    const p = compileKeyPattern('{a}.{b}.json');
    expect(p.parse('x.y.json')).toEqual({ a: 'x', b: 'y' });
    expect(p.parse('x.y.z.json')).toBeNull();
  });

  it('a pattern that is only a placeholder matches any non-empty key', () => {
    const p = compileKeyPattern('{key}');
    expect(p.glob).toBe('*');
    expect(p.parse('a:b:c')).toEqual({ key: 'a:b:c' });
    expect(p.parse('')).toBeNull();
  });

  it('escapes glob metacharacters in literal parts', () => {
    const p = compileKeyPattern('c*ache?[v1]\\:{id}');
    expect(p.glob).toBe('c\\*ache\\?\\[v1\\]\\\\:*');
    expect(p.parse('c*ache?[v1]\\:9')).toEqual({ id: '9' });
    expect(p.parse('cXacheY[v1]\\:9')).toBeNull();
  });

  it('treats regex metacharacters in literal parts literally', () => {
    const p = compileKeyPattern('a.b+(c)|{id}');
    expect(p.parse('a.b+(c)|1')).toEqual({ id: '1' });
    expect(p.parse('aXb+(c)|1')).toBeNull();
  });

  it('supports {{ and }} as literal braces (hash tags)', () => {
    const p = compileKeyPattern('doc:{{{id}}}');
    expect(p.placeholders).toEqual(['id']);
    expect(p.glob).toBe('doc:{*}');
    expect(p.parse('doc:{42}')).toEqual({ id: '42' });
    expect(p.format({ id: '42' })).toBe('doc:{42}');
    expect(p.parse('doc:{4}2}')).toBeNull();
  });

  it('format rejects missing values and values containing the stop character', () => {
    const p = compileKeyPattern('tenant:{tenant}:doc:{id}');
    expect(() => p.format({ tenant: 'a' })).toThrow(/no value for placeholder \{id\}/);
    expect(() => p.format({ tenant: 'a:b', id: '1' })).toThrow(/contains ":"/);
  });

  it.each([
    ['', /empty/],
    ['doc:42', /no placeholder/],
    ['doc:{id', /unbalanced '\{'/],
    ['doc:id}', /unbalanced '\}'/],
    ['doc:{a{b}}', /unbalanced '\{'/],
    ['doc:{}', /must be a name/],
    ['doc:{1x}', /must be a name/],
    ['doc:{id}:{id}', /appears twice/],
    ['doc:{a}{b}', /need literal text between them/],
  ])('rejects %j with a clear error', (pattern, message) => {
    let error: unknown;
    try {
      compileKeyPattern(pattern);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as { code: string }).code).toBe('BAD_KEY_PATTERN');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(JSON.stringify(pattern));
  });

  it('parse(format(v)) round-trips for values without stop characters', () => {
    const p = compileKeyPattern('t:{tenant}:doc:{id}');
    const value = fc.string({ minLength: 1 }).filter((s) => !s.includes(':'));
    fc.assert(
      fc.property(value, value, (tenant, id) => {
        expect(p.parse(p.format({ tenant, id }))).toEqual({ tenant, id });
      }),
    );
  });
});
