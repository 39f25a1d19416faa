// One rollout verdict at 100,000 boots per side: the verdict as the collector will run it (each
// side's counts and sorted times to ready kept up to date as boots arrive, the state of the last
// look passed in) beside a naive verdict that re-reads the boots each time, as a store query
// would (filter the rows by version and scope, collect the times, sort them, then the same
// statistics with no state). Both in the same process; median of the runs, and the ratio.
//
// Run alone: npx tsx bench/verdict-bench.ts [bootsPerSide] [runs]   (default 100,000 and 21)
import { pathToFileURL } from 'node:url';
import { resolvePolicy } from '../collector/rollouts/policy.js';
import { SortedSample } from '../collector/rollouts/sorted-sample.js';
import { computeVerdict } from '../collector/rollouts/verdict.js';
import type { SideEvidence, VerdictInput } from '../collector/rollouts/verdict-model.js';
import { logNormal, seededRandom } from '../simulator/random.js';
import { summarize, type Summary } from './stats.js';

interface BootRow {
  version: string;
  autoScalingGroup: string;
  outcome: 'success' | 'failure';
  timeToReadyMs: number;
}

export interface VerdictBenchResult {
  bootsPerSide: number;
  runs: number;
  incrementalMs: Summary;
  naiveMs: Summary;
  /** Inserting one boot's time to ready into a sorted sample of that size, µs. */
  insertUs: Summary;
  ratio: number;
  verdict: string;
}

const Start = Date.UTC(2025, 5, 2, 9, 0, 0);

function makeRows(bootsPerSide: number, seed: number): BootRow[] {
  const random = seededRandom(seed);
  const rows: BootRow[] = [];
  // Two versions in the rollout's group, and a third elsewhere that the filter must skip.
  for (const [version, group, slower] of [
    ['2025.06.1', 'web-asg', 1_500],
    ['2025.05.3', 'web-asg', 0],
    ['2025.05.3', 'batch-asg', 0],
  ] as const) {
    for (let i = 0; i < bootsPerSide; i += 1) {
      const failed = random() < 0.001;
      rows.push({
        version,
        autoScalingGroup: group,
        outcome: failed ? 'failure' : 'success',
        timeToReadyMs: Math.round(logNormal(random, 75_000, 120_000)) + slower,
      });
    }
  }
  return rows;
}

/** The naive side: filter, collect, sort, every time. */
function readSide(rows: readonly BootRow[], version: string, group: string): SideEvidence {
  let successes = 0;
  let failures = 0;
  const times: number[] = [];
  for (const r of rows) {
    if (r.version !== version || r.autoScalingGroup !== group) continue;
    if (r.outcome === 'failure') failures += 1;
    else {
      successes += 1;
      times.push(r.timeToReadyMs);
    }
  }
  return { successes, failures, readyMs: Float64Array.from(times).sort() };
}

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function benchVerdict(bootsPerSide = 100_000, runs = 21): VerdictBenchResult {
  const rows = makeRows(bootsPerSide, 12);
  const policy = resolvePolicy();
  const base: Omit<VerdictInput, 'candidate' | 'baseline' | 'state'> = {
    slo: { allowedErrorRatio: 0.001, pageAlertFiring: false, budgetRemaining: 0.5 },
    policy,
    startedAtMs: Start,
    nowMs: Start + 60 * 60_000,
  };

  // Incremental: the sides as the collector keeps them, built once as boots arrive.
  const kept = { candidate: new SortedSample(), baseline: new SortedSample() };
  const counts = { candidate: { s: 0, f: 0 }, baseline: { s: 0, f: 0 } };
  for (const r of rows) {
    if (r.autoScalingGroup !== 'web-asg') continue;
    const key = r.version === '2025.06.1' ? 'candidate' : 'baseline';
    if (r.outcome === 'failure') counts[key].f += 1;
    else {
      counts[key].s += 1;
      kept[key].insert(r.timeToReadyMs);
    }
  }
  const sideOf = (key: 'candidate' | 'baseline'): SideEvidence => ({
    successes: counts[key].s,
    failures: counts[key].f,
    readyMs: kept[key].view(),
  });
  let state = computeVerdict({
    ...base,
    candidate: sideOf('candidate'),
    baseline: sideOf('baseline'),
    state: null,
  }).state;

  const incremental: number[] = [];
  const naive: number[] = [];
  const insert: number[] = [];
  let verdict = '';
  const random = seededRandom(99);
  for (let run = 0; run < runs; run += 1) {
    // A new boot on each side between looks, as a minute of a canary brings.
    insert.push(
      time(() => kept.candidate.insert(Math.round(logNormal(random, 75_000, 120_000)) + 1_500)) *
        1000,
    );
    kept.baseline.insert(Math.round(logNormal(random, 75_000, 120_000)));
    counts.candidate.s += 1;
    counts.baseline.s += 1;
    const look = { ...base, nowMs: base.nowMs + run * 60_000 };
    incremental.push(
      time(() => {
        const r = computeVerdict({
          ...look,
          candidate: sideOf('candidate'),
          baseline: sideOf('baseline'),
          state,
        });
        state = r.state;
        verdict = r.verdict;
      }),
    );
    naive.push(
      time(() => {
        computeVerdict({
          ...look,
          candidate: readSide(rows, '2025.06.1', 'web-asg'),
          baseline: readSide(rows, '2025.05.3', 'web-asg'),
          state: null,
        });
      }),
    );
  }
  const incrementalMs = summarize(incremental);
  const naiveMs = summarize(naive);
  return {
    bootsPerSide,
    runs,
    incrementalMs,
    naiveMs,
    insertUs: summarize(insert),
    ratio: naiveMs.median / incrementalMs.median,
    verdict,
  };
}

export function formatVerdictBench(r: VerdictBenchResult): string[] {
  const f = (s: Summary) =>
    `${s.median.toFixed(2)} (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`;
  return [
    `## One rollout verdict at ${r.bootsPerSide.toLocaleString('en-US')} boots per side (${r.runs} looks)`,
    '',
    '| computation | median ms |',
    '|---|---|',
    `| verdict on kept sorted samples, with the last look's state | ${f(r.incrementalMs)} |`,
    `| naive: re-read the rows, sort, verdict from scratch | ${f(r.naiveMs)} |`,
    `| ratio naive / kept | ${r.ratio.toFixed(1)}x |`,
    '',
    `Keeping a side sorted costs ${r.insertUs.median.toFixed(1)} µs per boot (median insert).`,
    '',
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const size = Number(process.argv[2] ?? 100_000);
  const runs = Number(process.argv[3] ?? 21);
  console.log(formatVerdictBench(benchVerdict(size, runs)).join('\n'));
}
