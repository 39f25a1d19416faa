// The standard normal distribution's upper tail and quantile, from the complementary error
// function, so that a tail of 1e-12 keeps its digits: 1 - Phi(z) would round to 0 past z = 8.3.
import erfc from '@stdlib/math-base-special-erfc';
import erfcinv from '@stdlib/math-base-special-erfcinv';

/** P(Z >= z) for a standard normal Z. Example: z = 1.6449 gives 0.05; z = 7 gives 1.28e-12. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** The z with P(Z >= z) = p, for 0 < p < 1. Example: p = 0.01 gives 2.3263. */
export function normalUpperQuantile(p: number): number {
  return Math.SQRT2 * erfcinv(2 * p);
}
