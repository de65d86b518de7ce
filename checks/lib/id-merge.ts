/**
 * The streaming id-diff core: merges two key-sorted streams and hands over one group per distinct
 * key, with how many rows each side holds for it. Memory is O(batch): nothing but the current batch
 * of each side (and the rows of the current key) is kept.
 *
 * Each side is an async stream of columnar batches: `keys[i]` is row i's key and `extra[c][i]` its
 * further fields (a version, a flag...). Keys must arrive in ascending order of `compare`, equal keys
 * adjacent; a side that breaks the order fails the merge loudly (a wrong collation or pager would
 * otherwise produce millions of false findings).
 */
import type { KeyCompare } from './id-order.js';

export interface KeyBatch {
  keys: string[];
  extra: Array<Array<string | null>>;
}

/** The rows one side holds for the current key. Reused between groups: read it, do not keep it. */
export class SideRows {
  /** Rows on this side with this key (0 = absent, >1 = duplicates). */
  count = 0;
  private batches: KeyBatch[] = [];
  private indexes: number[] = [];
  /** At most this many rows per key are kept for `value()`; `count` is always exact. */
  static readonly KEPT = 64;

  reset(): void {
    this.count = 0;
  }

  add(batch: KeyBatch, index: number): void {
    if (this.count < SideRows.KEPT) {
      this.batches[this.count] = batch;
      this.indexes[this.count] = index;
    }
    this.count++;
  }

  /** Number of rows whose fields can be read with value(). */
  get kept(): number {
    return Math.min(this.count, SideRows.KEPT);
  }

  /** Extra field `column` of the `row`-th row of this key. */
  value(column: number, row = 0): string | null {
    return this.batches[row].extra[column][this.indexes[row]];
  }
}

export interface MergeGroup {
  key: string;
  left: SideRows;
  right: SideRows;
}

export class KeyOrderError extends Error {
  readonly code = 'KEY_ORDER';
}

/**
 * Reads one side batch by batch and checks that its keys ascend. The per-row path is synchronous;
 * only crossing into the next batch awaits (an await per row costs more than the merge itself).
 */
class SortedCursor {
  batch: KeyBatch | null = null;
  index = 0;
  done = false;
  private previous: string | undefined;
  constructor(
    private readonly iterator: AsyncIterator<KeyBatch>,
    private readonly compare: KeyCompare,
    readonly name: string,
  ) {}

  /** A row is available without awaiting. */
  hasRow(): boolean {
    return this.batch !== null && this.index < this.batch.keys.length;
  }

  /** Fetches batches until one has a row or the side ends; false at the end. */
  async fill(): Promise<boolean> {
    while (!this.done && !this.hasRow()) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        this.batch = null;
      } else {
        this.batch = next.value;
        this.index = 0;
      }
    }
    return !this.done;
  }

  /** The next key of this side, checked against the one before it. */
  peek(): string {
    const key = this.batch!.keys[this.index];
    if (this.previous !== undefined && key !== this.previous) this.checkOrder(this.previous, key);
    this.previous = key;
    return key;
  }

  /**
   * Moves the rows with `key` of the current batch into `rows`. True when the batch ran out, so
   * the key may continue in the next batch (then call takeRest).
   */
  takeFromBatch(key: string, rows: SideRows): boolean {
    const batch = this.batch!;
    const keys = batch.keys;
    while (this.index < keys.length && keys[this.index] === key) rows.add(batch, this.index++);
    return this.index >= keys.length;
  }

  /** Continues taking `key` across batch boundaries. */
  async takeRest(key: string, rows: SideRows): Promise<void> {
    while (await this.fill()) {
      if (this.batch!.keys[this.index] !== key) return;
      if (!this.takeFromBatch(key, rows)) return;
    }
  }

  private checkOrder(previous: string, next: string): void {
    if (typeof next !== 'string') throw new KeyOrderError(`${this.name} returned a row without a key after ${JSON.stringify(previous)}`);
    if (this.compare(previous, next) > 0) {
      throw new KeyOrderError(`${this.name} keys are out of order: ${JSON.stringify(next)} came after ${JSON.stringify(previous)}`);
    }
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

export interface MergeOptions {
  compare: KeyCompare;
  signal?: AbortSignal;
  /** Names used in errors, e.g. 'postgres' and 'milvus'. */
  leftName?: string;
  rightName?: string;
}

/**
 * Merges two sorted streams; calls onGroup once per distinct key, in key order. `onGroup` is
 * synchronous on purpose: the hot loop only awaits at batch boundaries.
 */
export async function mergeSortedKeys(
  left: AsyncIterable<KeyBatch>,
  right: AsyncIterable<KeyBatch>,
  onGroup: (group: MergeGroup) => void,
  options: MergeOptions,
): Promise<void> {
  const { compare, signal } = options;
  const l = new SortedCursor(left[Symbol.asyncIterator](), compare, options.leftName ?? 'left');
  const r = new SortedCursor(right[Symbol.asyncIterator](), compare, options.rightName ?? 'right');
  const group: MergeGroup = { key: '', left: new SideRows(), right: new SideRows() };
  try {
    let rounds = 0;
    for (;;) {
      if ((++rounds & 0x3fff) === 0) signal?.throwIfAborted();
      const hasLeft = l.hasRow() || (await l.fill());
      const hasRight = r.hasRow() || (await r.fill());
      if (!hasLeft && !hasRight) return;
      const lk = hasLeft ? l.peek() : undefined;
      const rk = hasRight ? r.peek() : undefined;
      const order = lk === undefined ? 1 : rk === undefined ? -1 : compare(lk, rk);
      const key = order <= 0 ? lk! : rk!;
      group.key = key;
      group.left.reset();
      group.right.reset();
      if (order <= 0 && l.takeFromBatch(key, group.left)) await l.takeRest(key, group.left);
      if (order >= 0 && r.takeFromBatch(key, group.right)) await r.takeRest(key, group.right);
      onGroup(group);
    }
  } finally {
    // Stop the other side's stream too (e.g. end a COPY when Milvus failed).
    await Promise.allSettled([l.close(), r.close()]);
  }
}

/**
 * Reads up to `depth` batches ahead of the consumer, so both stores work while the merge runs.
 * Errors surface on the next read, never as unhandled rejections.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth = 2): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: Array<Promise<IteratorResult<T>>> = [];
  let finished = false;
  const pull = () => {
    const p = iterator.next();
    p.catch(() => {}); // handled when awaited below
    queue.push(p);
  };
  try {
    for (let i = 0; i < depth; i++) pull();
    for (;;) {
      const next = await queue.shift()!;
      if (next.done) {
        finished = true;
        return;
      }
      pull();
      yield next.value;
    }
  } finally {
    if (!finished) {
      await Promise.allSettled(queue);
      await iterator.return?.();
    }
  }
}
