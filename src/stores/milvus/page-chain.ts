/**
 * Pages read one after another ahead of the pager. A page's query starts as soon as the page before
 * it has arrived (that page's largest key is the next lower bound), up to `depth` pages (and a byte
 * budget) ahead of what the pager has taken. Without it the real Milvus server sat idle while the
 * client merged each confirmed batch (~0.5 s per batch of 32 pages at 10M keys); with it the
 * server's next pages are under way meanwhile.
 *
 * The chain only asks the queries the pager would ask next, in the same order: a page it holds is
 * used only when the pager asks for exactly that lower bound, and the pager's counts still confirm
 * every page. Pages the pager does not take (after a count mismatch) are dropped, their errors too.
 */

/** What the chain needs to know of a page it has read. */
export interface ChainedPage {
  /** The lower bound of the page after this one, or undefined when the scan ends with this page. */
  readonly next: string | undefined;
  /** Estimated bytes held (packed-page.ts). */
  readonly bytes: number;
}

interface Entry<P> {
  lo: string | undefined;
  page: Promise<P>;
  /** Known once the page has arrived: the next lower bound, or null for "no further page". */
  after?: string | null;
  bytes: number;
}

export class PageChain<P extends ChainedPage> {
  private queue: Array<Entry<P>> = [];
  /** The page asked for last: the chain continues above it. */
  private tail: Entry<P> | undefined;
  private depth = 0;
  private stopped = false;

  constructor(
    private readonly read: (lo: string | undefined) => Promise<P>,
    private readonly maxBytes: number,
    private readonly mayAsk: () => boolean = () => true,
  ) {}

  /**
   * The page above `lo`: the chain's, when it is the next one in line; otherwise asked for now (and
   * whatever the chain held is dropped).
   */
  take(lo: string | undefined): Promise<P> {
    let entry = this.queue[0];
    if (entry && entry.lo === lo) {
      this.queue.shift();
    } else {
      this.queue = [];
      entry = this.ask(lo);
    }
    this.topUp();
    return entry.page;
  }

  /** How many pages to keep asked for ahead; 0 drops what is held and stops reading ahead. */
  setDepth(depth: number): void {
    this.depth = depth;
    if (depth === 0) this.queue = [];
    this.topUp();
  }

  /** No further query: the scan is over (or was stopped). Pages in flight are ignored. */
  stop(): void {
    this.stopped = true;
    this.queue = [];
  }

  private ask(lo: string | undefined): Entry<P> {
    const entry: Entry<P> = { lo, page: this.read(lo), bytes: 0 };
    this.tail = entry;
    entry.page.then(
      (page) => {
        entry.after = page.next ?? null;
        entry.bytes = page.bytes;
        this.topUp();
      },
      () => {
        entry.after = null; // the error surfaces when the page is taken; nothing is asked above it
      },
    );
    return entry;
  }

  private topUp(): void {
    if (this.stopped || !this.mayAsk()) return;
    let held = 0;
    for (const e of this.queue) held += e.bytes;
    while (this.queue.length < this.depth && held < this.maxBytes) {
      const above = this.tail?.after;
      if (typeof above !== 'string') return; // not arrived yet (its arrival tops up), or the end
      this.queue.push(this.ask(above));
    }
  }
}
