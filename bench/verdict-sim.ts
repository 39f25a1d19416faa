// The rollout verdict under repeated looks, over many seeds: a 2-hour canary polled every
// simulated minute (120 looks), boots arriving on both sides as Poisson processes, times to ready
// log-normal (median 75 s, p95 120 s, in whole ms), each side's sorted sample kept by insertion
// as the collector will. The pipeline acts on the first `rollback`. The SLO engine's own figures
// (page alerts, budget) are held neutral: this measures the statistical tests, which the SLO
// engine's tests do not cover.
//
// The four rows are issue 12's acceptance (the test in test/collector/rollouts/ runs them at 500
// seeds). Run alone: npx tsx bench/verdict-sim.ts [seeds]   (default 2,000)
import { pathToFileURL } from 'node:url';
import { resolvePolicy, type PolicyOverrides } from '../collector/rollouts/policy.js';
import { SortedSample } from '../collector/rollouts/sorted-sample.js';
import { computeVerdict } from '../collector/rollouts/verdict.js';
import type { VerdictState } from '../collector/rollouts/verdict-model.js';
import { exponential, logNormal, seededRandom, type Random } from '../simulator/random.js';

export interface CanaryScenario {
  name: string;
  /** Expected boots per side over the whole canary. */
  bootsPerSide: number;
  candidateFailureRatio: number;
  baselineFailureRatio: number;
  /** Added to every candidate time to ready, ms. */
  candidateSlowerMs: number;
  /** The boot-success SLO's allowed failure ratio; 0.001 (99.9%) unless given. */
  allowedErrorRatio?: number;
  policy?: PolicyOverrides;
  /** What the acceptance asks: at most `share` rolled back, or at least (none: measured only). */
  expect?: { rollback: 'at most' | 'at least'; share: number };
}

export const AcceptanceScenarios: readonly CanaryScenario[] = [
  {
    name: 'same version quality (0.1% failures, same time to ready), 200 boots per side',
    bootsPerSide: 200,
    candidateFailureRatio: 0.001,
    baselineFailureRatio: 0.001,
    candidateSlowerMs: 0,
    expect: { rollback: 'at most', share: 0.02 },
  },
  {
    name: 'candidate 5% failures against 0.1%, 200 boots per side',
    bootsPerSide: 200,
    candidateFailureRatio: 0.05,
    baselineFailureRatio: 0.001,
    candidateSlowerMs: 0,
    expect: { rollback: 'at least', share: 0.95 },
  },
  {
    name: 'candidate ready 60 s later, 40 boots per side',
    bootsPerSide: 40,
    candidateFailureRatio: 0.001,
    baselineFailureRatio: 0.001,
    candidateSlowerMs: 60_000,
    expect: { rollback: 'at least', share: 0.95 },
  },
  {
    name: 'candidate ready 2 s later, 40 boots per side',
    bootsPerSide: 40,
    candidateFailureRatio: 0.001,
    baselineFailureRatio: 0.001,
    candidateSlowerMs: 2_000,
    expect: { rollback: 'at most', share: 0.05 },
  },
];

/**
 * Beyond the acceptance: where the union bound is least conservative, and what fixed-level tests
 * at every look would do there.
 */
export const ValidityScenarios: readonly CanaryScenario[] = [
  {
    name: 'same quality, no time-to-ready tolerance (a bare one-sided Mann-Whitney), 200 boots per side',
    bootsPerSide: 200,
    candidateFailureRatio: 0.001,
    baselineFailureRatio: 0.001,
    candidateSlowerMs: 0,
    policy: { readyToleranceMs: 0, readyToleranceRatio: 0 },
    expect: { rollback: 'at most', share: 0.02 },
  },
  {
    name: "same quality at the SLO's edge: both fail 2%, the SLO allows 2%, 500 boots per side",
    bootsPerSide: 500,
    candidateFailureRatio: 0.02,
    baselineFailureRatio: 0.02,
    candidateSlowerMs: 0,
    allowedErrorRatio: 0.02,
    expect: { rollback: 'at most', share: 0.02 },
  },
  {
    name: 'a regional incident: both fail 5%, the SLO allows 0.1%, 200 boots per side',
    bootsPerSide: 200,
    candidateFailureRatio: 0.05,
    baselineFailureRatio: 0.05,
    candidateSlowerMs: 0,
  },
];

