// The engine's windows, kept current as its clock moves (rollup-book.ts), against an engine that
// reads everything from scratch at the same moment: the two reports are equal after every
// evaluation, whatever the steps (seconds, minutes, hours, a whole window, gaps without boots,
// versions that go quiet and come back, the clock going back) and whatever boots land meanwhile,
// in any minute of the windows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import type { Slo } from '../../../shared/slo/model.js';
import type { SloEngine } from '../../../collector/slo/slo-engine.js';
import type { Store } from '../../../collector/store/store.js';
import { FakeRollups, row } from './fake-rollups.js';
import { DayMs, HourMs, manualEngine, MinuteMs, Start } from './support.js';

const [bootSuccess, timeToReady] = defaultSlos() as [Slo, Slo];
const weekly: Slo = { ...bootSuccess, name: 'weekly', windowMs: 7 * DayMs };
const Slos = [bootSuccess, timeToReady, weekly];
const T0 = Start + 40 * DayMs;

/** The report as the API serializes it: every window, tier and failingIn included. */
async function evaluated(engine: SloEngine): Promise<unknown> {
  return JSON.parse(JSON.stringify((await engine.evaluate()).slos));
}

async function fromScratch(fake: FakeRollups, clock: ManualClock): Promise<unknown> {
  return evaluated(manualEngine(fake as unknown as Store, Slos, clock));
}

const rowSpec = fc.record({
  // Most rows near the steps below, some at the far edge of the 30-day window.
  minutes: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: -3 * 1440, max: 4 * 1440 }) },
    { weight: 1, arbitrary: fc.integer({ min: -31 * 1440, max: -28 * 1440 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 180 }) },
  ),
  version: fc.constantFrom('1.0.0', '1.1.0', '2.0.0'),
  count: fc.integer({ min: 1, max: 9 }),
  failed: fc.boolean(),
  ttrSeconds: fc.constantFrom(30, 100, 150, 400),
});

const stepMs = fc.oneof(
  fc.constantFrom(30_000, MinuteMs, 59 * MinuteMs, HourMs, 2 * HourMs, 2 * HourMs + MinuteMs),
  fc.constantFrom(DayMs, 3 * DayMs + 7 * MinuteMs, 8 * DayMs, 31 * DayMs, -MinuteMs, -3 * HourMs),
  fc.integer({ min: 1, max: 400 }).map((m) => m * MinuteMs + 17_000),
);

describe('SloEngine windows kept current as the clock moves', () => {
  it('equal a from-scratch evaluation after every step', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowSpec, { maxLength: 40 }),
        fc.array(fc.tuple(stepMs, fc.array(rowSpec, { maxLength: 4 })), {
          minLength: 1,
          maxLength: 10,
        }),
        async (specs, steps) => {
          const fake = new FakeRollups();
          const add = (s: (typeof specs)[number]) =>
            fake.rows.push(
              row({
                minuteMs: T0 + s.minutes * MinuteMs,
                count: s.count,
                amiVersion: s.version,
                outcome: s.failed ? 'failure' : 'success',
                ttrSeconds: s.ttrSeconds,
              }),
            );
          specs.forEach(add);
          const clock = new ManualClock(T0 + 20_000);
          const engine = manualEngine(fake as unknown as Store, Slos, clock);
          expect(await evaluated(engine)).toEqual(await fromScratch(fake, clock));
          for (const [step, late] of steps) {
            clock.advance(step);
            late.forEach(add);
            expect(await evaluated(engine)).toEqual(await fromScratch(fake, clock));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reads everything again when its clock goes back', async () => {
    const fake = new FakeRollups();
    for (let m = -1440; m <= 6 * 60; m += 10) {
      fake.rows.push(
        row({ minuteMs: T0 + m * MinuteMs, count: 1 + Math.abs(m % 3), outcome: 'failure' }),
      );
    }
    const clock = new ManualClock(T0 + 20_000);
    const engine = manualEngine(fake as unknown as Store, Slos, clock);
    await engine.evaluate();
    clock.advance(5 * HourMs);
    await engine.evaluate();
    // Back 3 hours: the windows only move forward, so everything is read again.
    clock.advance(-3 * HourMs);
    expect(await evaluated(engine)).toEqual(await fromScratch(fake, clock));
    expect(engine.lastTiming!.loaded).toBe(true);
  });

  it('forgets a version whose boots left the window and counts it again when it boots', async () => {
    const fake = new FakeRollups();
    fake.rows.push(row({ minuteMs: T0 - 10 * MinuteMs, count: 3, amiVersion: 'old' }));
    fake.rows.push(row({ minuteMs: T0 - 5 * MinuteMs, count: 2, amiVersion: 'new' }));
    const clock = new ManualClock(T0 + 20_000);
    const engine = manualEngine(fake as unknown as Store, [bootSuccess], clock);
    const versions = async () =>
      (await engine.evaluate()).slos[0]!.groups.map((g) => [
        g.labels.ami_version,
        g.windows.find((w) => w.window === '30d')!.events,
      ]);
    expect(await versions()).toEqual([
      ['new', 2],
      ['old', 3],
    ]);
    clock.advance(30 * DayMs - 7 * MinuteMs); // 'old' has left the 30-day window, 'new' has not
    expect(await versions()).toEqual([['new', 2]]);
    fake.rows.push(row({ minuteMs: T0 + 30 * DayMs - 6 * MinuteMs, count: 1, amiVersion: 'old' }));
    clock.advance(MinuteMs);
    expect(await versions()).toEqual([
      ['new', 2],
      ['old', 1],
    ]);
    clock.advance(3 * HourMs); // hours later, still counted
    expect(await versions()).toEqual([['old', 1]]);
    expect(engine.lastTiming!.loaded).toBe(false);
  });
});
