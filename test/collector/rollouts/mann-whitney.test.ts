// Mann-Whitney U against scipy.stats.mannwhitneyu(..., alternative='greater') (exact, and
// asymptotic with continuity correction), the exact distribution against brute force, and U's
// properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  exactUpperTail,
  lowerTailCount,
  mannWhitneyGreater,
  uStatistic,
} from '../../../collector/rollouts/mann-whitney.js';

const sorted = (values: number[]) => Float64Array.from(values).sort();

// scipy: rng = default_rng(7); rounded log-normal samples, medians 80 and 75.
const X60 = [
  80, 88, 74, 61, 70, 59, 81, 120, 69, 66, 93, 89, 83, 61, 79, 99, 53, 70, 45, 54, 46, 75, 55, 87,
  84, 76, 38, 68, 79, 83, 51, 69, 60, 63, 110, 63, 79, 104, 67, 77, 83, 82, 55, 82, 120, 50, 104,
  83, 66, 146, 101, 56, 82, 95, 76, 98, 78, 98, 123, 65,
];
const Y70 = [
  80, 65, 78, 53, 63, 71, 98, 106, 50, 59, 91, 41, 65, 73, 109, 92, 68, 67, 70, 118, 66, 68, 83, 72,
  71, 54, 75, 66, 106, 91, 74, 92, 68, 103, 75, 89, 51, 83, 45, 41, 68, 57, 79, 147, 58, 62, 80, 87,
  71, 71, 93, 88, 55, 73, 76, 55, 81, 58, 100, 79, 77, 63, 72, 41, 53, 84, 40, 97, 44, 94,
];

describe('uStatistic', () => {
  it('counts ties as one half (the comment example)', () => {
    expect(uStatistic(sorted([3, 5]), sorted([1, 3, 4]))).toEqual({ u: 4.5, tieSum: 6 });
  });

  it("U + U' = n*m, and equals the pair count by brute force", () => {
    const sample = fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(sample, sample, fc.integer({ min: -5, max: 5 }), (xs, ys, shift) => {
        const x = sorted(xs);
        const y = sorted(ys);
        const { u } = uStatistic(x, y, shift);
        let brute = 0;
        for (const a of xs)
          for (const b of ys) brute += a - shift > b ? 1 : a - shift === b ? 0.5 : 0;
        expect(u).toBe(brute);
        const shifted = x.map((v) => v - shift);
        expect(u + uStatistic(y, shifted).u).toBe(xs.length * ys.length);
      }),
    );
  });
});

describe('mannWhitneyGreater', () => {
  it('exact p for small samples without ties (scipy: U = 37, p = 0.011072261)', () => {
    const r = mannWhitneyGreater(
      sorted([12.1, 14.3, 9.8, 15.0, 13.2, 11.7, 16.4]),
      sorted([10.2, 9.1, 11.5, 8.7, 12.0, 10.9]),
    );
    expect(r.method).toBe('exact');
    expect(r.u).toBe(37);
    expect(r.p).toBeCloseTo(0.011072261072261072, 14);
  });

  it('normal p with tie and continuity correction (scipy: U = 2306.5, p = 0.167954211)', () => {
    const r = mannWhitneyGreater(sorted(X60), sorted(Y70));
    expect(r.method).toBe('normal');
    expect(r.u).toBe(2306.5);
    expect(r.p).toBeCloseTo(0.16795421085800155, 12);
  });

  it('exact at 49 per side, far in the tail (scipy: p = 5.513149e-5; normal 7.41e-5)', () => {
    const x = sorted(Array.from({ length: 49 }, (_, i) => i + 12.5));
    const y = sorted(Array.from({ length: 49 }, (_, i) => i));
    const r = mannWhitneyGreater(x, y);
    expect(r.method).toBe('exact');
    expect(r.u).toBe(1735);
    expect(r.p / 5.513149449255065e-5).toBeCloseTo(1, 9);
  });

  it('the exact distribution matches brute-force enumeration', () => {
    // All C(8, 4) = 70 orderings of 4 candidate and 4 baseline boots.
    const counts = new Map<number, number>();
    for (let mask = 0; mask < 256; mask += 1) {
      if (popcount(mask) !== 4) continue;
      let u = 0;
      let baselineBelow = 0;
      for (let bit = 0; bit < 8; bit += 1) {
        if (mask & (1 << bit)) u += baselineBelow;
        else baselineBelow += 1;
      }
      counts.set(u, (counts.get(u) ?? 0) + 1);
    }
    let cumulative = 0;
    for (let k = 0; k <= 16; k += 1) {
      cumulative += counts.get(k) ?? 0;
      expect(lowerTailCount(k, 4, 4)).toBe(cumulative);
      expect(exactUpperTail(16 - k, 4, 4)).toBeCloseTo(cumulative / 70, 14);
    }
    expect(lowerTailCount(4, 2, 2)).toBe(6);
  });

  it('a larger shift never makes the candidate look slower (U, and p by one method)', () => {
    const sample = fc.array(fc.double({ min: 0, max: 200, noNaN: true }), {
      minLength: 1,
      maxLength: 60,
    });
    fc.assert(
      fc.property(sample, sample, fc.double({ min: 0, max: 50, noNaN: true }), (xs, ys, d) => {
        const x = sorted(xs);
        const y = sorted(ys);
        const shifted = mannWhitneyGreater(x, y, d);
        const plain = mannWhitneyGreater(x, y, 0);
        expect(shifted.u).toBeLessThanOrEqual(plain.u);
        // A shift can make or break ties, and ties switch an exact p to the normal one.
        if (shifted.method === plain.method) {
          expect(shifted.p).toBeGreaterThanOrEqual(plain.p - 1e-12);
        }
      }),
    );
  });

  it('an empty side gives no evidence', () => {
    expect(mannWhitneyGreater(new Float64Array(), sorted([1, 2])).p).toBe(1);
  });
});

function popcount(v: number): number {
  let c = 0;
  for (let x = v; x; x &= x - 1) c += 1;
  return c;
}
