// Boot success, candidate against its SLO: an exact one-sided binomial test that the candidate's
// failure ratio is above the ratio its SLO allows.
//
// Why this second test: a concurrent baseline is the right control (same scope, same hours, so a
// regional incident hits both sides alike), but a few hundred baseline boots say little about a
// failure ratio of 0.1%, and Fisher's test cannot be more certain than the failures it has to
// share out (6 of 6 on the candidate's side is p = 0.015 at best, fisher-exact.ts). The SLO says
// what ratio is allowed; against it, the same boots are strong evidence.
//
// Worked example: 99.9% boot success allows 0.001. A candidate with 4 failures in 200 boots gives
// P(Bin(200, 0.001) >= 4) = 5.5e-5: a version at its allowed ratio fails 4 times in 200 boots
// once in 18,000 canaries. The verdict only uses it while the baseline in the same scope is
// itself within the SLO (verdict.ts), so that failures caused by the region, not by the image,
// do not roll the image back.
import betainc from '@stdlib/math-base-special-betainc';

/**
 * P(X >= failures) for X ~ Binomial(boots, allowedRatio): the one-sided p-value that the true
 * failure ratio is above allowedRatio. Uses P(X >= x) = I_p(x, n - x + 1), the regularised
 * incomplete beta function, which keeps its digits deep in the tail.
 */
export function binomialUpperTail(failures: number, boots: number, allowedRatio: number): number {
  if (failures <= 0) return 1;
  if (failures > boots) return 0;
  if (allowedRatio <= 0) return 0;
  if (allowedRatio >= 1) return 1;
  return betainc(allowedRatio, failures, boots - failures + 1);
}
