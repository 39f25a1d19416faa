// The fleet-wide SLIs: agent coverage in instance-minutes (one sample a minute) and replacement
// rate as launches per instance-day.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import type { Slo } from '../../../shared/slo/model.js';
import { defaultTiers } from '../../../shared/slo/tiers.js';
import type { Store } from '../../../collector/store/store.js';
import { FakeRollups, row } from './fake-rollups.js';
import { DayMs, manualEngine, MinuteMs, Start } from './support.js';

const fleetSlo = (sli: Slo['sli'], objective: number): Slo => ({
  name: sli.replace('_', '-'),
  description: '',
  sli,
  thresholdSeconds: null,
  objective,
  windowMs: 30 * DayMs,
  groupBy: [],
  tiers: defaultTiers(30 * DayMs),
  sparse: { z: 3, evidenceWindowMs: DayMs },
  source: 'test',
});

describe('fleet-wide SLIs', () => {
  it('agent coverage: heartbeating over running instance-minutes, one sample a minute', async () => {
    const fake = new FakeRollups();
    const clock = new ManualClock(Start + 10_000);
    const engine = manualEngine(
      fake as unknown as Store,
      [fleetSlo('agent_coverage', 0.99)],
      clock,
    );
    // Minute 0: 100 running, 90 heartbeating; sampled twice, the later sample counts.
    fake.running = 100;
    fake.heartbeating = 95;
    await engine.evaluate();
    fake.heartbeating = 90;
    clock.advance(30_000);
    await engine.evaluate();
    // Minute 1: 100 running, all heartbeating (and one agent of an instance the collector never saw).
    fake.heartbeating = 101;
    clock.advance(30_000);
    const report = await engine.evaluate();
    const g = report.slos[0]!.groups[0]!;
    expect(g.labels).toEqual({});
    expect(g.windows.find((w) => w.window === '5m')).toMatchObject({
      events: 200,
      errors: 10,
      sliRatio: 0.95,
    });
    expect(g.windows.find((w) => w.window === '5m')!.burnRate).toBeCloseTo(5, 9);
  });

  it('replacement rate: launches per 1,000 instances per day', async () => {
    const fake = new FakeRollups();
    const now = Start + 2 * DayMs + 30_000;
    // 48 launches in the last day (first boots decided), across two versions.
    for (let h = 0; h < 24; h += 1) {
      const minuteMs = Start + DayMs + MinuteMs + h * 3_600_000;
      fake.rows.push(row({ minuteMs, count: 1, amiVersion: 'a' }));
      fake.rows.push(row({ minuteMs, count: 1, amiVersion: 'b', outcome: 'failure' }));
    }
    fake.running = 2_000;
    const engine = manualEngine(
      fake as unknown as Store,
      [fleetSlo('replacement_rate', 0.99)],
      new ManualClock(now),
    );
    const g = (await engine.evaluate()).slos[0]!.groups[0]!;
    const day = g.windows.find((w) => w.window === '1d')!;
    // 2,000 instances sampled at this minute: 2,000 instance-days in a day; 48 launches.
    expect(day.events).toBe(2_000);
    expect(day.errors).toBe(48);
    expect(day.replacementsPer1000PerDay).toBeCloseTo(24, 9);
    // 99% allows 10 replacements per 1,000 instances per day: 24 burns at 2.4x.
    expect(day.burnRate).toBeCloseTo(2.4, 9);
  });

  it('has no events before the first sample', async () => {
    const engine = manualEngine(
      new FakeRollups() as unknown as Store,
      [fleetSlo('agent_coverage', 0.99)],
      new ManualClock(Start),
    );
    const g = (await engine.evaluate()).slos[0]!.groups[0]!;
    // The first sample is of the current minute: running 0 counts no events.
    expect(g.sliRatio).toBeNull();
    expect(g.budget).toEqual({ allowedErrors: 0, errors: 0, remaining: null, note: 'no events' });
  });
});
