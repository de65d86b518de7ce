/**
 * A shuffled copy of xs, the same for the same seed on every machine (Fisher-Yates driven by a
 * fixed LCG), so a test that inserts in random order reproduces when it fails.
 */
export function seededShuffle<T>(xs: readonly T[], seed: number): T[] {
  let s = seed;
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
