// The generated PromQL decides like the engine (shared/slo/sparse-rule.ts). Random fleets, each an
// AMI version of its own, boot with a different failure rate in each segment between the tier
// window edges (3d, 1d, 6h, 2h, 1h, 30m, 5m before the evaluation), so that every window of every
// tier sees its own counts. (Prometheus 2.x range selectors include both ends: with samples on the
// edges, increase() is the exact difference.) promtool evaluates the committed rules over them; the alerts firing
// must be exactly the (version, tier) pairs for which alertDecision() fires on the same counts.
// Then over time: minute by minute for two hours of sparse boots, the alerts firing in
// Prometheus (keep_firing_for) must be exactly those the collector's AlertTracker fires (its
// hysteresis) on the engine's decisions.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { tierWindow } from '../../alerts/recording-rules.js';
import { tierEvidenceWindow } from '../../alerts/rule-windows.js';
import { defaultSlos } from '../../shared/slo/defaults.js';
import { AlertTracker } from '../../collector/slo/alert-tracker.js';
import {
  sloStatusHead,
  type GroupStatus,
  type SloReport,
  type TierStatus,
} from '../../collector/slo/report.js';
import { formatDuration } from '../../shared/duration.js';
import {
  alertDecision,
  wilsonLowerBound,
  type AlertDecision,
} from '../../shared/slo/sparse-rule.js';
import { required, tool } from './tools.js';

const rules = fileURLToPath(new URL('../../alerts/generated/bootwatch-rules.yml', import.meta.url));
const slo = defaultSlos()[0]!; // boot-success, 99.9%, the four default tiers
const promtool = tool(['promtool'], 'prometheus');

const MinuteMs = 60_000;
/** Segment edges in minutes before the evaluation, oldest first. */
const Edges = [4320, 1440, 360, 120, 60, 30, 5, 0];
const StepMinutes = 5;

interface Segment {
  events: number;
  errors: number;
}

const segment = fc
  .tuple(
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 9, max: 400 })),
    fc.oneof(
      fc.constant(0),
      fc.double({ min: 0, max: 0.05, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    ),
  )
  .map(([events, p]): Segment => ({ events, errors: Math.round(events * p) }));

const fleet = fc.array(segment, { minLength: Edges.length - 1, maxLength: Edges.length - 1 });

/** Counts of the window reaching `minutes` back: the segments inside it. */
function counts(segments: Segment[], minutes: number): Segment {
  let events = 0;
  let errors = 0;
  segments.forEach((s, i) => {
    if ((Edges[i] ?? 0) <= minutes) {
      events += s.events;
      errors += s.errors;
    }
  });
  return { events, errors };
}

/**
 * The counter as promtool input: flat through each segment, up by the segment's whole amount at
 * its last step, so that every value is an integer (fractional steps would round and, a hair
 * lower than the step before, read as a counter reset). `vxN` runs: v repeated N + 1 times.
 */
function seriesValues(amounts: number[]): string {
  const values = [0];
  amounts.forEach((amount, i) => {
    const steps = ((Edges[i] ?? 0) - (Edges[i + 1] ?? 0)) / StepMinutes;
    const before = values[values.length - 1] ?? 0;
    for (let k = 1; k <= steps; k++) values.push(k === steps ? before + amount : before);
  });
  const runs: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (values[j + 1] === values[i]) j++;
    runs.push(j === i ? `${values[i]}` : `${values[i]}x${j - i}`);
    i = j + 1;
  }
  return runs.join(' ');
}

/** What the engine decides for one tier over these segments. */
function decide(segments: Segment[], t: (typeof slo.tiers)[number]) {
  return alertDecision({
    factor: t.factor,
    objective: slo.objective,
    long: counts(segments, t.longWindowMs / MinuteMs),
    short: counts(segments, t.shortWindowMs / MinuteMs),
    evidence: counts(segments, tierEvidenceWindow(slo, t) / MinuteMs),
    z: slo.sparse?.z,
  });
}

/** Near a threshold, float rounding of increase() could decide either way: not a fair case. */
function borderline(segments: Segment[]): boolean {
  return slo.tiers.some((t) => {
    const d = decide(segments, t);
    const near = (x: number | null) =>
      x !== null && Math.abs(x - d.thresholdRatio) <= 1e-9 * d.thresholdRatio;
    const long = counts(segments, t.longWindowMs / MinuteMs);
    return (
      near(d.longRatio) || near(d.shortRatio) || near(d.wilsonLower) || long.events === d.minEvents
    );
  });
}

