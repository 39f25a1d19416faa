// Time to ready, candidate against baseline: the Mann-Whitney U test, one-sided (the candidate is
// slower), on two sorted samples, optionally against a shifted null (the candidate slower by more
// than a tolerance).
//
// U counts the pairs (candidate boot, baseline boot) where the candidate took longer; a tie counts
// one half. Example: candidate [3, 5], baseline [1, 3, 4]: 3 beats 1 and ties 3 (1.5), 5 beats
// all three (3), so U = 4.5 of n*m = 6 pairs. With both samples sorted, one merge pass counts U
// and the tie groups, O(n + m), which is what makes 100,000 boots per side cheap.
//
// The p-value P(U >= u) under "no difference":
// - exact, from the distribution of U, when both samples have fewer than 50 boots and no ties (the
//   rule of R's wilcox.test). There the count costs at most 50 * 1250 steps (exactDistribution
//   below), and the normal curve is least accurate.
// - otherwise the normal approximation with the tie correction of the variance and a continuity
//   correction of 1/2, as wilcox.test with correct = TRUE. U's exact distribution has lighter
//   tails than the normal curve (negative excess kurtosis), so far in the tail the approximation
//   overstates p: it errs towards fewer rollbacks, not more.
import binomcoefln from '@stdlib/math-base-special-binomcoefln';
import { normalUpperTail } from './normal-tail.js';

/** Below this many boots on both sides (and without ties) the p-value is exact. */
export const ExactBelow = 50;

export interface MannWhitney {
  /** Pairs where the candidate (less the shift) took longer; ties count 1/2. */
  u: number;
  n: number;
  m: number;
  /** Sum of t^3 - t over groups of t equal values in both samples together. */
  tieSum: number;
  /** One-sided p-value P(U >= u) under the (shifted) null. */
  p: number;
  method: 'exact' | 'normal';
}

/**
 * U for `candidate` - `shift` against `baseline`, both sorted ascending, and its tie groups.
 * One merge over the distinct values: each candidate value beats the baseline values below it.
 */
export function uStatistic(
  candidate: Float64Array,
  baseline: Float64Array,
  shift = 0,
): { u: number; tieSum: number } {
  const n = candidate.length;
  const m = baseline.length;
  let i = 0;
  let j = 0;
  let u = 0;
  let tieSum = 0;
  while (i < n || j < m) {
    const c = i < n ? candidate[i]! - shift : Infinity;
    const b = j < m ? baseline[j]! : Infinity;
    const v = c < b ? c : b;
    const below = j;
    let a = 0;
    while (i < n && candidate[i]! - shift === v) {
      a += 1;
      i += 1;
    }
    let t = 0;
    while (j < m && baseline[j] === v) {
      t += 1;
      j += 1;
    }
    u += a * below + 0.5 * a * t;
    const size = a + t;
    if (size > 1) tieSum += size * size * size - size;
  }
  return { u, tieSum };
}

/**
 * The one-sided Mann-Whitney test that the candidate is slower than the baseline by more than
 * `shift` (same unit as the samples). Both samples sorted ascending.
 */
export function mannWhitneyGreater(
  candidate: Float64Array,
  baseline: Float64Array,
  shift = 0,
): MannWhitney {
  const n = candidate.length;
  const m = baseline.length;
  const { u, tieSum } = uStatistic(candidate, baseline, shift);
  if (n === 0 || m === 0) return { u, n, m, tieSum, p: 1, method: 'exact' };
  if (n < ExactBelow && m < ExactBelow && tieSum === 0) {
    return { u, n, m, tieSum, p: exactUpperTail(u, n, m), method: 'exact' };
  }
  return { u, n, m, tieSum, p: normalUpperTailU(u, n, m, tieSum), method: 'normal' };
}

/**
 * Normal approximation: mean nm/2, variance nm/12 * ((N + 1) - sum(t^3 - t) / (N(N - 1))),
 * N = n + m, and z = (u - nm/2 - 1/2) / sd. All values tied leaves no variance: no evidence, p 1.
 */
export function normalUpperTailU(u: number, n: number, m: number, tieSum: number): number {
  const N = n + m;
  const variance = ((n * m) / 12) * (N + 1 - tieSum / (N * (N - 1)));
  if (!(variance > 0)) return 1;
  return normalUpperTail((u - (n * m) / 2 - 0.5) / Math.sqrt(variance));
}

/**
 * Exact P(U >= u) without ties. U is symmetric about nm/2, so P(U >= u) = P(U <= nm - u); the
 * smaller of the two lower tails needed is counted, never more than half the support.
 */
export function exactUpperTail(u: number, n: number, m: number): number {
  const top = n * m;
  const k = Math.floor(top - u + 1e-9); // P(U >= u) = P(U <= k), U integer without ties
  if (k < 0) return 0;
  if (k >= top) return 1;
  const total = Math.exp(binomcoefln(n + m, n));
  if (k <= top / 2) return Math.min(1, lowerTailCount(k, n, m) / total);
  // P(U >= u) = 1 - P(U <= u - 1), and u - 1 < nm/2 here.
  return Math.max(0, 1 - lowerTailCount(Math.ceil(u - 1e-9) - 1, n, m) / total);
}

/**
 * The number of orderings with U <= k: the coefficients of q^0..q^k of the Gaussian binomial
 * [n + m choose n]_q = prod_{i=1..s} (1 - q^(l+i)) / (1 - q^i), s = min(n, m), l = max(n, m),
 * summed. Each factor is applied as a division (a running sum) then a multiplication, so that
 * after factor i the coefficients are those of [l + i choose i]_q: positive, never far above the
 * result, no cancellation. Example: n = m = 2 gives 1, 1, 2, 1, 1 for U = 0..4 (6 orderings).
 */
export function lowerTailCount(k: number, n: number, m: number): number {
  if (k < 0) return 0;
  const s = Math.min(n, m);
  const l = Math.max(n, m);
  const c = new Float64Array(k + 1);
  c[0] = 1;
  for (let i = 1; i <= s; i += 1) {
    for (let d = i; d <= k; d += 1) c[d]! += c[d - i]!;
    const cut = l + i;
    for (let d = k; d >= cut; d -= 1) c[d]! -= c[d - cut]!;
  }
  let sum = 0;
  for (let d = 0; d <= k; d += 1) sum += c[d]!;
  return sum;
}