const CanaryMinutes = 120;
const ReadyMedianMs = 75_000;
const ReadyP95Ms = 120_000;
const Start = Date.UTC(2025, 5, 2, 9, 0, 0);

export interface CanaryRun {
  /** Minute of the first rollback, or null. */
  rollbackMinute: number | null;
  /** The checks that decided it. */
  rollbackBy: string[];
  /** The verdict at the end of the canary, when not rolled back. */
  final: 'promote' | 'hold' | 'rollback';
  /**
   * Whether the same tests, each run anew at its full alpha at every look (no spending), would
   * have rolled back by the end: what polling does to a fixed-level test.
   */
  naiveRollback: boolean;
}

/** Boots arriving in one minute, from a Poisson process's next arrival time. */
class Arrivals {
  private nextMs: number;
  constructor(
    private readonly ratePerMs: number,
    private readonly random: Random,
  ) {
    this.nextMs = exponential(random, ratePerMs);
  }
  /** How many arrive before `untilMs`. */
  until(untilMs: number): number {
    let count = 0;
    for (; this.nextMs < untilMs; count += 1) {
      this.nextMs += exponential(this.random, this.ratePerMs);
    }
    return count;
  }
}

interface Side {
  successes: number;
  failures: number;
  ready: SortedSample;
}

function arrive(side: Side, count: number, failureRatio: number, slowerMs: number, random: Random) {
  for (let i = 0; i < count; i += 1) {
    if (random() < failureRatio) {
      side.failures += 1;
    } else {
      side.successes += 1;
      side.ready.insert(Math.round(logNormal(random, ReadyMedianMs, ReadyP95Ms)) + slowerMs);
    }
  }
}

/** One canary: looks every minute until the first rollback or the end. */
export function runCanary(
  scenario: CanaryScenario,
  seed: number,
  overrides: PolicyOverrides = {},
  /** Look to the end even after a rollback (to see what fixed-level tests would do). */
  keepLooking = false,
): CanaryRun {
  const policy = resolvePolicy({
    canaryDurationMs: CanaryMinutes * 60_000,
    ...scenario.policy,
    ...overrides,
  });
  const random = seededRandom(seed);
  const candidate: Side = { successes: 0, failures: 0, ready: new SortedSample() };
  const baseline: Side = { successes: 0, failures: 0, ready: new SortedSample() };
  const ratePerMs = scenario.bootsPerSide / (CanaryMinutes * 60_000);
  const candidateArrivals = new Arrivals(ratePerMs, random);
  const baselineArrivals = new Arrivals(ratePerMs, random);
  let state: VerdictState | null = null;
  let final: CanaryRun['final'] = 'hold';
  let naiveRollback = false;
  for (let minute = 1; minute <= CanaryMinutes; minute += 1) {
    arrive(
      candidate,
      candidateArrivals.until(minute * 60_000),
      scenario.candidateFailureRatio,
      scenario.candidateSlowerMs,
      random,
    );
    arrive(
      baseline,
      baselineArrivals.until(minute * 60_000),
      scenario.baselineFailureRatio,
      0,
      random,
    );
    const result = computeVerdict({
      candidate: {
        successes: candidate.successes,
        failures: candidate.failures,
        readyMs: candidate.ready.view(),
      },
      baseline: {
        successes: baseline.successes,
        failures: baseline.failures,
        readyMs: baseline.ready.view(),
      },
      slo: {
        allowedErrorRatio: scenario.allowedErrorRatio ?? 0.001,
        pageAlertFiring: false,
        budgetRemaining: null,
      },
      policy,
      startedAtMs: Start,
      nowMs: Start + minute * 60_000,
      state,
    });
    state = result.state;
    final = result.verdict;
    naiveRollback ||= result.checks.some(
      (c) =>
        c.sequential !== undefined &&
        c.sequential.conditionMet &&
        c.sequential.p <= c.sequential.alpha,
    );
    if (result.verdict === 'rollback' && !keepLooking) {
      return {
        rollbackMinute: minute,
        rollbackBy: result.state.rollback!.checks,
        final,
        naiveRollback,
      };
    }
  }
  const rollback = state?.rollback ?? null;
  return {
    rollbackMinute: rollback === null ? null : (rollback.atMs - Start) / 60_000,
    rollbackBy: rollback?.checks ?? [],
    final,
    naiveRollback,
  };
}

