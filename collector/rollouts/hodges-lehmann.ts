// The Hodges-Lehmann shift: the median of the n*m differences candidate - baseline, the effect
// size that goes with the Mann-Whitney test (the shift that makes U as likely above as below nm/2).
//
// At 100,000 boots per side there are 10^10 differences, too many to list. With both samples
// sorted, the number of differences at or below any d is counted in one pass of two pointers,
// O(n + m): for each candidate value c (ascending), the baseline values b >= c - d form a suffix
// whose start only moves right. The k-th smallest difference is found by narrowing (lo, hi] with
// such counts: the next probe is interpolated from the counts at lo and hi (falling back to
// halving when that does not halve the pairs left), and every probe snaps hi to an actual
// difference, so duplicates (times in whole ms) end the search as soon as one value is left.
// Typical samples take 5 to 10 passes; the worst case is bounded by the bits of a double.
//
// Example: candidate [3, 5], baseline [1, 3, 4]: differences 2, 0, -1, 4, 2, 1; sorted
// -1, 0, 1, 2, 2, 4; the median is (1 + 2) / 2 = 1.5.

interface Pass {
  /** Differences <= d. */
  count: number;
  /** The largest difference <= d (-Infinity if none). */
  atOrBelow: number;
  /** The smallest difference > d (Infinity if none). */
  above: number;
}

function countAtOrBelow(candidate: Float64Array, baseline: Float64Array, d: number): Pass {
  const n = candidate.length;
  const m = baseline.length;
  let j = 0; // first baseline index with b >= c - d
  let count = 0;
  let atOrBelow = -Infinity;
  let above = Infinity;
  for (let i = 0; i < n; i += 1) {
    const c = candidate[i]!;
    const floor = c - d;
    while (j < m && baseline[j]! < floor) j += 1;
    count += m - j;
    if (j < m) {
      const diff = c - baseline[j]!;
      if (diff > atOrBelow) atOrBelow = diff;
    }
    if (j > 0) {
      const diff = c - baseline[j - 1]!;
      if (diff < above) above = diff;
    }
  }
  return { count, atOrBelow, above };
}

/**
 * The k-th smallest (1-based) of the differences candidate[i] - baseline[j], both sorted
 * ascending. `guess`, if given (the previous look's estimate), starts the search near the answer.
 */
export function kthDifference(
  candidate: Float64Array,
  baseline: Float64Array,
  k: number,
  guess?: number,
): number {
  const n = candidate.length;
  const m = baseline.length;
  const total = n * m;
  if (!(k >= 1 && k <= total)) throw new RangeError(`k must be in 1..${total}, got ${k}`);
  // Invariant: count(lo) < k <= count(hi), hi an actual difference, next = smallest diff > lo.
  let lo = candidate[0]! - baseline[m - 1]! - 1;
  let countLo = 0;
  let next = candidate[0]! - baseline[m - 1]!;
  let hi = candidate[n - 1]! - baseline[0]!;
  let countHi = total;
  if (guess !== undefined && Number.isFinite(guess) && guess > lo && guess < hi) {
    const r = countAtOrBelow(candidate, baseline, guess);
    if (r.count >= k) [hi, countHi] = [r.atOrBelow, r.count];
    else [lo, countLo, next] = [guess, r.count, r.above];
  }
  let halve = false;
  for (;;) {
    if (next === hi) return hi;
    let mid = halve
      ? lo + (hi - lo) / 2
      : lo + ((hi - lo) * (k - countLo - 0.5)) / (countHi - countLo);
    if (!(mid > lo && mid < hi)) mid = lo + (hi - lo) / 2;
    if (!(mid > lo && mid < hi)) return hi; // lo and hi are adjacent doubles
    const before = countHi - countLo;
    const r = countAtOrBelow(candidate, baseline, mid);
    if (r.count >= k) [hi, countHi] = [r.atOrBelow, r.count];
    else [lo, countLo, next] = [mid, r.count, r.above];
    halve = !halve && countHi - countLo > before / 2;
  }
}

/**
 * The Hodges-Lehmann estimate of how much later the candidate is ready than the baseline: the
 * median of all differences. null when a side is empty.
 */
export function hodgesLehmann(
  candidate: Float64Array,
  baseline: Float64Array,
  guess?: number,
): number | null {
  const total = candidate.length * baseline.length;
  if (total === 0) return null;
  if (total % 2 === 1) return kthDifference(candidate, baseline, (total + 1) / 2, guess);
  const lower = kthDifference(candidate, baseline, total / 2, guess);
  // The next difference: lower again if it occurs past the middle, else the smallest above it.
  const r = countAtOrBelow(candidate, baseline, lower);
  return (lower + (r.count > total / 2 ? lower : r.above)) / 2;
}
