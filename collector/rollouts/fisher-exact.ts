// Boot success, candidate against baseline: Fisher's exact test, one-sided (the candidate fails
// more often).
//
// Why Fisher's test and not a beta-binomial posterior: the verdict spends a false-rollback budget
// over the canary's looks (alpha-spending.ts), and spending needs a p-value, whose false-positive
// rate is at most its level whatever the true failure ratio is. A posterior probability depends on
// its prior and has no such guarantee: with failures as rare as 0.1%, the prior dominates. Fisher's
// test conditions on the failures seen on both sides together, so the unknown common failure ratio
// drops out and the p-value is exact at any sample size (conservative, as discrete tests are).
//
// Worked example: candidate 6 failed of 200, baseline 0 of 200. Of the 6 failures among the 400
// boots, how likely is it that 6 or more land on the candidate's side if both sides fail alike?
// The hypergeometric tail P(X >= 6), X ~ Hypergeometric(400 boots, 6 failures, 200 drawn), is
// C(200,6)·C(200,0)/C(400,6) = 0.0150: significant at 5%, not at 1%. Six failures are the least
// evidence 200 boots per side can give at 2%; that is why the verdict also tests the candidate
// against its SLO (slo-binomial.ts).
import binomcoefln from '@stdlib/math-base-special-binomcoefln';

/** One side's boots in scope: the counts the verdict compares. */
export interface BootCounts {
  successes: number;
  failures: number;
}

/**
 * P(X >= candidate failures) for X hypergeometric with the table's margins: the one-sided p-value
 * that the candidate fails more often than the baseline. 1 when the candidate has no failures.
 * Sums the tail term by term from the observed count up, each term from the previous by the
 * ratio of binomial coefficients, and stops once the terms no longer change the sum.
 */
export function fisherOneSided(candidate: BootCounts, baseline: BootCounts): number {
  const x = candidate.failures;
  if (x <= 0) return 1;
  const n = candidate.successes + candidate.failures;
  const m = baseline.successes + baseline.failures;
  const k = candidate.failures + baseline.failures;
  const top = Math.min(k, n);
  // log P(X = x) = log C(n, x) + log C(m, k - x) - log C(n + m, k)
  let term = Math.exp(binomcoefln(n, x) + binomcoefln(m, k - x) - binomcoefln(n + m, k));
  let sum = term;
  for (let i = x; i < top; i += 1) {
    // P(X = i + 1) / P(X = i) = (n - i)(k - i) / ((i + 1)(m - k + i + 1))
    term *= ((n - i) * (k - i)) / ((i + 1) * (m - k + i + 1));
    if (term <= sum * 1e-17) break;
    sum += term;
  }
  return Math.min(1, sum);
}