export interface ScenarioRow {
  scenario: CanaryScenario;
  seeds: number;
  rolledBack: number;
  promoted: number;
  /** Runs that fixed-level tests at every look would have rolled back (null: not measured). */
  naiveRolledBack: number | null;
  /** Median minute of the rollback among the runs rolled back. */
  medianRollbackMinute: number | null;
  /** How many rollbacks each check decided (a run may count for several). */
  by: Record<string, number>;
}

export function simulateScenario(
  scenario: CanaryScenario,
  seeds: number,
  firstSeed = 1,
  overrides: PolicyOverrides = {},
  measureNaive = false,
): ScenarioRow {
  let naive = 0;
  let rolledBack = 0;
  let promoted = 0;
  const minutes: number[] = [];
  const by: Record<string, number> = {};
  for (let s = firstSeed; s < firstSeed + seeds; s += 1) {
    const run = runCanary(scenario, s, overrides, measureNaive);
    if (run.naiveRollback) naive += 1;
    if (run.rollbackMinute !== null) {
      rolledBack += 1;
      minutes.push(run.rollbackMinute);
      for (const name of run.rollbackBy) by[name] = (by[name] ?? 0) + 1;
    } else if (run.final === 'promote') {
      promoted += 1;
    }
  }
  minutes.sort((a, b) => a - b);
  return {
    scenario,
    seeds,
    rolledBack,
    promoted,
    naiveRolledBack: measureNaive ? naive : null,
    medianRollbackMinute: minutes.length ? minutes[Math.floor(minutes.length / 2)]! : null,
    by,
  };
}

export function formatVerdictSim(rows: readonly ScenarioRow[]): string[] {
  const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)}%`;
  return [
    `## Rollout verdicts over ${rows[0]?.seeds ?? 0} seeds: a 2-hour canary polled every minute`,
    '',
    '| scenario | acceptance | rolled back | promoted at the end | median minute of rollback | decided by | fixed-level tests at every look |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const e = r.scenario.expect;
      const asked = e === undefined ? '-' : `rollback ${e.rollback} ${e.share * 100}%`;
      const by = Object.entries(r.by)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      return `| ${r.scenario.name} | ${asked} | ${r.rolledBack} / ${r.seeds} (${pct(r.rolledBack, r.seeds)}) | ${pct(r.promoted, r.seeds)} | ${r.medianRollbackMinute ?? '-'} | ${by || '-'} | ${r.naiveRolledBack === null ? '-' : pct(r.naiveRolledBack, r.seeds)} |`;
    }),
    '',
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seeds = Number(process.argv[2] ?? 2_000);
  const spending = process.argv[3] === 'obrien-fleming' ? 'obrien-fleming' : 'pocock';
  const rows = [...AcceptanceScenarios, ...ValidityScenarios].map((s) =>
    simulateScenario(s, seeds, 1, { spending }, true),
  );
  console.log(formatVerdictSim(rows).join('\n'));
}
