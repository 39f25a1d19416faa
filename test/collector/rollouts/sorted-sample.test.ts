import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SortedSample,
  sortedMedian,
  upperBound,
} from '../../../collector/rollouts/sorted-sample.js';

describe('SortedSample', () => {
  it('keeps what was inserted, sorted, as it grows', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 600_000 })), (values) => {
        const s = new SortedSample(1);
        for (const v of values) s.insert(v);
        expect(Array.from(s.view())).toEqual([...values].sort((a, b) => a - b));
      }),
    );
  });

  it('refuses a time that is not finite', () => {
    expect(() => new SortedSample().insert(Number.NaN)).toThrow(/finite/);
  });

  it('median and upper bound', () => {
    const v = Float64Array.from([1, 2, 2, 7]);
    expect(sortedMedian(v)).toBe(2);
    expect(sortedMedian(v.subarray(0, 3))).toBe(2);
    expect(sortedMedian(new Float64Array())).toBeNull();
    expect(upperBound(v, 4, 2)).toBe(3);
    expect(upperBound(v, 4, 0)).toBe(0);
    expect(upperBound(v, 4, 9)).toBe(4);
  });

  it('removes one occurrence of a value, whatever was inserted and removed before', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 25 }), { maxLength: 30 }),
        (values, removals) => {
          const s = new SortedSample(2);
          const kept = [...values];
          for (const v of values) s.insert(v);
          for (const r of removals) {
            const at = kept.indexOf(r);
            expect(s.remove(r)).toBe(at !== -1);
            if (at !== -1) kept.splice(at, 1);
          }
          expect(Array.from(s.view())).toEqual(kept.sort((a, b) => a - b));
        },
      ),
      { seed: 7 },
    );
  });
});
