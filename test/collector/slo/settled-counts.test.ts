// The settled counts' running window totals against sums computed from scratch: after any
// sequence of settled cells and clock steps (minutes, hours, past a whole window, gaps without
// boots, groups that go quiet and come back), every total equals the plain sum of the cells inside
// the window. Counts beyond 16 bits, merged rows and dropped cells included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SettledCounts } from '../../../collector/slo/settled-counts.js';

const Channels = 3;
/** Window lengths in minutes, each longer than the horizon. */
const Windows = [3, 10, 61];
const Horizon = 2;

interface Cell {
  minute: number;
  group: number;
  values: number[];
}

/** Sums of `group`'s cells in window w when the clock is at minute `now`, from scratch. */
function expected(cells: readonly Cell[], group: number, w: number, now: number): number[] {
  const from = now - Windows[w]! + 1;
  const out = new Array<number>(Channels).fill(0);
  for (const c of cells) {
    if (c.group === group && c.minute >= from) c.values.forEach((v, k) => (out[k]! += v));
  }
  return out;
}

function totals(s: SettledCounts, group: number, w: number): number[] {
  const out = new Float64Array(s.channels);
  s.addTotals(group, w, out, 0);
  return Array.from(out);
}

const value = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 200_000 }) },
);

/** One step: the clock moves on, then rows of the minutes that left the horizon settle. */
const step = fc.record({
  minutes: fc.oneof(
    fc.constantFrom(0, 1, 2, 3, 9, 10, 11, 60, 61, 62, 500),
    fc.integer({ min: 0, max: 40 }),
  ),
  rows: fc.array(
    fc.record({
      // Where in the newly settled minutes the row falls, as a fraction of them.
      at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      group: fc.integer({ min: 0, max: 4 }),
      values: fc.array(value, { minLength: Channels, maxLength: Channels }),
    }),
    { maxLength: 12 },
  ),
  compact: fc.boolean(),
});

describe('SettledCounts', () => {
  it('keeps every window total equal to the sum of its cells, as the clock moves', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), fc.boolean(), (steps, early) => {
        const s = new SettledCounts(Channels, Windows);
        const cells: Cell[] = [];
        let now = 1000;
        let edge = now + 1 - Horizon; // minutes before it are settled
        // Positioned before any cell (totals kept from the start) or after the first step's cells
        // (totals summed from scratch once).
        if (early) s.moveTo(now);
        for (const st of steps) {
          now += st.minutes;
          const next = now + 1 - Horizon;
          const rows = st.rows
            .map((r) => ({ ...r, minute: edge + Math.floor(r.at * (next - edge)) }))
            .filter((r) => r.minute < next)
            .sort((a, b) => a.minute - b.minute);
          for (const r of rows) {
            s.add(r.minute, r.group, r.values);
            cells.push({ minute: r.minute, group: r.group, values: r.values });
          }
          edge = next;
          s.moveTo(now);
          if (st.compact) s.compact();
          for (let g = 0; g < 5; g += 1) {
            for (let w = 0; w < Windows.length; w += 1) {
              expect(totals(s, g, w)).toEqual(expected(cells, g, w, now));
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('merges rows of one group and minute into one cell, and splits counts beyond 16 bits', () => {
    const s = new SettledCounts(1, [10]);
    s.add(5, 0, [2]);
    s.add(5, 1, [1]);
    s.add(5, 0, [3]); // the same minute as group 0's latest cell: merged
    expect(s.length).toBe(2);
    s.add(6, 0, [150_000]); // 65,535 + 65,535 + 18,930: three cells of minute 6
    expect(s.length).toBe(5);
    s.moveTo(10);
    expect(totals1(s, 0)).toBe(5 + 150_000);
    expect(totals1(s, 1)).toBe(1);
    s.add(8, 0, [65_535]); // cannot merge into the last cell of minute 6: a new one
    s.add(8, 0, [1]); // does not fit the cell of minute 8 (65,535): another one
    expect(s.length).toBe(7);
    s.moveTo(15); // the window holds minutes 6..15
    expect(totals1(s, 0)).toBe(150_000 + 65_536);
    expect(totals1(s, 1)).toBe(0);
  });

  it('refuses counts that are not non-negative integers and minutes that go back', () => {
    const s = new SettledCounts(1, [10]);
    expect(() => s.add(5, 0, [-1])).toThrow(/non-negative integer/);
    expect(() => s.add(5, 0, [1.5])).toThrow(/non-negative integer/);
    s.add(5, 0, [1]);
    expect(() => s.add(4, 0, [1])).toThrow(/before 5/);
  });

  it('sums again from the cells held when moved back', () => {
    const s = new SettledCounts(1, [3]);
    for (let m = 0; m < 10; m += 1) s.add(m, 0, [m]);
    s.moveTo(9); // minutes 7, 8, 9
    expect(totals1(s, 0)).toBe(24);
    // A window's settled part runs from its start to the newest settled cell: moved back to
    // minute 5 it starts at 3 again. (The engine reloads when its clock goes back.)
    s.moveTo(5);
    expect(totals1(s, 0)).toBe(3 + 4 + 5 + 6 + 7 + 8 + 9);
  });

  it('counts a row of a minute every window has left in no window', () => {
    const s = new SettledCounts(1, [3]);
    s.add(50, 0, [1]);
    s.moveTo(100); // the window holds minutes 98..100
    s.add(50, 0, [2]); // merged into the passed cell: no total changes
    s.add(99, 0, [4]);
    s.moveTo(100);
    expect(totals1(s, 0)).toBe(4);
  });

  it('drops the cells every window has passed, keeping what the windows hold', () => {
    const s = new SettledCounts(1, [100]);
    s.moveTo(0);
    for (let m = 0; m < 5_000; m += 1) {
      s.add(m, m % 3, [1]);
      s.moveTo(m + 2);
    }
    // At minute 5001 the window holds minutes 4902..5001, of which 4902..4999 have cells. Passed
    // cells are dropped when the room (1,024 cells at least) is full, not one by one.
    expect(s.length).toBeLessThanOrEqual(1024);
    expect(s.bytes).toBeLessThan(1024 * 64);
    s.compact();
    expect(s.length).toBe(98);
    expect([0, 1, 2].map((g) => totals1(s, g))).toEqual([33, 33, 32]);
  });
});

function totals1(s: SettledCounts, group: number): number {
  return totals(s, group, 0)[0]!;
}
