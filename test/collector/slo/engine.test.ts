// The engine on synthetic rollups: exact numbers, window edges, empty windows, groups kept apart,
// and the incremental refresh agreeing with a full reload (properties with fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import type { Slo } from '../../../shared/slo/model.js';
import type { GroupStatus, SloReport } from '../../../collector/slo/report.js';
import { FakeRollups, row } from './fake-rollups.js';
import { DayMs, HourMs, manualEngine, MinuteMs, Start } from './support.js';
import type { Store } from '../../../collector/store/store.js';

const [bootSuccess, timeToReady] = defaultSlos() as [Slo, Slo];
/** Evaluations happen 30 s into a minute: that minute is the window's last. */
const nowMinute = Start + 10 * DayMs;
const now = nowMinute + 30_000;

function engineOn(fake: FakeRollups, slos: Slo[], at = now, over = {}) {
  return manualEngine(fake as unknown as Store, slos, new ManualClock(at), over);
}

function group(report: SloReport, version: string, slo = 0): GroupStatus {
  const g = report.slos[slo]!.groups.find((x) => x.labels.ami_version === version);
  if (!g) throw new Error(`no group ${version}`);
  return g;
}

function win(g: GroupStatus, window: string) {
  return g.windows.find((w) => w.window === window)!;
}

/** Every number in a JSON-able value, walked. */
function numbers(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(numbers);
  return [];
}

