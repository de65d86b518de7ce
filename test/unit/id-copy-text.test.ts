import { describe, expect, it } from 'vitest';
import { parseCopyText, unescapeCopyText } from '../../checks/lib/copy-text.js';

async function* chunksOf(text: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  let i = 0;
  while (at < text.length) {
    const size = sizes[i++ % sizes.length];
    yield text.subarray(at, at + size);
    at += size;
  }
}

async function parseAll(text: string | Buffer, columns: number, sizes = [1 << 16]) {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const rows: Array<Array<string | null>> = [];
  for await (const batch of parseCopyText(chunksOf(buf, sizes), columns)) {
    for (let r = 0; r < batch.rows; r++) rows.push(batch.columns.map((c) => c[r]));
  }
  return rows;
}

describe('parseCopyText', () => {
  it('parses keys and extra fields, with \\N as null', async () => {
    expect(await parseAll('1\tv1\tt\n2\t\\N\tf\n', 3)).toEqual([
      ['1', 'v1', 't'],
      ['2', null, 'f'],
    ]);
  });

  it('carries lines and multi-byte characters split across chunks', async () => {
    const lines = ['9223372036854775807', "it's", 'zoë', '日本語', 'emoji 😀', 'tab\\there', 'back\\\\slash'];
    const text = lines.join('\n') + '\n';
    for (const sizes of [[1], [2, 3], [5, 1, 7], [1000]]) {
      const rows = await parseAll(text, 1, sizes);
      expect(rows.map((r) => r[0])).toEqual(['9223372036854775807', "it's", 'zoë', '日本語', 'emoji 😀', 'tab\there', 'back\\slash']);
    }
  });

  it('undoes every text-format escape, including octal and hex bytes', () => {
    const raw = Buffer.from('a\\nb\\rc\\td\\be\\ff\\vg\\\\h\\101\\x42\\xe2\\x82\\xac\\N');
    expect(unescapeCopyText(raw, 0, raw.length)).toBe('a\nb\rc\td\be\ff\vg\\hAB€N');
  });

  it('a field that merely contains \\N is not null', async () => {
    expect(await parseAll('x\\Ny\n\\\\N\n', 1)).toEqual([['xNy'], ['\\N']]);
  });

  it('accepts a last line without newline and rejects wrong field counts', async () => {
    expect(await parseAll('1\n2', 1)).toEqual([['1'], ['2']]);
    await expect(parseAll('1\t2\n', 1)).rejects.toThrow(/more than 1 fields/);
    await expect(parseAll('1\n', 2)).rejects.toThrow(/expected 2/);
  });
});
