// How the sparse-traffic rule behaves over many simulated months, not one seed: the share of
// 30-day runs of a good AMI (0.1% failures) that page at least once, and how soon after its first
// failure a bad AMI (20% failures, a new version) pages, at 10 boots an hour. Boots arrive either
// evenly (an Auto Scaling group replacing one instance every 6 minutes) or as a Poisson process.
// Uses the rule itself (shared/slo/sparse-rule.ts) on per-minute counts, evaluated every minute.
//
// Run alone: npx tsx bench/slo-sparse-sim.ts
import { pathToFileURL } from 'node:url';
import { defaultSlos } from '../shared/slo/defaults.js';
import { DefaultSparseRule } from '../shared/slo/model.js';
import { minEventsForClassic, tierFires, tierThresholdRatio } from '../shared/slo/sparse-rule.js';
import { evidenceWindow } from '../shared/slo/tiers.js';
import { seededRandom, type Random } from '../simulator/random.js';

const Minutes = 30 * 1440;

export interface SparseSimRow {
  arrivals: 'even' | 'poisson';
  z: number;
  runs: number;
  /** Runs of a good AMI with at least one page in 30 days. */
  goodRunsPaged: number;
  /** Runs of a bad AMI paged within 15 minutes of its first failure. */
  badPagedWithin15m: number;
  /** Minutes from the bad AMI's first failure to the page: median and 90th percentile. */
  badDelayMedian: number;
  badDelayP90: number;
}

function poisson(mean: number, random: Random): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k += 1;
  return k;
}

/** Minute of the first page (or -1) and of the first failure, for one simulated AMI version. */
function run(seed: number, failRatio: number, arrivals: 'even' | 'poisson', z: number) {
  const slo = defaultSlos()[0]!;
  const sparse = slo.sparse ?? DefaultSparseRule;
  const tiers = slo.tiers
    .filter((t) => t.severity === 'page')
    .map((t) => {
      const r = tierThresholdRatio(t.factor, slo.objective);
      return {
        r,
        n: minEventsForClassic(r),
        long: t.longWindowMs / 60_000,
        short: t.shortWindowMs / 60_000,
        evidence: evidenceWindow(t.longWindowMs, sparse.evidenceWindowMs) / 60_000,
      };
    });
  const random = seededRandom(seed);
  const events = new Float64Array(Minutes + 1);
  const errors = new Float64Array(Minutes + 1);
  let firstFailure = -1;
  for (let m = 0; m < Minutes; m += 1) {
    const boots = arrivals === 'even' ? (m % 6 === 0 ? 1 : 0) : poisson(10 / 60, random);
    let failed = 0;
    for (let b = 0; b < boots; b += 1) if (random() < failRatio) failed += 1;
    events[m + 1] = events[m]! + boots;
    errors[m + 1] = errors[m]! + failed;
    if (failed > 0 && firstFailure < 0) firstFailure = m;
    const window = (w: number) => {
      const from = Math.max(0, m + 1 - w);
      return { events: events[m + 1]! - events[from]!, errors: errors[m + 1]! - errors[from]! };
    };
    const fires = (t: (typeof tiers)[number]) =>
      tierFires(t.r, t.n, z, window(t.long), window(t.short), window(t.evidence));
    if (tiers.some(fires)) {
      return { page: m, firstFailure };
    }
  }
  return { page: -1, firstFailure };
}

export function simulateSparse(runs = 300, zs: readonly number[] = [3, 4]): SparseSimRow[] {
  const rows: SparseSimRow[] = [];
  for (const arrivals of ['even', 'poisson'] as const) {
    for (const z of zs) {
      let goodRunsPaged = 0;
      let within = 0;
      const delays: number[] = [];
      for (let s = 1; s <= runs; s += 1) {
        if (run(s, 0.001, arrivals, z).page >= 0) goodRunsPaged += 1;
        const bad = run(100_000 + s, 0.2, arrivals, z);
        const delay = bad.page < 0 ? Infinity : bad.page - bad.firstFailure;
        delays.push(delay);
        if (delay <= 15) within += 1;
      }
      delays.sort((a, b) => a - b);
      rows.push({
        arrivals,
        z,
        runs,
        goodRunsPaged,
        badPagedWithin15m: within,
        badDelayMedian: delays[Math.floor(runs / 2)]!,
        badDelayP90: delays[Math.floor(runs * 0.9)]!,
      });
    }
  }
  return rows;
}

export function formatSparseSim(rows: readonly SparseSimRow[]): string[] {
  return [
    '## Sparse-traffic rule at 10 boots an hour (99.9%, 30d, page tiers), over many seeds',
    '',
    '| arrivals | z | good AMI: 30-day runs with a page | bad AMI: paged within 15 min of its first failure | bad AMI: minutes to page, median / p90 |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.arrivals} | ${r.z} | ${r.goodRunsPaged} / ${r.runs} | ${r.badPagedWithin15m} / ${r.runs} | ${r.badDelayMedian} / ${r.badDelayP90} |`,
    ),
    '',
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatSparseSim(simulateSparse(Number(process.argv[2] ?? 300))).join('\n'));
}
