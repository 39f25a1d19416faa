// The baseline guard of the SLO test, on the examples of its comment (p-values from scipy:
// binom.sf(y - 1, n, allowed) and binom.cdf(y, n, candidate ratio)).
import { describe, expect, it } from 'vitest';
import { baselineGuard } from '../../../collector/rollouts/baseline-guard.js';

const side = (failures: number, boots: number) => ({ failures, successes: boots - failures });

describe('baselineGuard', () => {
  it('one baseline failure in 200 is luck; two are a baseline in trouble', () => {
    expect(baselineGuard(side(10, 200), side(1, 200), 0.001, 0.05)).toEqual({
      open: true,
      detail: 'baseline failed 1 of 200 (0.5%), within it and below the candidate (p 4.04e-4)',
    });
    expect(baselineGuard(side(10, 200), side(2, 200), 0.001, 0.05)).toEqual({
      open: false,
      detail:
        'baseline failed 2 of 200 (1%), above the allowed ratio too (p 0.0175): not held against the candidate',
    });
  });

  it('a baseline without the boots to show its failures yet does not open the guard', () => {
    expect(baselineGuard(side(3, 40), side(0, 40), 0.001, 0.05).open).toBe(true);
    expect(baselineGuard(side(3, 40), side(0, 25), 0.001, 0.05)).toEqual({
      open: false,
      detail:
        'baseline failed 0 of 25 (0%), not yet shown to fail less than the candidate (p 0.142): not held against the candidate yet',
    });
  });
});
