// Tier factors, budget arithmetic and the sparse-traffic rule: exact values and properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budgetRatio, budgetRemaining, burnRate, errorRatio } from '../../../shared/slo/budget.js';
import {
  alertDecision,
  minEventsForClassic,
  shouldAlert,
  tierThresholdRatio,
  wilsonLowerBound,
} from '../../../shared/slo/sparse-rule.js';
import { burnFactor, defaultTiers, windowsInUse } from '../../../shared/slo/tiers.js';
import { formatDuration } from '../../../shared/duration.js';

const HourMs = 3_600_000;
const DayMs = 86_400_000;
const objectives = fc.constantFrom(0.999, 0.9995, 0.995, 0.99, 0.95, 0.9);

describe('tiers', () => {
  it('derive their factors from the budget they may consume and the SLO window', () => {
    expect(defaultTiers(30 * DayMs).map((t) => t.factor)).toEqual([14.4, 6, 3, 1]);
    expect(burnFactor(0.02, 28 * DayMs, HourMs)).toBe(13.44);
    expect(burnFactor(0.02, 7 * DayMs, HourMs)).toBe(3.36);
    expect(burnFactor(0.05, 7 * DayMs, 6 * HourMs)).toBe(1.4);
  });

  it('use the windows 5m, 30m, 1h, 2h, 6h, 1d, 3d and the SLO window', () => {
    expect(windowsInUse(defaultTiers(30 * DayMs), 30 * DayMs).map(formatDuration)).toEqual([
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
      '30d',
    ]);
  });
});

describe('budget arithmetic', () => {
  it('budget remaining = 1 - errors / allowed errors', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.nat(),
        objectives,
        (events, e, objective) => {
          const errors = e % (events + 1);
          const allowed = (1 - objective) * events;
          expect(budgetRemaining({ events, errors }, objective)!).toBeCloseTo(
            1 - errors / allowed,
            9,
          );
        },
      ),
    );
    expect(budgetRemaining({ events: 20_000, errors: 5 }, 0.999)).toBe(0.75);
    expect(budgetRemaining({ events: 20_000, errors: 40 }, 0.999)).toBe(-1);
  });

  it('a constant error ratio e burns at e / (1 - objective)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        objectives,
        (k, n, objective) => {
          const events = n * k;
          const errors = Math.min(events, k);
          const e = errors / events;
          expect(burnRate({ events, errors }, objective)!).toBeCloseTo(e / (1 - objective), 9);
        },
      ),
    );
    expect(burnRate({ events: 1000, errors: 3 }, 0.999)).toBe(3);
  });

  it('answers null, never NaN, for an empty window', () => {
    expect(errorRatio({ events: 0, errors: 0 })).toBeNull();
    expect(burnRate({ events: 0, errors: 0 }, 0.999)).toBeNull();
    expect(budgetRemaining({ events: 0, errors: 0 }, 0.999)).toBeNull();
    expect(budgetRatio(0.999)).toBe(0.001);
  });
});