const work = mkdtempSync(join(tmpdir(), 'bw-agreement-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(promtool.skip)('rules and engine agree', () => {
  it('on which tiers fire, for random fleets dense and sparse', { timeout: 60_000 }, () => {
    const fleets = fc
      .sample(fleet, { numRuns: 120, seed: 20240601 })
      .filter((f) => !borderline(f))
      .slice(0, 60);
    const series: { series: string; values: string }[] = [];
    const expected: string[] = [];
    let viaWilson = 0;
    fleets.forEach((segments, i) => {
      const version = `case-${String(i).padStart(2, '0')}`;
      const labels = (outcome: string) =>
        `bootwatch_boots_total{ami_version="${version}", outcome="${outcome}"}`;
      series.push({
        series: labels('success'),
        values: seriesValues(segments.map((s) => s.events - s.errors)),
      });
      series.push({
        series: labels('failure'),
        values: seriesValues(segments.map((s) => s.errors)),
      });
      for (const t of slo.tiers) {
        const d = decide(segments, t);
        if (!d.firing) continue;
        if (d.trust === 'confidence') viaWilson += 1;
        expected.push(
          `ALERTS{alertname="BootwatchErrorBudgetBurn", alertstate="firing", ami_version="${version}", ` +
            `severity="${t.severity}", slo="${slo.name}", window="${tierWindow(t)}"}`,
        );
      }
    });
    // The sample must exercise every branch, or agreement would prove little.
    expect(fleets.length).toBeGreaterThanOrEqual(50);
    expect(expected.length).toBeGreaterThan(20);
    expect(expected.length).toBeLessThan(fleets.length * slo.tiers.length - 20);
    expect(viaWilson).toBeGreaterThan(3);
    expect(wilsonLowerBound(1, 31, 3)).toBeLessThan(0.0144); // the sparse case the tests rely on

    const output = promtoolTest('agreement.test.yml', '3d', {
      interval: `${StepMinutes}m`,
      input_series: series,
      promql_expr_test: [
        {
          expr: `ALERTS{alertname="BootwatchErrorBudgetBurn", alertstate="firing", slo="${slo.name}"}`,
          eval_time: '3d',
          exp_samples: expected.map((labels) => ({ labels, value: 1 })),
        },
      ],
    });
    expect(output).toContain('SUCCESS');
  });

  it(
    'on when alerts fire and resolve, minute by minute: the same hysteresis',
    { timeout: 180_000 },
    () => {
      const fleets = fc.sample(timelineFleet, { numRuns: TimelineVersions, seed: 20261203 });
      const tracker = new AlertTracker();
      const tests: object[] = [];
      let resolutions = 0;
      let kept = 0;
      for (let t = 1; t <= TimelineMinutes; t++) {
        const decisions = fleets.map((fleet) =>
          slo.tiers.map((tier) => {
            const window = (ms: number) => countsBefore(fleet, t, ms / MinuteMs);
            return alertDecision({
              factor: tier.factor,
              objective: slo.objective,
              long: window(tier.longWindowMs),
              short: window(tier.shortWindowMs),
              evidence: window(tierEvidenceWindow(slo, tier)),
              z: slo.sparse?.z,
            });
          }),
        );
        const changes = tracker.update(reportAt(t * MinuteMs, decisions));
        resolutions += changes.resolved.length;
        kept += changes.firing.length - decisions.flat().filter((d) => d.firing).length;
        tests.push({
          expr: `ALERTS{alertname="BootwatchErrorBudgetBurn", alertstate="firing", slo="${slo.name}"}`,
          eval_time: `${t}m`,
          exp_samples: changes.firing.map((a) => ({ labels: alertsSeries(a.labels), value: 1 })),
        });
      }
      // Alerts fired, were kept through quiet minutes and resolved: every branch is exercised.
      console.log('kept', kept, 'resolutions', resolutions);
      expect(kept).toBeGreaterThan(10);
      expect(resolutions).toBeGreaterThan(5);

      const series = fleets.flatMap((fleet, i) => {
        const labels = (outcome: string) =>
          `bootwatch_boots_total{ami_version="${timelineVersion(i)}", outcome="${outcome}"}`;
        const cumulative = (pick: (m: Minute) => number) => {
          let n = 0;
          return [0, ...fleet.map((m) => (n += pick(m)))].join(' ');
        };
        return [
          { series: labels('success'), values: cumulative((m) => m.boots - m.failures) },
          { series: labels('failure'), values: cumulative((m) => m.failures) },
        ];
      });
      const output = promtoolTest('timeline.test.yml', '1m', {
        interval: '1m',
        input_series: series,
        promql_expr_test: tests,
      });
      expect(output).toContain('SUCCESS');
    },
  );
});

