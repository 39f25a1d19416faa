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
import { logNormal, seededRandom, type Random } from '../simulator/random.js';

export interface CanaryScenario {
  name: string;
  /** Expected boots per side over the whole canary. */
  bootsPerSide: number;
  candidateFailureRatio: number;
  baselineFailureRatio: number;
  /** Added to every candidate time to ready, ms. */
  candidateSlowerMs: number;
  /** What the acceptance asks: at most `share` rolled back, or at least. */
  expect: { rollback: 'at most' | 'at least'; share: number };
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
}

function poisson(mean: number, random: Random): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k += 1;
  return k;
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
): CanaryRun {
  const policy = resolvePolicy({ canaryDurationMs: CanaryMinutes * 60_000, ...overrides });
  const random = seededRandom(seed);
  const candidate: Side = { successes: 0, failures: 0, ready: new SortedSample() };
  const baseline: Side = { successes: 0, failures: 0, ready: new SortedSample() };
  const perMinute = scenario.bootsPerSide / CanaryMinutes;
  let state: VerdictState | null = null;
  let final: CanaryRun['final'] = 'hold';
  for (let minute = 1; minute <= CanaryMinutes; minute += 1) {
    arrive(
      candidate,
      poisson(perMinute, random),
      scenario.candidateFailureRatio,
      scenario.candidateSlowerMs,
      random,
    );
    arrive(baseline, poisson(perMinute, random), scenario.baselineFailureRatio, 0, random);
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
      slo: { allowedErrorRatio: 0.001, pageAlertFiring: false, budgetRemaining: null },
      policy,
      startedAtMs: Start,
      nowMs: Start + minute * 60_000,
      state,
    });
    state = result.state;
    final = result.verdict;
    if (result.verdict === 'rollback') {
      return { rollbackMinute: minute, rollbackBy: result.state.rollback!.checks, final };
    }
  }
  return { rollbackMinute: null, rollbackBy: [], final };
}

export interface ScenarioRow {
  scenario: CanaryScenario;
  seeds: number;
  rolledBack: number;
  promoted: number;
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
): ScenarioRow {
  let rolledBack = 0;
  let promoted = 0;
  const minutes: number[] = [];
  const by: Record<string, number> = {};
  for (let s = firstSeed; s < firstSeed + seeds; s += 1) {
    const run = runCanary(scenario, s, overrides);
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
    medianRollbackMinute: minutes.length ? minutes[Math.floor(minutes.length / 2)]! : null,
    by,
  };
}

export function formatVerdictSim(rows: readonly ScenarioRow[]): string[] {
  const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)}%`;
  return [
    `## Rollout verdicts over ${rows[0]?.seeds ?? 0} seeds: a 2-hour canary polled every minute`,
    '',
    '| scenario | acceptance | rolled back | promoted at the end | median minute of rollback | decided by |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const e = r.scenario.expect;
      const by = Object.entries(r.by)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      return `| ${r.scenario.name} | rollback ${e.rollback} ${e.share * 100}% | ${r.rolledBack} / ${r.seeds} (${pct(r.rolledBack, r.seeds)}) | ${pct(r.promoted, r.seeds)} | ${r.medianRollbackMinute ?? '-'} | ${by || '-'} |`;
    }),
    '',
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seeds = Number(process.argv[2] ?? 2_000);
  const spending = process.argv[3] === 'obrien-fleming' ? 'obrien-fleming' : 'pocock';
  const rows = AcceptanceScenarios.map((s) => simulateScenario(s, seeds, 1, { spending }));
  console.log(formatVerdictSim(rows).join('\n'));
}