describe('the sparse-traffic rule', () => {
  it('computes the Wilson lower bound (worked examples)', () => {
    expect(wilsonLowerBound(2, 10, 3)).toBeCloseTo(0.0614 / 1.9, 3);
    expect(wilsonLowerBound(1, 1, 3)).toBeCloseTo(0.1, 12); // 1 / (1 + z²)
    expect(wilsonLowerBound(0, 50, 3)).toBe(0);
    expect(wilsonLowerBound(0, 0, 3)).toBe(0);
  });

  it('keeps the Wilson bound below the observed ratio and rising with errors', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.nat(),
        fc.double({ min: 0.5, max: 5, noNaN: true }),
        (n, e, z) => {
          const errors = e % n;
          const lower = wilsonLowerBound(errors, n, z);
          expect(lower).toBeGreaterThanOrEqual(0);
          expect(lower).toBeLessThanOrEqual(errors / n + 1e-12);
          expect(wilsonLowerBound(errors + 1, n, z)).toBeGreaterThanOrEqual(lower);
        },
      ),
    );
  });

  it('needs ceil(1/r) events before one error stops exceeding r', () => {
    expect(tierThresholdRatio(14.4, 0.999)).toBeCloseTo(0.0144, 15);
    expect(minEventsForClassic(tierThresholdRatio(14.4, 0.999))).toBe(70);
    expect(minEventsForClassic(tierThresholdRatio(6, 0.999))).toBe(167);
    expect(minEventsForClassic(tierThresholdRatio(3, 0.999))).toBe(334);
    expect(minEventsForClassic(tierThresholdRatio(1, 0.999))).toBe(1000);
    expect(minEventsForClassic(1.5)).toBe(1);
    fc.assert(
      fc.property(fc.double({ min: 1e-5, max: 1, noNaN: true }), (r) => {
        const n = minEventsForClassic(r);
        expect(1 / n).toBeLessThanOrEqual(r * (1 + 1e-9));
        if (n > 1) expect(1 / (n - 1)).toBeGreaterThan(r * (1 - 1e-9));
      }),
    );
  });

  it('is the classic rule once the long window holds n_min events', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(14.4, 6, 3, 1),
        objectives,
        fc.integer({ min: 0, max: 5000 }),
        fc.nat(),
        fc.integer({ min: 1, max: 500 }),
        fc.nat(),
        fc.nat(5000),
        (factor, objective, extra, e, shortEvents, se, older) => {
          const r = tierThresholdRatio(factor, objective);
          const events = minEventsForClassic(r) + extra;
          const long = { events, errors: e % (events + 1) };
          const short = { events: shortEvents, errors: se % (shortEvents + 1) };
          // The evidence window holds the long window and `older` good boots before it.
          const evidence = { events: events + older, errors: long.errors };
          const classic = long.errors / long.events > r && short.errors / short.events > r;
          expect(shouldAlert({ factor, objective, long, short, evidence })).toBe(classic);
        },
      ),
    );
  });

  it('never fires without the classic condition, nor on one error among a handful of boots', () => {
    fc.assert(
      fc.property(
        fc.nat(200),
        fc.nat(),
        fc.nat(50),
        fc.nat(),
        objectives,
        fc.nat(500),
        fc.nat(),
        (n, e, sn, se, objective, older, oe) => {
          const long = { events: n, errors: n === 0 ? 0 : e % (n + 1) };
          const short = { events: sn, errors: sn === 0 ? 0 : se % (sn + 1) };
          const evidence = { events: n + older, errors: long.errors + (oe % (older + 1)) };
          const d = alertDecision({ factor: 14.4, objective, long, short, evidence });
          if (d.firing) expect(d.classic).toBe(true);
        },
      ),
    );
    // 99.9%, 1h/5m page tier, a new version (its evidence window holds these 10 boots only):
    // 1 failure in 10 boots is a 10% ratio, 7x above r = 1.44%, but the Wilson lower bound
    // (0.92%) is below r: no page. A second failure raises it to 3.2%: page.
    const newVersion = (errors: number) => ({
      factor: 14.4,
      objective: 0.999,
      long: { events: 10, errors },
      short: { events: 1, errors: 1 },
      evidence: { events: 10, errors },
    });
    const quiet = alertDecision(newVersion(1));
    expect(quiet).toMatchObject({ classic: true, trust: 'none', firing: false, minEvents: 70 });
    const loud = alertDecision(newVersion(2));
    expect(loud).toMatchObject({ classic: true, trust: 'confidence', firing: true });
  });

  it('judges the evidence over the evidence window, not the long window', () => {
    // The same hour (2 failures in 10 boots) after a day of good boots (240 in the day, 2 bad):
    // the Wilson bound of 2/240 is 0.13%, below r = 1.44%: no page. Six failures in the day
    // (6/240: 0.79%) still do not page; twelve (12/240: 2.18%) do.
    const afterGoodDay = (dayErrors: number) =>
      alertDecision({
        factor: 14.4,
        objective: 0.999,
        long: { events: 10, errors: 2 },
        short: { events: 1, errors: 1 },
        evidence: { events: 240, errors: dayErrors },
      });
    expect(afterGoodDay(2)).toMatchObject({ classic: true, trust: 'none', firing: false });
    expect(afterGoodDay(2).wilsonLower).toBeCloseTo(wilsonLowerBound(2, 240, 3), 12);
    expect(afterGoodDay(6).firing).toBe(false);
    expect(afterGoodDay(12)).toMatchObject({ trust: 'confidence', firing: true });
  });
});
