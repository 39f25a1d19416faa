// The fleet plan: seeded, in time order, within the scenario, with identities that do not collide
// and fates that agree with the scenario's failure shares and deadline.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amiIdFor, bootIdFor, planFleet, tallyPlan } from '../../simulator/fleet-plan.js';
import { logNormal, seededRandom } from '../../simulator/random.js';
import { parseScenario } from '../../simulator/scenario.js';
import type { Scenario } from '../../simulator/scenario-schema.js';

const StartMs = Date.parse('2026-11-01T00:00:00Z');

function scenario(
  over: { seed?: number; perHour?: number; failures?: string; deadline?: string } = {},
): Scenario {
  return parseScenario(
    `
name: plan
seed: ${over.seed ?? 1}
duration: 1d
deadline: ${over.deadline ?? '600s'}
fleet:
  regions: { eu-west-1: [eu-west-1a, eu-west-1b], us-east-1: [us-east-1a] }
images:
  - version: good
    boot_time: { median: 60s, p95: 90s }
  - version: bad
    boot_time: { median: 90s, p95: 300s }
    failures: ${over.failures ?? '{ cloud_init_error: 0.2, probe_timeout: 0.1, no_report: 0.1 }'}
traffic:
  - per_hour: ${over.perHour ?? 20}
    to: 12h
    versions: { good: 1 }
  - per_hour: ${over.perHour ?? 20}
    from: 12h
    versions: { good: 1, bad: 1 }
  - at: 18h
    burst: 30
    within: 10m
    versions: { bad: 1 }
`,
    'plan.yaml',
  );
}

const options = { startMs: StartMs, salt: '0badc0de', probeLeadMs: 150 };

describe('planFleet', () => {
  it('is the same for the same seed, and another for another seed', () => {
    expect(planFleet(scenario(), options)).toEqual(planFleet(scenario(), options));
    expect(planFleet(scenario({ seed: 2 }), options)).not.toEqual(planFleet(scenario(), options));
  });

  it('holds its invariants for any seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const s = scenario({ seed });
        const plans = planFleet(s, options);
        const ids = new Set(plans.map((p) => p.instanceId));
        expect(ids.size).toBe(plans.length);
        plans.forEach((p, i) => {
          expect(p.index).toBe(i);
          expect(p.instanceId).toMatch(/^i-0badc0de[0-9a-f]{9}$/);
          expect(p.launchMs % 1000).toBe(0);
          expect(p.launchMs).toBeGreaterThanOrEqual(StartMs);
          expect(p.launchMs).toBeLessThan(StartMs + s.durationMs);
          if (i > 0) expect(p.launchMs).toBeGreaterThanOrEqual(plans[i - 1]!.launchMs);
          expect(p.amiId).toBe(amiIdFor(p.version, p.region));
          expect(p.zone.startsWith(p.region)).toBe(true);
          expect(p.bootSeconds).toBeGreaterThanOrEqual(10);
          if (p.outcome === 'no_report') {
            expect(p.reportAtMs).toBeNull();
            expect(p.reportedSeconds).toBeNull();
          } else if (p.outcome === 'probe_timeout') {
            expect(p.reportedSeconds).toBe(600);
            expect(p.reportAtMs).toBe(p.launchMs + 600_000 - 150);
          } else {
            expect(p.reportAtMs).toBe(p.launchMs + Math.round(p.reportedSeconds! * 1000));
            expect(p.reportedSeconds!).toBeLessThanOrEqual(p.bootSeconds);
          }
          if (p.outcome === 'success') expect(p.bootSeconds).toBeLessThan(600);
          // The good image fails only when it is slower than the deadline.
          if (p.version === 'good' && p.outcome !== 'success')
            expect(p.outcome).toBe('probe_timeout');
        });
      }),
      { numRuns: 25 },
    );
  });

  it('puts the burst where the scenario says, evenly spread', () => {
    const burst = planFleet(scenario(), options).filter((p) => p.traffic === 'traffic-3');
    expect(burst).toHaveLength(30);
    expect(burst.map((p) => p.launchMs)).toEqual(
      Array.from({ length: 30 }, (_, k) => StartMs + 18 * 3_600_000 + k * 20_000),
    );
    expect(new Set(burst.map((p) => p.version))).toEqual(new Set(['bad']));
  });

  it('launches about per_hour and fails about as often as the failure shares say', () => {
    // 2000 launches an hour for 24 hours: shares within a few points of what was asked.
    const plans = planFleet(scenario({ perHour: 2000 }), options);
    expect(plans.length).toBeGreaterThan(2000 * 24 * 0.97);
    expect(plans.length).toBeLessThan(2000 * 24 * 1.03 + 30);
    const bad = tallyPlan(plans).get('bad')!;
    const total = Object.values(bad).reduce((a, b) => a + b, 0);
    expect(bad.cloud_init_error / total).toBeCloseTo(0.2, 1);
    expect(bad.no_report / total).toBeCloseTo(0.1, 1);
    // probe_timeout: its 10% share plus the successes slower than the deadline.
    expect(bad.probe_timeout / total).toBeGreaterThan(0.09);
    expect(bad.probe_timeout / total).toBeLessThan(0.2);
  });

  it('a boot slower than the deadline is a probe_timeout, as the agent will judge it', () => {
    const plans = planFleet(scenario({ failures: '{}', deadline: '60s' }), options);
    for (const p of plans)
      expect(p.outcome).toBe(p.bootSeconds >= 60 ? 'probe_timeout' : 'success');
    expect(plans.some((p) => p.outcome === 'probe_timeout')).toBe(true);
  });

  it('boot ids look like the kernel writes them and are stable per instance', () => {
    expect(bootIdFor('i-0123')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(bootIdFor('i-0123')).toBe(bootIdFor('i-0123'));
    expect(bootIdFor('i-0124')).not.toBe(bootIdFor('i-0123'));
  });
});

describe('logNormal', () => {
  it('has the median and 95th percentile it was given', () => {
    const random = seededRandom(99);
    const xs = Array.from({ length: 20_000 }, () => logNormal(random, 60, 120)).sort(
      (a, b) => a - b,
    );
    expect(xs[Math.floor(xs.length * 0.5)]!).toBeCloseTo(60, -0.5);
    expect(xs[Math.floor(xs.length * 0.95)]!).toBeGreaterThan(114);
    expect(xs[Math.floor(xs.length * 0.95)]!).toBeLessThan(126);
  });
});
