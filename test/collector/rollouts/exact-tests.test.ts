// Fisher's one-sided test and the binomial test against the SLO, against reference values from
// scipy.stats (fisher_exact(..., alternative='greater'), binomtest(..., alternative='greater')),
// and their properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fisherOneSided } from '../../../collector/rollouts/fisher-exact.js';
import { binomialUpperTail } from '../../../collector/rollouts/slo-binomial.js';

const side = (failures: number, boots: number) => ({ failures, successes: boots - failures });

describe('fisherOneSided', () => {
  it.each([
    [6, 200, 0, 200, 0.015042029075494588],
    [3, 10, 1, 10, 0.2910216718266254],
    [10, 10, 0, 10, 5.412544112234515e-6],
    [5, 100, 2, 200, 0.043340804118872596],
    [500, 100_000, 400, 100_000, 0.00046568086821909265],
  ])('candidate %i/%i, baseline %i/%i: p = %f (scipy)', (cf, cn, bf, bn, expected) => {
    expect(fisherOneSided(side(cf, cn), side(bf, bn))).toBeCloseTo(expected, 12);
    expect(fisherOneSided(side(cf, cn), side(bf, bn)) / expected).toBeCloseTo(1, 9);
  });

  it('is 1 when the candidate has no failures', () => {
    expect(fisherOneSided(side(0, 10), side(3, 10))).toBe(1);
  });

  it('falls as the candidate fails more, rises as the baseline does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.nat(),
        (n, m, x0, y0) => {
          const x = x0 % n;
          const y = y0 % m;
          const p = fisherOneSided(side(x, n), side(y, m));
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          expect(fisherOneSided(side(x + 1, n), side(y, m))).toBeLessThanOrEqual(p * (1 + 1e-9));
          if (y + 1 <= m) {
            expect(fisherOneSided(side(x, n), side(y + 1, m))).toBeGreaterThanOrEqual(
              p * (1 - 1e-9),
            );
          }
        },
      ),
    );
  });
});

describe('binomialUpperTail', () => {
  it.each([
    [4, 200, 0.001, 5.5322622658978316e-5],
    [3, 60, 0.001, 3.2789369173184e-5],
    [1, 200, 0.001, 0.1813511705213643],
    [2, 200, 0.001, 0.017457510966081852],
    [10, 10, 0.001, 1e-30],
    [12, 1000, 0.005, 0.005330011206256366],
  ])('P(Bin(%i boots... ) >= %i)', (x, n, a, expected) => {
    expect(binomialUpperTail(x, n, a) / expected).toBeCloseTo(1, 9);
  });

  it('is 1 without failures and 0 for an impossible count', () => {
    expect(binomialUpperTail(0, 100, 0.001)).toBe(1);
    expect(binomialUpperTail(5, 4, 0.001)).toBe(0);
  });

  it('equals the sum of the binomial terms (small n)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        (n, x0, a) => {
          const x = x0 % (n + 1);
          let sum = 0;
          let term = (1 - a) ** n; // P(X = 0)
          for (let k = 0; k <= n; k += 1) {
            if (k >= x) sum += term;
            term *= ((n - k) / (k + 1)) * (a / (1 - a));
          }
          expect(binomialUpperTail(x, n, a)).toBeCloseTo(Math.min(1, sum), 10);
        },
      ),
    );
  });
});
