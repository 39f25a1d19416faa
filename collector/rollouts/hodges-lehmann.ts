// The Hodges-Lehmann shift: the median of the n*m differences candidate - baseline, the effect
// size that goes with the Mann-Whitney test (the shift that makes U as likely above as below nm/2).
//
// At 100,000 boots per side there are 10^10 differences, too many to list. With both samples
// sorted, the number of differences at or below any d is counted in one pass of two pointers,
// O(n + m): for each candidate value c (ascending), the baseline values b with c - b <= d form a suffix
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
    // c - b <= d, written as the difference itself: b >= c - d is not the same test once
    // rounding enters, and the answer must be one of the differences exactly.
    while (j < m && c - baseline[j]! > d) j += 1;
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

/** The k-th smallest difference, how many differences are at or below it, and the next one up. */
interface Kth {
  value: number;
  count: number;
  above: number;
}

/**
 * The k-th smallest (1-based) of the differences candidate[i] - baseline[j], both sorted
 * ascending. `guess`, if given (the previous look's estimate), starts the search there and steps
 * outwards (0.5, 1, 2, ... away) until the answer is bracketed: between two looks the shift
 * moves by little, so two or three passes usually do.
 */
export function kthDifference(
  candidate: Float64Array,
  baseline: Float64Array,
  k: number,
  guess?: number,
): number {
  return kth(candidate, baseline, k, guess).value;
}

function kth(candidate: Float64Array, baseline: Float64Array, k: number, guess?: number): Kth {
  const n = candidate.length;
  const m = baseline.length;
  const total = n * m;
  if (!(k >= 1 && k <= total)) throw new RangeError(`k must be in 1..${total}, got ${k}`);
  // Invariant: count(lo) < k <= count(hi); hi is a difference, aboveHi the next one up, and
  // next the smallest difference above lo.
  let lo = candidate[0]! - baseline[m - 1]! - 1;
  let countLo = 0;
  let next = candidate[0]! - baseline[m - 1]!;
  let hi = candidate[n - 1]! - baseline[0]!;
  let countHi = total;
  let aboveHi = Infinity;
  const probe = (d: number): boolean => {
    const r = countAtOrBelow(candidate, baseline, d);
    if (r.count >= k) [hi, countHi, aboveHi] = [r.atOrBelow, r.count, r.above];
    else [lo, countLo, next] = [d, r.count, r.above];
    return r.count >= k;
  };
  if (guess !== undefined && Number.isFinite(guess) && guess > lo && guess < hi) {
    const high = probe(guess);
    for (let step = 0.5; next !== hi; step *= 2) {
      const d = high ? guess - step : guess + step;
      if (!(d > lo && d < hi) || probe(d) !== high) break;
    }
  }
  let halve = false;
  for (;;) {
    if (next === hi) break;
    let mid = halve
      ? lo + (hi - lo) / 2
      : lo + ((hi - lo) * (k - countLo - 0.5)) / (countHi - countLo);
    if (!(mid > lo && mid < hi)) mid = lo + (hi - lo) / 2;
    if (!(mid > lo && mid < hi)) break; // lo and hi are adjacent doubles
    const before = countHi - countLo;
    probe(mid);
    halve = !halve && countHi - countLo > before / 2;
  }
  return { value: hi, count: countHi, above: aboveHi };
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
  if (total % 2 === 1) return kth(candidate, baseline, (total + 1) / 2, guess).value;
  const lower = kth(candidate, baseline, total / 2, guess);
  // The next difference: lower again if it occurs past the middle, else the one above it.
  return (lower.value + (lower.count > total / 2 ? lower.value : lower.above)) / 2;
}