describe('SloEngine on synthetic rollups', () => {
  it('computes SLI, budget and burn rate from counts (a worked example)', async () => {
    const fake = new FakeRollups();
    // 20,000 launches in the last 30 days, 5 failed: 99.975%; 99.9% allows 20, 5 leave 75%.
    fake.rows.push(row({ minuteMs: nowMinute - 20 * DayMs, count: 19_995 }));
    fake.rows.push(row({ minuteMs: nowMinute - 20 * DayMs, count: 5, outcome: 'failure' }));
    const g = group(await engineOn(fake, [bootSuccess]).evaluate(), '1.0.0');
    expect(g.sliRatio).toBe(19_995 / 20_000);
    expect(g.budget).toEqual({ allowedErrors: 20, errors: 5, remaining: 0.75 });
    expect(win(g, '30d').burnRate).toBeCloseTo(0.25, 12);
    expect(g.alert).toBe('none');
  });

  it('counts a row in the oldest minute of a window and not one minute older', async () => {
    const fake = new FakeRollups();
    // 1h window at minute m holds minutes m-59 .. m.
    fake.rows.push(row({ minuteMs: nowMinute - 59 * MinuteMs, count: 1, outcome: 'failure' }));
    fake.rows.push(row({ minuteMs: nowMinute - 60 * MinuteMs, count: 2, outcome: 'failure' }));
    fake.rows.push(row({ minuteMs: nowMinute, count: 4 }));
    const g = group(await engineOn(fake, [bootSuccess]).evaluate(), '1.0.0');
    expect(win(g, '1h')).toMatchObject({ events: 5, errors: 1 });
    expect(win(g, '2h')).toMatchObject({ events: 7, errors: 3 });
    expect(win(g, '5m')).toMatchObject({ events: 4, errors: 0, sliRatio: 1, burnRate: 0 });
  });

  it('says "no events" for an empty window, with nulls and no NaN anywhere', async () => {
    const fake = new FakeRollups();
    fake.rows.push(row({ minuteMs: nowMinute - 2 * DayMs, count: 3, ttrSeconds: 200 }));
    const report = await engineOn(fake, [bootSuccess, timeToReady]).evaluate();
    const g = group(report, '1.0.0', 1);
    expect(win(g, '1h')).toEqual({
      window: '1h',
      windowMs: HourMs,
      events: 0,
      errors: 0,
      sliRatio: null,
      errorRatio: null,
      burnRate: null,
      timeToReadySeconds: { p50: null, p95: null, p99: null },
      note: 'no events',
    });
    expect(win(g, '3d')).toMatchObject({ events: 3, errors: 3, sliRatio: 0 });
    expect(numbers(report).every(Number.isFinite)).toBe(true);
    // A store without any rollups: no groups, still a report.
    const empty = await engineOn(new FakeRollups(), [bootSuccess]).evaluate();
    expect(empty.slos[0]!.groups).toEqual([]);
  });

  it('counts time to ready within the threshold exactly, a failure never ready', async () => {
    const fake = new FakeRollups();
    const m = nowMinute - 10 * MinuteMs;
    fake.rows.push(row({ minuteMs: m, count: 6, ttrSeconds: 120 })); // the bound: within
    fake.rows.push(row({ minuteMs: m, count: 3, ttrSeconds: 121 })); // next bucket: late
    fake.rows.push(row({ minuteMs: m, count: 1, outcome: 'failure', ttrSeconds: 30 }));
    const g = group(await engineOn(fake, [timeToReady]).evaluate(), '1.0.0');
    expect(win(g, '1h')).toMatchObject({ events: 10, errors: 4 });
    expect(g.sliRatio).toBe(0.6);
    // 9 successes: 6 in (90, 120], 3 in (120, 180]; the median's rank 4.5 is 4.5/6 into (90, 120].
    expect(win(g, '1h').timeToReadySeconds!.p50).toBe(112.5);
  });

  it('keeps groups apart: each group counts only its own rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            version: fc.constantFrom('a', 'b', 'c'),
            minutesAgo: fc.integer({ min: 0, max: 3 * 1440 }),
            count: fc.integer({ min: 1, max: 50 }),
            failed: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        async (specs) => {
          const fake = new FakeRollups();
          for (const s of specs) {
            fake.rows.push(
              row({
                minuteMs: nowMinute - s.minutesAgo * MinuteMs,
                count: s.count,
                amiVersion: s.version,
                outcome: s.failed ? 'failure' : 'success',
              }),
            );
          }
          const report = await engineOn(fake, [bootSuccess]).evaluate();
          for (const version of ['a', 'b', 'c']) {
            for (const [window, minutes] of [
              ['1h', 60],
              ['6h', 360],
              ['3d', 4320],
            ] as const) {
              const mine = specs.filter((s) => s.version === version && s.minutesAgo < minutes);
              const events = mine.reduce((n, s) => n + s.count, 0);
              const errors = mine.filter((s) => s.failed).reduce((n, s) => n + s.count, 0);
              const g = report.slos[0]!.groups.find((x) => x.labels.ami_version === version);
              const w = g?.windows.find((x) => x.window === window);
              expect(w?.events ?? 0).toBe(events);
              expect(w?.errors ?? 0).toBe(errors);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('burns at e / (1 - objective) under a constant error ratio e, over every window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.constantFrom(0.999, 0.995, 0.99, 0.95, 0.9),
        async (good, bad, objective) => {
          const fake = new FakeRollups();
          // The same counts every 5 minutes of the last 3 days: every window holds some of them,
          // so every window's ratio is e exactly.
          for (let k = 0; k < 3 * 1440; k += 5) {
            const minuteMs = nowMinute - k * MinuteMs;
            fake.rows.push(row({ minuteMs, count: good }));
            if (bad > 0) fake.rows.push(row({ minuteMs, count: bad, outcome: 'failure' }));
          }
          const slo = { ...bootSuccess, objective };
          const g = group(await engineOn(fake, [slo]).evaluate(), '1.0.0');
          const e = bad / (good + bad);
          for (const w of g.windows) {
            expect(w.errorRatio).toBeCloseTo(e, 12);
            expect(w.burnRate!).toBeCloseTo(e / (1 - objective), 9);
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('agrees with a full reload at every evaluation, late corrections of any age included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            minute: fc.integer({ min: 0, max: 8 * 60 }),
            count: fc.integer({ min: 1, max: 9 }),
            failed: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        fc.array(
          fc.record({ step: fc.integer({ min: 0, max: 400 }), correct: fc.nat({ max: 40 }) }),
          { minLength: 1, maxLength: 8 },
        ),
        async (specs, steps) => {
          const fake = new FakeRollups();
          const t0 = Start + DayMs;
          const clock = new ManualClock(t0);
          const engine = manualEngine(fake as unknown as Store, [bootSuccess], clock);
          // Rows appear as time passes; each step may also correct any row (a late report
          // replacing a no_report, however old).
          let t = t0;
          for (const { step, correct } of steps) {
            t += step * MinuteMs;
            clock.set(t);
            for (const s of specs) {
              const minuteMs = t0 + s.minute * MinuteMs;
              if (minuteMs <= t && minuteMs > t - step * MinuteMs) {
                fake.rows.push(
                  row({ minuteMs, count: s.count, outcome: s.failed ? 'failure' : 'success' }),
                );
              }
            }
            const failed = fake.rows.filter((r) => r.outcome === 'failure');
            const fixed = failed[correct % Math.max(1, failed.length)];
            if (fixed) {
              fixed.outcome = 'success';
              fixed.reason = 'none';
            }
            await engine.evaluate();
            const fresh = await manualEngine(
              fake as unknown as Store,
              [bootSuccess],
              clock,
            ).evaluate();
            // As the API serializes them: every window and tier included.
            expect(JSON.parse(JSON.stringify(engine.latest()!.slos))).toEqual(
              JSON.parse(JSON.stringify(fresh.slos)),
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reads only the minutes its windows gain and lose, and counts a change of any age at once', async () => {
    const fake = new FakeRollups();
    fake.rows.push(row({ minuteMs: nowMinute - DayMs, count: 1 }));
    fake.rows.push(row({ minuteMs: nowMinute - 40 * MinuteMs, count: 1 }));
    const clock = new ManualClock(now);
    const engine = manualEngine(fake as unknown as Store, [bootSuccess], clock);
    await engine.evaluate();
    fake.queries = [];
    clock.advance(30_000);
    await engine.evaluate();
    // The next minute began: each window (5m, 30m, 1h, 2h, 6h, 1d, 3d, 30d) loses its oldest
    // minute, and every window gains the new one. Nothing else is read.
    const m = (k: number) => nowMinute + k * MinuteMs;
    expect(fake.queries).toEqual([
      { fromMs: m(-43199), toMs: m(-43198) },
      { fromMs: m(-4319), toMs: m(-4318) },
      { fromMs: m(-1439), toMs: m(-1438) },
      { fromMs: m(-359), toMs: m(-358) },
      { fromMs: m(-119), toMs: m(-118) },
      { fromMs: m(-59), toMs: m(-58) },
      { fromMs: m(-29), toMs: m(-28) },
      { fromMs: m(-4), toMs: m(-3) },
      { fromMs: m(1), toMs: m(2) },
    ]);
    // Within the same minute, an evaluation reads no rollups at all: only the feed.
    fake.queries = [];
    clock.advance(10_000);
    await engine.evaluate();
    expect(fake.queries).toEqual([]);
    // Late corrections 40 minutes and a day old count at the next evaluation.
    fake.rows[1]!.outcome = 'failure';
    fake.rows[0]!.outcome = 'failure';
    const g = group(await engine.evaluate(), '1.0.0');
    expect(win(g, '1h').errors).toBe(1);
    expect(win(g, '3d').errors).toBe(2);
    expect(engine.lastTiming!.loaded).toBe(false);
  });

  it('goes on after a failed read: the next evaluation counts everything it missed', async () => {
    const fake = new FakeRollups();
    fake.rows.push(row({ minuteMs: nowMinute - DayMs, count: 1 }));
    const clock = new ManualClock(now);
    const errors: string[] = [];
    const engine = manualEngine(fake as unknown as Store, [bootSuccess], clock, {
      log: { warn: () => undefined, error: (_o, msg) => errors.push(msg) },
    });
    await engine.evaluate();
    fake.rows.push(row({ minuteMs: nowMinute, count: 2, outcome: 'failure' }));
    fake.failNextRead = true;
    clock.advance(HourMs);
    await expect(engine.evaluate()).rejects.toThrow('store read failed');
    expect(errors).toEqual(['SLO evaluation: the store did not answer']);
    expect(win(group(engine.latest()!, '1.0.0'), '3d').events).toBe(1);
    clock.advance(30_000);
    const g = group(await engine.evaluate(), '1.0.0');
    expect(win(g, '3d')).toMatchObject({ events: 3, errors: 2 });
    expect(win(g, '1h')).toMatchObject({ events: 0 });
    expect(win(g, '2h')).toMatchObject({ events: 2, errors: 2 });
  });

  it('answers on demand from the latest report until it is older than the interval', async () => {
    const fake = new FakeRollups();
    const clock = new ManualClock(now);
    const engine = manualEngine(fake as unknown as Store, [bootSuccess], clock);
    const first = await engine.report();
    clock.advance(29_000);
    expect(await engine.report()).toBe(first);
    clock.advance(1_000);
    expect((await engine.report()).evaluatedAtMs).toBe(now + 30_000);
  });
});