/** promtool test rules on one test group of the committed rules; its output. */
function promtoolTest(name: string, evaluationInterval: string, test: object): string {
  const file = join(work, name);
  writeFileSync(
    file,
    stringify({ rule_files: [rules], evaluation_interval: evaluationInterval, tests: [test] }),
  );
  const r = spawnSync(required(promtool, 'promtool', 'prometheus'), ['test', 'rules', file], {
    encoding: 'utf8',
    timeout: 150_000,
  });
  const failed = r.error ? `\npromtool: ${r.error.message}` : '';
  return `${r.stdout}${r.stderr}${failed}`;
}

// The timeline: versions booting for two hours, a minute at a time, sparse (most minutes have no
// boot), each failing at its own rate before and after a minute where it changes (a bad image,
// then a fix; or the reverse), so that pages fire, go quiet between failures and resolve.
const TimelineMinutes = 120;
const TimelineVersions = 6;

interface Minute {
  boots: number;
  failures: number;
}

const timelineFleet = fc
  .tuple(
    fc.integer({ min: 0, max: 100 }),
    fc.integer({ min: 0, max: 100 }),
    fc.integer({ min: 1, max: TimelineMinutes }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 99 })), {
      minLength: TimelineMinutes,
      maxLength: TimelineMinutes,
    }),
  )
  .map(([failBefore, failAfter, change, minutes]) =>
    minutes.map(([b, f], i): Minute => {
      const boots = b < 14 ? 0 : b < 18 ? 1 : 3;
      const failing = f < (i + 1 < change ? failBefore : failAfter);
      return { boots, failures: failing ? boots : 0 };
    }),
  );

function timelineVersion(i: number): string {
  return `timeline-${i}`;
}

/** Boots of minutes (t - w, t] (minute m is fleet[m - 1]), as increase() reads them. */
function countsBefore(fleet: Minute[], t: number, w: number): Segment {
  let events = 0;
  let errors = 0;
  for (let m = Math.max(1, t - w + 1); m <= t; m++) {
    events += fleet[m - 1]!.boots;
    errors += fleet[m - 1]!.failures;
  }
  return { events, errors };
}

/** A report as the engine makes one, from the tier decisions of each version. */
function reportAt(nowMs: number, decisions: AlertDecision[][]): SloReport {
  const groups: GroupStatus[] = decisions.map((tiers, i) => ({
    labels: { ami_version: timelineVersion(i) },
    sliRatio: null,
    budget: { allowedErrors: 0, errors: 0, remaining: null },
    windows: [],
    tiers: tiers.map((d, k): TierStatus => {
      const tier = slo.tiers[k]!;
      const { longRatio: _l, shortRatio: _s, ...decision } = d;
      return {
        ...decision,
        severity: tier.severity,
        longWindow: formatDuration(tier.longWindowMs),
        shortWindow: formatDuration(tier.shortWindowMs),
        evidenceWindow: formatDuration(tierEvidenceWindow(slo, tier)),
        factor: tier.factor,
        longBurnRate: null,
        shortBurnRate: null,
      };
    }),
    alert: tiers.some((d, k) => d.firing && slo.tiers[k]!.severity === 'page')
      ? 'page'
      : tiers.some((d) => d.firing)
        ? 'ticket'
        : 'none',
    lastEventAt: null,
  }));
  return {
    evaluatedAt: new Date(nowMs).toISOString(),
    evaluatedAtMs: nowMs,
    slos: [{ ...sloStatusHead(slo), groups }],
  };
}

/** The ALERTS series of an alert the tracker fires. */
function alertsSeries(labels: Record<string, string>): string {
  const all = { ...labels, alertstate: 'firing' };
  const text = Object.keys(all)
    .sort()
    .map((k) => `${k}="${all[k as keyof typeof all]}"`)
    .join(', ');
  return `ALERTS{${text}}`;
}
