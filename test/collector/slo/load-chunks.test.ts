// How a load reads the store: in chunks sized to read about 5,000 rows each (nextChunkMinutes),
// that together read every minute of the longest window exactly once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import type { Slo } from '../../../shared/slo/model.js';
import { nextChunkMinutes, RollupBookDefaults } from '../../../collector/slo/rollup-book.js';
import type { Store } from '../../../collector/store/store.js';
import { FakeRollups, row } from './fake-rollups.js';
import { DayMs, manualEngine, MinuteMs, Start } from './support.js';

const [bootSuccess] = defaultSlos() as [Slo];

describe('nextChunkMinutes', () => {
  it('scales toward the target, at most 4x up at a time, within 1 minute and a day', () => {
    expect(nextChunkMinutes(360, 30_000)).toBe(60); // 10M boots: six hours held 30,000 rows
    expect(nextChunkMinutes(60, 10)).toBe(240); // a small store: grows, 4x at a time
    expect(nextChunkMinutes(1000, 0)).toBe(RollupBookDefaults.maxChunkMinutes);
    expect(nextChunkMinutes(1, 50_000)).toBe(1);
  });

  it('never shrinks a read that was small enough, never grows one that was too large', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1440 }),
        fc.nat({ max: 10_000_000 }),
        (minutes, rows) => {
          const next = nextChunkMinutes(minutes, rows);
          expect(next).toBeGreaterThanOrEqual(1);
          expect(next).toBeLessThanOrEqual(Math.min(1440, 4 * minutes));
          const target = RollupBookDefaults.chunkTargetRows;
          if (rows <= target) expect(next).toBeGreaterThanOrEqual(Math.min(minutes, 1440));
          if (rows > target) expect(next).toBeLessThanOrEqual(minutes);
        },
      ),
    );
  });
});

describe('a load', () => {
  it('reads every minute of the longest window once, in growing chunks', async () => {
    const fake = new FakeRollups();
    fake.rows.push(row({ minuteMs: Start - 20 * DayMs, count: 2 }));
    const clock = new ManualClock(Start + 20_000);
    const engine = manualEngine(fake as unknown as Store, [bootSuccess], clock);
    await engine.evaluate();
    const ranges = fake.queries.map((q) => [q.fromMs / MinuteMs, q.toMs / MinuteMs] as const);
    const nowMinute = Math.floor(clock.now() / MinuteMs);
    // Contiguous from the window's first minute to now, no gap and no overlap.
    expect(ranges[0]![0]).toBe(nowMinute - bootSuccess.windowMs / MinuteMs + 1);
    expect(ranges.at(-1)![1]).toBe(nowMinute + 1);
    ranges.slice(1).forEach(([from], i) => expect(from).toBe(ranges[i]![1]));
    // A store this small has few rows a minute: the chunks grow from the first one's hour.
    expect(ranges[0]![1] - ranges[0]![0]).toBe(RollupBookDefaults.firstChunkMinutes);
    expect(ranges.length).toBeLessThan(40);
    expect((await engine.evaluate()).slos[0]!.groups[0]!.windows.at(-1)!.events).toBe(2);
  });
});
