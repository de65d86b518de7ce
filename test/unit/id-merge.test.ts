import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeSortedKeys, readAhead, type KeyBatch } from '../../checks/lib/id-merge.js';
import { compareInt64, compareUtf8 } from '../../checks/lib/id-order.js';

/** Splits sorted keys (with one extra column) into batches of the given sizes. */
async function* batches(keys: string[], sizes: number[], extra?: string[]): AsyncGenerator<KeyBatch> {
  let at = 0;
  let i = 0;
  while (at < keys.length) {
    const size = Math.max(1, sizes[i++ % sizes.length]);
    yield { keys: keys.slice(at, at + size), extra: extra ? [extra.slice(at, at + size)] : [] };
    at += size;
  }
}

async function diff(left: string[], right: string[], sizes: [number[], number[]] = [[3], [2]], compare = compareInt64) {
  const out: Array<[string, number, number]> = [];
  await mergeSortedKeys(batches(left, sizes[0]), batches(right, sizes[1]), (g) => out.push([g.key, g.left.count, g.right.count]), {
    compare,
  });
  return out;
}

describe('mergeSortedKeys', () => {
  it('groups each key with its count on each side, duplicates across batch boundaries', async () => {
    const out = await diff(['1', '2', '4', '9007199254740993'], ['2', '3', '3', '3', '4', '9007199254740992'], [[1], [2]]);
    expect(out).toEqual([
      ['1', 1, 0],
      ['2', 1, 1],
      ['3', 0, 3],
      ['4', 1, 1],
      ['9007199254740992', 0, 1],
      ['9007199254740993', 1, 0],
    ]);
  });

  it('handles empty sides and empty batches', async () => {
    expect(await diff([], ['1'])).toEqual([['1', 0, 1]]);
    expect(await diff(['1'], [])).toEqual([['1', 1, 0]]);
    expect(await diff([], [])).toEqual([]);
    async function* withEmpty(): AsyncGenerator<KeyBatch> {
      yield { keys: [], extra: [] };
      yield { keys: ['5'], extra: [] };
      yield { keys: [], extra: [] };
    }
    const out: string[] = [];
    await mergeSortedKeys(withEmpty(), batches(['5'], [1]), (g) => out.push(`${g.key}:${g.left.count}${g.right.count}`), {
      compare: compareInt64,
    });
    expect(out).toEqual(['5:11']);
  });

  it('matches a set difference for any sorted inputs and batch sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.bigInt({ min: -50n, max: 50n })),
        fc.array(fc.bigInt({ min: -50n, max: 50n })),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1 }),
        async (a, b, sizes) => {
          const sortNum = (xs: bigint[]) => [...xs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).map(String);
          const left = sortNum(a);
          const right = sortNum(b);
          const out = await diff(left, right, [sizes, [...sizes].reverse()]);
          const count = (xs: string[], k: string) => xs.filter((x) => x === k).length;
          const keys = [...new Set([...left, ...right])].sort(compareInt64);
          expect(out).toEqual(keys.map((k) => [k, count(left, k), count(right, k)]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives access to the extra fields of every row of a key', async () => {
    const seen: Array<[string, string | null, string[]]> = [];
    await mergeSortedKeys(
      batches(['a', 'b'], [1], ['v1', 'v2']),
      batches(['b', 'b'], [1], ['x', 'y']),
      (g) => {
        const right: string[] = [];
        for (let i = 0; i < g.right.kept; i++) right.push(g.right.value(0, i)!);
        seen.push([g.key, g.left.count ? g.left.value(0) : null, right]);
      },
      { compare: compareUtf8 },
    );
    expect(seen).toEqual([
      ['a', 'v1', []],
      ['b', 'v2', ['x', 'y']],
    ]);
  });

  it('fails loudly when a side is out of order', async () => {
    await expect(diff(['1', '3', '2'], [])).rejects.toThrow(/out of order: "2" came after "3"/);
    await expect(diff([], ['b', 'a'], [[1], [1]], compareUtf8)).rejects.toThrow(/right keys are out of order/);
  });

  it('stops both streams when one fails', async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<KeyBatch> {
      try {
        for (let i = 0; ; i++) yield { keys: [String(i)], extra: [] };
      } finally {
        closed = true;
      }
    }
    async function* failing(): AsyncGenerator<KeyBatch> {
      yield { keys: ['0'], extra: [] };
      throw new Error('connection lost');
    }
    await expect(mergeSortedKeys(endless(), failing(), () => {}, { compare: compareInt64 })).rejects.toThrow('connection lost');
    expect(closed).toBe(true);
  });
});

describe('readAhead', () => {
  it('yields everything in order and surfaces errors on read', async () => {
    async function* source() {
      yield 1;
      yield 2;
      throw new Error('boom');
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const x of readAhead(source(), 3)) got.push(x);
      })(),
    ).rejects.toThrow('boom');
    expect(got).toEqual([1, 2]);
  });
});
