// One rollout's verdict at 100,000 first boots per side, read from a real store (SQLite): as the
// collector computes it (the evidence kept from the change feed, brought up to date by a feed read
// that finds the boots written since the last look, then the verdict with the last look's state)
// beside a naive verdict that re-reads the rollout's boots from the store at every look (a new
// evidence book: the same query, then sort) and tests from scratch. Between looks one boot per
// side arrives, as a minute of a canary brings; writing it is not timed. Median of the looks.
//
// Run alone: npx tsx bench/rollout-verdict-bench.ts [bootsPerSide] [looks]  (default 100,000, 11)
import { pathToFileURL } from 'node:url';
import { EvidenceBook } from '../collector/rollouts/evidence-book.js';
import { resolvePolicy } from '../collector/rollouts/policy.js';
import type { Rollout } from '../collector/rollouts/rollout-model.js';
import { computeVerdict } from '../collector/rollouts/verdict.js';
import type { VerdictState } from '../collector/rollouts/verdict-model.js';
import { openStore } from '../collector/store/open-store.js';
import type { Store } from '../collector/store/store.js';
import type { BootReport } from '../shared/boot-report.js';
import { logNormal, seededRandom } from '../simulator/random.js';
import { benchStore } from './bench-store.js';
import { summarize, type Summary } from './stats.js';

const Start = Date.UTC(2026, 11, 3, 9, 0, 0);
const [Candidate, Baseline] = ['2026.12.2', '2026.12.1'];

export interface RolloutVerdictBenchResult {
  bootsPerSide: number;
  looks: number;
  keptMs: Summary;
  naiveMs: Summary;
  ratio: number;
  /** Seconds to write the boots, for the record. */
  loadSeconds: number;
  verdict: string;
  /** Whether, at every look, the kept evidence counted what the re-read found. */
  agreed: boolean;
}

function report(n: number, version: string, random: () => number): BootReport {
  const failed = random() < 0.001;
  return {
    instanceId: `i-${n.toString(16).padStart(17, '0')}`,
    bootId: `boot-${n}`,
    firstBoot: true,
    launchedAt: new Date(Start + 60_000 + (n % 7_200) * 1000).toISOString(),
    amiId: version === Candidate ? 'ami-0a1b2c3d4e5f60002' : 'ami-0a1b2c3d4e5f60001',
    amiVersion: version,
    region: 'eu-west-1',
    instanceType: 'm5.large',
    asg: 'web-asg',
    outcome: failed ? 'failure' : 'success',
    reason: failed ? 'cloud_init_error' : 'none',
    timeToReadySeconds: Math.round(logNormal(random, 75_000, 120_000)) / 1000,
    phases: {},
  };
}

async function write(store: Store, reports: BootReport[]): Promise<void> {
  for (let i = 0; i < reports.length; i += 2048) {
    await Promise.all(reports.slice(i, i + 2048).map((r) => store.upsertBoot(r, Start)));
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, value];
}

export async function benchRolloutVerdict(
  bootsPerSide = 100_000,
  looks = 11,
): Promise<RolloutVerdictBenchResult | null> {
  const where = await benchStore('sqlite', 'bw-rollout-verdict');
  if (where === null) return null;
  const store = await openStore(where.spec, { replicaId: 'bench' });
  try {
    const random = seededRandom(12);
    let n = 0;
    const next = (version: string) => report((n += 1), version, random);
    const rollout: Rollout = await store.rollouts.create({
      candidate: Candidate,
      baseline: Baseline,
      scope: { asgs: ['web-asg'], regions: [] },
      startedAtMs: Start,
      policy: {},
      source: 'api',
    });
    const [loadMs] = await timed(() =>
      write(
        store,
        Array.from({ length: 2 * bootsPerSide }, (_, i) => next(i % 2 ? Candidate : Baseline)),
      ),
    );
    const policy = resolvePolicy();
    const base = {
      slo: { allowedErrorRatio: 0.001, pageAlertFiring: false, budgetRemaining: 0.5 },
      policy,
      startedAtMs: Start,
    };
    const kept = new EvidenceBook(store);
    await kept.refresh([rollout]);
    let state: VerdictState | null = null;
    let verdict = '';
    let agreed = true;
    const counts = (b: EvidenceBook) => {
      const { candidate, baseline } = b.sides(rollout.id)!;
      return [candidate, baseline!].map((x) => [x.successes, x.failures, x.readyMs.length]);
    };
    const keptMs: number[] = [];
    const naiveMs: number[] = [];
    for (let look = 0; look < looks; look += 1) {
      await write(store, [next(Candidate), next(Baseline)]);
      const nowMs = Start + 3_600_000 + look * 60_000;
      const [k] = await timed(async () => {
        await kept.refresh([rollout]);
        const sides = kept.sides(rollout.id)!;
        const r = computeVerdict({ ...base, ...sides, nowMs, state });
        state = r.state;
        verdict = r.verdict;
      });
      const [v, fresh] = await timed(async () => {
        const book = new EvidenceBook(store);
        await book.refresh([rollout]);
        computeVerdict({ ...base, ...book.sides(rollout.id)!, nowMs, state: null });
        return book;
      });
      agreed &&= JSON.stringify(counts(fresh)) === JSON.stringify(counts(kept));
      keptMs.push(k);
      naiveMs.push(v);
    }
    const keptSummary = summarize(keptMs);
    const naive = summarize(naiveMs);
    return {
      bootsPerSide,
      looks,
      keptMs: keptSummary,
      naiveMs: naive,
      ratio: naive.median / keptSummary.median,
      loadSeconds: loadMs / 1000,
      verdict,
      agreed,
    };
  } finally {
    await store.close();
    await where.drop();
  }
}

export function formatRolloutVerdictBench(r: RolloutVerdictBenchResult): string[] {
  const f = (s: Summary) =>
    `${s.median.toFixed(2)} (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`;
  return [
    `## A rollout's verdict from the store at ${r.bootsPerSide.toLocaleString('en-US')} boots per side (SQLite, ${r.looks} looks)`,
    '',
    '| computation | median ms |',
    '|---|---|',
    `| evidence kept from the change feed (one feed read), verdict with the last look's state | ${f(r.keptMs)} |`,
    `| naive: re-read the rollout's boots from the store, sort, verdict from scratch | ${f(r.naiveMs)} |`,
    `| ratio naive / kept | ${r.ratio.toFixed(1)}x |`,
    '',
    `Writing the ${(2 * r.bootsPerSide).toLocaleString('en-US')} boots took ${r.loadSeconds.toFixed(1)} s (not timed above); the last verdict: ${r.verdict}; the kept evidence counted what a re-read found at every look: ${r.agreed ? 'yes' : 'NO'}.`,
    '',
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const size = Number(process.argv[2] ?? 100_000);
  const looks = Number(process.argv[3] ?? 11);
  const r = await benchRolloutVerdict(size, looks);
  console.log(r === null ? 'no store' : formatRolloutVerdictBench(r).join('\n'));
}
