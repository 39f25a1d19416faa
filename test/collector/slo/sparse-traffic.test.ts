// The sparse-traffic rule against simulated fleets, through the store's ingest path (upsertBoot
// and its rollups) and the engine on a ManualClock (DESIGN.md: "measured against simulated
// incidents"). The default boot-success SLO: 99.9% over 30 days by AMI version, default tiers, z 3.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import { tierThresholdRatio } from '../../../shared/slo/sparse-rule.js';
import { seededRandom } from '../../../simulator/random.js';
import type { SloReport } from '../../../collector/slo/report.js';
import type { Store } from '../../../collector/store/store.js';
import type { BootReport } from '../../../shared/boot-report.js';
import {
  bootAt,
  DayMs,
  HourMs,
  ingest,
  manualEngine,
  memoryStore,
  MinuteMs,
  Start,
} from './support.js';

const bootSuccess = defaultSlos()[0]!;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** One boot every `everyMs` from `fromMs` for `count` boots; failures decided by `fails(i)`. */
function steadyBoots(
  version: string,
  fromMs: number,
  everyMs: number,
  count: number,
  fails: (i: number) => boolean,
): BootReport[] {
  return Array.from({ length: count }, (_, i) =>
    bootAt({
      amiVersion: version,
      outcomeAtMs: fromMs + i * everyMs,
      outcome: fails(i) ? 'failure' : 'success',
    }),
  );
}

function groupOf(report: SloReport, version: string) {
  return report.slos[0]!.groups.find((g) => g.labels.ami_version === version);
}

describe('sparse boots: 10 an hour', () => {
  it('a good AMI (0.1% failures) does not page in 30 simulated days', async () => {
    store = await memoryStore();
    const random = seededRandom(20250301);
    // An Auto Scaling group replacing one instance every 6 minutes, offset 20 s into the minute.
    const boots = steadyBoots(
      '2025.03.0',
      Start + 20_000,
      6 * MinuteMs,
      30 * 24 * 10,
      () => random() < 0.001,
    );
    await ingest(store, boots);
    const failures = boots
      .filter((b) => b.outcome === 'failure')
      .map((b) => Date.parse(b.launchedAt) + 600_000);
    // Not vacuous: the month holds failures for the rule to stay quiet about.
    expect(failures.length).toBeGreaterThanOrEqual(3);

    const clock = new ManualClock(Start);
    const engine = manualEngine(store, [bootSuccess], clock);
    // A page tier fires only while its short window (5m or 30m) holds an error, so every minute
    // within 30 minutes after each failure is every moment a page could start; on top of that, a
    // look at every hour.
    const moments = new Set<number>();
    for (let t = Start + HourMs; t <= Start + 30 * DayMs; t += HourMs) moments.add(t);
    for (const f of failures) {
      const minute = Math.floor(f / MinuteMs) * MinuteMs;
      for (let k = 0; k < 30; k += 1) moments.add(minute + k * MinuteMs + 30_000);
    }
    const pages: string[] = [];
    let last: SloReport | undefined;
    for (const t of [...moments].sort((a, b) => a - b)) {
      clock.set(t);
      last = await engine.evaluate();
      const g = groupOf(last, '2025.03.0');
      if (g?.alert === 'page') pages.push(new Date(t).toISOString());
    }
    expect(pages).toEqual([]);
    // The engine saw the whole month: the 30d window ending at minute 43,200 starts at minute 1,
    // so it holds every boot but the first (decided in minute 0).
    const month = groupOf(last!, '2025.03.0')!.windows.find((w) => w.window === '30d')!;
    expect(month.events).toBe(boots.length - 1);
    expect(month.errors).toBe(failures.length);
  });

  it('a bad AMI (20% failures) pages within 15 minutes of its first failure', async () => {
    store = await memoryStore();
    const random = seededRandom(2);
    const rollout = Start + 2 * DayMs;
    // Two days of the good version, then the new version replaces it at the same pace.
    await ingest(
      store,
      steadyBoots('2025.03.0', Start + 20_000, 6 * MinuteMs, 480, () => random() < 0.001),
    );
    const bad = steadyBoots('2025.03.1', rollout + 20_000, 6 * MinuteMs, 60, () => random() < 0.2);
    const firstFailureAt = Math.min(
      ...bad.filter((b) => b.outcome === 'failure').map((b) => Date.parse(b.launchedAt) + 600_000),
    );

    const clock = new ManualClock(rollout);
    const engine = manualEngine(store, [bootSuccess], clock);
    let pagedAt: number | null = null;
    let written = 0;
    // Live: every 30 s, the boots decided by then are ingested, then the engine evaluates.
    for (let t = rollout; t <= rollout + 6 * HourMs && pagedAt === null; t += 30_000) {
      clock.set(t);
      const due = bad.filter(
        (b, i) => i >= written && Date.parse(b.launchedAt) + b.timeToReadySeconds * 1000 <= t,
      );
      await ingest(store, due);
      written += due.length;
      const report = await engine.evaluate();
      expect(groupOf(report, '2025.03.0')?.alert ?? 'none').not.toBe('page');
      if (groupOf(report, '2025.03.1')?.alert === 'page') pagedAt = t;
    }
    expect(pagedAt).not.toBeNull();
    expect(pagedAt! - firstFailureAt).toBeGreaterThanOrEqual(0);
    expect(pagedAt! - firstFailureAt).toBeLessThanOrEqual(15 * MinuteMs);
  });
});

