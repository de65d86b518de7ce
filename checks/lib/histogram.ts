/**
 * A latency histogram in the spirit of HdrHistogram: fixed memory, bounded relative error.
 *
 * Values are recorded in milliseconds and stored as whole microseconds in log-linear buckets:
 * below 128 µs every microsecond has its own bucket; above, each power of two is split into 64
 * equal sub-buckets. A percentile is reported as the middle of its bucket, so it is within
 * 1/128 (< 0.8%) of the true value (or within 0.5 µs for tiny values). Memory is ~13 KB whatever
 * the number of samples, and recording is a few integer operations (no allocation), which matters
 * for a load generator that must not become the bottleneck.
 *
 * Min, max and count are kept exactly, the sum in whole microseconds (so the mean is of values
 * rounded to the microsecond). Values above ~35 minutes are clamped into the last bucket (the exact
 * max is still kept).
 *
 * Merging is exact: bucket counts, count and the integer sum add, min and max compare, so merging
 * the histograms of several threads gives the very histogram one thread recording every sample
 * would have (test/unit/histogram.test.ts). A histogram crosses a thread boundary as a
 * HistogramSnapshot (plain numbers and one Float64Array, structured-clonable).
 */

/** Sub-buckets per power of two above the linear range (2^SUB_BITS). */
const SUB_BITS = 6;
const HALF = 1 << SUB_BITS; // 64
const LINEAR = HALF * 2; // 128: values 0..127 µs have one bucket each
/** Largest value tracked in buckets: 2^31 - 1 µs (~35.8 min). */
const MAX_TRACKABLE_US = 0x7fffffff;
const MAX_MSB = 30;
const BUCKET_COUNT = LINEAR + (MAX_MSB - SUB_BITS) * HALF;

/** Index of the bucket holding `us` (a non-negative integer number of microseconds). */
function bucketIndex(us: number): number {
  if (us < LINEAR) return us;
  const msb = 31 - Math.clz32(us); // >= 7
  const shift = msb - SUB_BITS; // >= 1; (us >> shift) is in [64, 127]
  return LINEAR + (shift - 1) * HALF + ((us >>> shift) - HALF);
}

/** [lowest, highest] microseconds a bucket holds. */
function bucketRange(index: number): [number, number] {
  if (index < LINEAR) return [index, index];
  const shift = Math.floor((index - LINEAR) / HALF) + 1;
  const sub = ((index - LINEAR) % HALF) + HALF;
  const low = sub * 2 ** shift;
  return [low, low + 2 ** shift - 1];
}

export class LatencyHistogram {
  /** Largest relative error of a reported percentile (above the linear range). */
  static readonly maxRelativeError = 1 / (2 * HALF);

  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  /** Sum of recorded values in whole µs: integer additions stay exact (below 2^53 µs, ~285 years). */
  private sumUs = 0;
  private minMs = Infinity;
  private maxMs = 0;

  /** Records one latency in milliseconds (negative values count as 0). */
  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const exactUs = Math.round(v * 1000);
    this.counts[bucketIndex(Math.min(exactUs, MAX_TRACKABLE_US))]++;
    this.total++;
    this.sumUs += exactUs;
    if (v < this.minMs) this.minMs = v;
    if (v > this.maxMs) this.maxMs = v;
  }

  get count(): number {
    return this.total;
  }

  /** Exact smallest recorded value (0 when empty). */
  get min(): number {
    return this.total === 0 ? 0 : this.minMs;
  }

  /** Exact largest recorded value (0 when empty). */
  get max(): number {
    return this.maxMs;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sumUs / this.total / 1000;
  }

  /**
   * The value below which `p` percent of samples fall (p in 0..100), in milliseconds, within
   * maxRelativeError. Never below min nor above max. 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    if (p >= 100) return this.maxMs;
    // Rank of the sample we want (1-based), as in "nearest rank".
    const rank = Math.max(1, Math.ceil((Math.max(p, 0) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const [low, high] = bucketRange(i);
        const middleMs = (low + high) / 2 / 1000;
        return Math.min(Math.max(middleMs, this.minMs), this.maxMs);
      }
    }
    return this.maxMs;
  }

  /** Adds every sample of `other` (a histogram, or one sent over from another thread) into this one. */
  merge(other: LatencyHistogram | HistogramSnapshot): void {
    const o = other instanceof LatencyHistogram ? other.snapshot() : other;
    if (o.counts.length !== BUCKET_COUNT) throw new Error(`histogram snapshot has ${o.counts.length} buckets, expected ${BUCKET_COUNT}`);
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i] += o.counts[i];
    this.total += o.count;
    this.sumUs += o.sumUs;
    if (o.count > 0) {
      if (o.minMs < this.minMs) this.minMs = o.minMs;
      if (o.maxMs > this.maxMs) this.maxMs = o.maxMs;
    }
  }

  /** Everything this histogram holds, as plain data another thread can receive (postMessage). */
  snapshot(): HistogramSnapshot {
    return { counts: this.counts.slice(), count: this.total, sumUs: this.sumUs, minMs: this.minMs, maxMs: this.maxMs };
  }

  static fromSnapshot(s: HistogramSnapshot): LatencyHistogram {
    const h = new LatencyHistogram();
    h.merge(s);
    return h;
  }

  /** p50/p95/p99/max/mean rounded to microseconds, for stats and tables. */
  summary(): LatencySummary {
    const r = (ms: number) => Math.round(ms * 1000) / 1000;
    return {
      count: this.total,
      p50Ms: r(this.percentile(50)),
      p95Ms: r(this.percentile(95)),
      p99Ms: r(this.percentile(99)),
      maxMs: r(this.max),
      meanMs: r(this.mean),
    };
  }
}

/** A histogram as plain data: what a worker thread posts back for an exact merge. */
export interface HistogramSnapshot {
  counts: Float64Array;
  count: number;
  sumUs: number;
  minMs: number;
  maxMs: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}
