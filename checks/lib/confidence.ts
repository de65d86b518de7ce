/**
 * What a random sample proves: the one-sided upper confidence bound of a rate (Clopper-Pearson,
 * exact binomial), and a sentence saying it. With 0 hits in n this is 1 - alpha^(1/n), about 3/n at
 * 95% ("rule of three"): 0 missing of 10,000 sampled means fewer than 0.03% missing.
 */

/** P(X <= k) for X ~ Binomial(n, p), summed in log space (no overflow for large n). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k >= n || p <= 0) return 1;
  if (p >= 1) return 0;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let logTerm = n * logQ; // P(X = 0)
  let sum = Math.exp(logTerm);
  for (let i = 0; i < k; i++) {
    logTerm += Math.log((n - i) / (i + 1)) + logP - logQ;
    sum += Math.exp(logTerm);
  }
  return Math.min(sum, 1);
}

/**
 * Upper bound u of the true rate after `hits` in `trials`, at `confidence` (e.g. 0.95): the rate
 * is below u with that confidence. Returns 1 when nothing was sampled.
 */
export function rateUpperBound(hits: number, trials: number, confidence = 0.95): number {
  if (trials <= 0 || hits >= trials) return 1;
  const alpha = 1 - confidence;
  if (hits === 0) return 1 - Math.pow(alpha, 1 / trials);
  let lo = hits / trials;
  let hi = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (binomialCdf(hits, trials, mid) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** A percentage rounded UP to two significant digits (a bound must not be understated). */
export function formatPercentCeil(rate: number): string {
  const pct = rate * 100;
  if (pct >= 100) return '100%';
  if (pct <= 0) return '0%';
  const magnitude = Math.pow(10, Math.floor(Math.log10(pct)) - 1);
  const rounded = Math.ceil(pct / magnitude - 1e-9) * magnitude;
  return `${Number(rounded.toPrecision(2))}%`;
}

export interface SampleConfidence {
  hits: number;
  trials: number;
  confidence: number;
  upperBound: number;
  statement: string;
}

/** "0 of 10,000 missing: fewer than 0.03% missing at 95% confidence". */
export function sampleConfidence(hits: number, trials: number, what: string, confidence = 0.95): SampleConfidence {
  const upperBound = rateUpperBound(hits, trials, confidence);
  const level = `${Number((confidence * 100).toPrecision(4))}%`;
  const statement =
    trials === 0
      ? `nothing sampled: no statement about ${what} is possible`
      : `${hits.toLocaleString('en-US')} of ${trials.toLocaleString('en-US')} ${what}: fewer than ${formatPercentCeil(upperBound)} ${what} at ${level} confidence`;
  return { hits, trials, confidence, upperBound, statement };
}