describe('the evidence window (1d by default)', () => {
  it('pages a new version on the hour that a version with a day of good boots shrugs off', async () => {
    store = await memoryStore();
    // The same last hour for both: 10 and 9 boots at the same times, failures at the same two.
    // 2025.03.0 has a day of good boots before it (240 in the last day); 2025.03.1 is new.
    const fails = (first: number) => (i: number) => i === first || i === first + 3;
    await ingest(store, [
      ...steadyBoots('2025.03.0', Start + 20_000, 6 * MinuteMs, 249, fails(245)),
      ...steadyBoots('2025.03.1', Start + 240 * 6 * MinuteMs + 20_000, 6 * MinuteMs, 9, fails(5)),
    ]);
    // One minute after the second failure: both are in the 5m window.
    const clock = new ManualClock(Start + 248 * 6 * MinuteMs + 80_000);
    const report = await manualEngine(store, [bootSuccess], clock).evaluate();

    const page = (version: string) =>
      groupOf(report, version)!.tiers.filter((t) => t.severity === 'page');
    for (const t of page('2025.03.0')) {
      // Classic says page (2 in 10 over 1h); the Wilson bound of 2 in the day's 240 says no.
      expect(t).toMatchObject({
        evidenceWindow: '1d',
        classic: true,
        trust: 'none',
        firing: false,
      });
    }
    expect(page('2025.03.1').map((t) => [t.evidenceWindow, t.trust, t.firing])).toEqual([
      ['1d', 'confidence', true],
      ['1d', 'confidence', true],
    ]);
    expect(groupOf(report, '2025.03.0')!.alert).not.toBe('page');
    expect(groupOf(report, '2025.03.1')!.alert).toBe('page');
  });
});

describe('dense boots: 1,000 an hour', () => {
  it('the classic thresholds decide: the sparse guard trusts every window by its event count', async () => {
    store = await memoryStore();
    // Four versions at 1,000 boots an hour for 7 hours, failures spread evenly at a fixed ratio.
    const ratios: Record<string, number> = { v16: 0.016, v08: 0.008, v04: 0.004, v005: 0.0005 };
    const boots = Object.entries(ratios).flatMap(([version, p]) =>
      steadyBoots(
        version,
        Start + 1_000,
        3_600,
        7 * 1_000,
        (i) => Math.floor((i + 1) * p) > Math.floor(i * p),
      ),
    );
    await ingest(store, boots);
    const clock = new ManualClock(Start + 7 * HourMs);
    const report = await manualEngine(store, [bootSuccess], clock).evaluate();

    const expected: Record<string, string> = {
      v16: 'page',
      v08: 'page',
      v04: 'ticket',
      v005: 'none',
    };
    for (const [version, level] of Object.entries(expected)) {
      const g = groupOf(report, version)!;
      expect(g.alert, version).toBe(level);
      for (const tier of g.tiers) {
        const long = g.windows.find((w) => w.window === tier.longWindow)!;
        const short = g.windows.find((w) => w.window === tier.shortWindow)!;
        const r = tierThresholdRatio(tier.factor, bootSuccess.objective);
        expect(tier.trust, `${version} ${tier.longWindow}`).toBe('events');
        expect(tier.firing).toBe(long.errorRatio! > r && short.errorRatio! > r);
      }
    }
  });
});
