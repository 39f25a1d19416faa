// The Hodges-Lehmann shift by counting, against the median of all pairwise differences (listed,
// as numpy.median(numpy.subtract.outer(x, y)) does), and its equivariance.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hodgesLehmann, kthDifference } from '../../../collector/rollouts/hodges-lehmann.js';

const sorted = (values: number[]) => Float64Array.from(values).sort();

function bruteMedian(xs: number[], ys: number[]): number {
  const d: number[] = [];
  for (const x of xs) for (const y of ys) d.push(x - y);
  d.sort((a, b) => a - b);
  const mid = d.length >> 1;
  return d.length % 2 ? d[mid]! : (d[mid - 1]! + d[mid]!) / 2;
}

describe('hodgesLehmann', () => {
  it('the comment example: candidate [3, 5], baseline [1, 3, 4] gives 1.5', () => {
    expect(hodgesLehmann(sorted([3, 5]), sorted([1, 3, 4]))).toBe(1.5);
  });

  it('small samples (numpy: 3.0 for both)', () => {
    expect(
      hodgesLehmann(
        sorted([12.1, 14.3, 9.8, 15.0, 13.2, 11.7, 16.4]),
        sorted([10.2, 9.1, 11.5, 8.7, 12.0, 10.9]),
      ),
    ).toBeCloseTo(3.0, 12);
  });

  it('equals the median of all differences (integers with many ties, and doubles)', () => {
    const ints = fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 40 });
    const reals = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), {
      minLength: 1,
      maxLength: 40,
    });
    for (const arb of [ints, reals]) {
      fc.assert(
        fc.property(
          arb,
          arb,
          fc.option(fc.double({ min: -100, max: 100, noNaN: true })),
          (xs, ys, guess) => {
            expect(hodgesLehmann(sorted(xs), sorted(ys), guess ?? undefined)).toBe(
              bruteMedian(xs, ys),
            );
          },
        ),
      );
    }
  });

  it('every k-th difference, not only the median', () => {
    const xs = [5, 1, 9, 9, 2];
    const ys = [3, 3, 8];
    const all = xs.flatMap((x) => ys.map((y) => x - y)).sort((a, b) => a - b);
    all.forEach((value, i) => expect(kthDifference(sorted(xs), sorted(ys), i + 1)).toBe(value));
  });

  it('moves by c when c is added to the candidate, by -c when added to the baseline', () => {
    const sample = fc.array(fc.integer({ min: 30_000, max: 200_000 }), {
      minLength: 1,
      maxLength: 50,
    });
    fc.assert(
      fc.property(sample, sample, fc.integer({ min: -60_000, max: 60_000 }), (xs, ys, c) => {
        const hl = hodgesLehmann(sorted(xs), sorted(ys))!;
        expect(hodgesLehmann(sorted(xs.map((v) => v + c)), sorted(ys))).toBe(hl + c);
        expect(hodgesLehmann(sorted(xs), sorted(ys.map((v) => v + c)))).toBe(hl - c);
      }),
    );
  });

  it('null when a side is empty', () => {
    expect(hodgesLehmann(new Float64Array(), sorted([1]))).toBeNull();
  });
});
