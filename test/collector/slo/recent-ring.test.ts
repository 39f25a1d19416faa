// The ring's window sums, kept by differences as minutes are re-read and the horizon moves, against
// sums computed from scratch over the minutes as last read: equal after every step, corrections
// (a minute re-read with other counts, or with none) and jumps past the whole horizon included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentRing } from '../../../collector/slo/recent-ring.js';

const Horizon = 6;
const Lengths = [1, 3, 6];
const Channels = 2;
const Groups = 3;

type Op =
  | { kind: 'move'; minutes: number }
  | {
      kind: 'read';
      from: number;
      span: number;
      rows: { group: number; at: number; values: number[] }[];
    };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('move' as const),
    minutes: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(5, 6, 7, 20)),
  }),
  fc.record({
    kind: fc.constant('read' as const),
    // The minutes re-read, from the horizon's start (some before it: those are ignored).
    from: fc.integer({ min: -2, max: Horizon }),
    span: fc.integer({ min: 0, max: Horizon + 2 }),
    rows: fc.array(
      fc.record({
        group: fc.integer({ min: 0, max: Groups - 1 }),
        at: fc.integer({ min: 0, max: Horizon + 1 }),
        values: fc.array(fc.integer({ min: 0, max: 4 }), {
          minLength: Channels,
          maxLength: Channels,
        }),
      }),
      { maxLength: 8 },
    ),
  }),
);

describe('RecentRing', () => {
  it('keeps every window sum equal to the sum of its minutes as last read', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), (ops) => {
        const ring = new RecentRing(Horizon, Channels, Lengths);
        let base = 1_000;
        ring.moveTo(base);
        /** group -> minute -> counts, as last read (the model). */
        const model = new Map<number, Map<number, number[]>>();
        for (const o of ops) {
          if (o.kind === 'move') {
            base += o.minutes;
            ring.moveTo(base);
          } else {
            // Minutes past the horizon's last do not exist yet: the engine reads up to now.
            const from = base + o.from;
            const to = Math.min(from + o.span, base + Horizon);
            const next = new Map<number, Map<number, Float64Array>>();
            for (const r of o.rows) {
              const minute = from + r.at;
              if (minute >= to) continue;
              let byMinute = next.get(r.group);
              if (!byMinute) next.set(r.group, (byMinute = new Map()));
              const sum = byMinute.get(minute) ?? new Float64Array(Channels);
              r.values.forEach((v, k) => (sum[k]! += v));
              byMinute.set(minute, sum);
            }
            ring.replace(from, to, next);
            for (let g = 0; g < Groups; g += 1) {
              for (let m = from; m < to; m += 1) {
                const values = next.get(g)?.get(m);
                if (!model.has(g)) model.set(g, new Map());
                if (values) model.get(g)!.set(m, Array.from(values));
                else model.get(g)!.delete(m);
              }
            }
          }
          const last = base + Horizon - 1;
          for (let g = 0; g < Groups; g += 1) {
            const out = new Float64Array(Lengths.length * Channels);
            ring.addSums(g, [0, 1, 2], out, 0);
            const want = Lengths.flatMap((length) => {
              const sum = new Array<number>(Channels).fill(0);
              for (const [m, values] of model.get(g) ?? []) {
                // Minutes outside the horizon were never kept (or were settled and dropped).
                if (m > last - length && m <= last && m >= base) {
                  values.forEach((v, k) => (sum[k]! += v));
                }
              }
              return sum;
            });
            expect(Array.from(out)).toEqual(want);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});
