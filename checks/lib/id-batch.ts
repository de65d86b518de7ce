/**
 * Batch size that adapts to a time target per round trip: lookups of keys (Postgres `= ANY($1)`,
 * Milvus `key in [...]`) grow their batches while round trips are fast and shrink them when one
 * gets slow, instead of a fixed size that is too small for a local server and too big for a busy one.
 */
export interface AdaptiveBatchOptions {
  initial: number;
  min: number;
  max: number;
  /** Wanted duration of one round trip, in milliseconds. */
  targetMs: number;
}

export class AdaptiveBatchSize {
  private current: number;
  constructor(private readonly options: AdaptiveBatchOptions) {
    this.current = clamp(options.initial, options.min, options.max);
  }

  get size(): number {
    return this.current;
  }

  /** Records that a batch of `items` took `elapsedMs`; sets the size for the next batch. */
  record(items: number, elapsedMs: number): void {
    if (items <= 0) return;
    const { min, max, targetMs } = this.options;
    const perItem = Math.max(elapsedMs, 0.05) / items;
    const ideal = targetMs / perItem;
    // Move at most 2x per step: one noisy round trip must not swing the size wildly.
    const next = Math.min(Math.max(ideal, this.current / 2), this.current * 2);
    this.current = clamp(Math.round(next), min, max);
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(Math.max(n, min), max);
}
