// When the candidate's SLO test may count against it: only while the baseline, in the same scope
// and hours, looks healthy. If both versions fail alike, the failures are the region's or the
// account's (capacity, quotas, a broken package mirror), and rolling the image back would not
// help. Two conditions, each a binomial test on the baseline's boots at `level` (5% by default):
//
// 1. The baseline is not shown above the allowed ratio: P(Bin(n_b, allowed) >= y_b) >= level.
//    One failure in 200 baseline boots at 0.1% allowed (p = 0.18) is a healthy baseline's luck,
//    one canary in six, and must not shield a bad candidate; two in 200 (p = 0.017), or one in
//    the first 20 (p = 0.02), are a baseline in trouble too.
// 2. The baseline is shown below the candidate's own ratio: had it failed as often as the
//    candidate, so few failures would be unlikely, P(Bin(n_b, y_c / n_c) <= y_b) < level. This
//    is what keeps a regional incident from rolling back early, before the baseline has had the
//    boots to show its failures. Example: the candidate 3 of 40 (7.5%), the baseline 0 of 40:
//    P(Bin(40, 0.075) = 0) = 0.044, shown; 0 of 25 (p = 0.14) is not yet.
//
// The guard only ever removes rollbacks, so the SLO test keeps its guarantee (at most its alpha
// while the candidate is within its SLO); what it buys is measured in bench/verdict-sim.ts.
import type { BootCounts } from './fisher-exact.js';
import { binomialUpperTail } from './slo-binomial.js';
import { failedOf, probability } from './wording.js';

export interface BaselineGuard {
  /** Whether the candidate's SLO test may roll it back. */
  open: boolean;
  detail: string;
}

export function baselineGuard(
  candidate: BootCounts,
  baseline: BootCounts,
  allowedRatio: number,
  level: number,
): BaselineGuard {
  const nC = candidate.successes + candidate.failures;
  const nB = baseline.successes + baseline.failures;
  const said = `baseline ${failedOf(baseline.failures, nB)}`;
  const above = binomialUpperTail(baseline.failures, nB, allowedRatio);
  if (above < level) {
    return {
      open: false,
      detail: `${said}, above the allowed ratio too (p ${probability(above)}): not held against the candidate`,
    };
  }
  const candidateRatio = nC > 0 ? candidate.failures / nC : 0;
  const below = 1 - binomialUpperTail(baseline.failures + 1, nB, candidateRatio);
  if (!(below < level)) {
    return {
      open: false,
      detail: `${said}, not yet shown to fail less than the candidate (p ${probability(below)}): not held against the candidate yet`,
    };
  }
  return {
    open: true,
    detail: `${said}, within it and below the candidate (p ${probability(below)})`,
  };
}
