// SLO evaluation cost at 10k, 1M and 10M stored boots: 10 SLOs x 500 AMI versions x every window
// (5m .. 30d), by the engine (in-memory window totals kept current by the change feed) beside a
// naive GROUP BY scan of the raw boots, in the same run on the same SQLite file; the first load
// (with the longest hold of the event loop), and a burst of 10,000 backfilled boots spread over
// 29 days, counted at the next evaluation (its time, its longest hold, and a check that every
// one of them was counted).
// Target (issue 11): at most 10 ms per evaluation, flat across the sizes.
//
// Data (slo-bench-data.ts): boots spread evenly over 30 days, so 10M boots is a fleet launching
// ~14,000 instances an hour, over 500 AMI versions.
//
// Run alone: npx tsx bench/slo-bench.ts [sizes...]   e.g. npx tsx bench/slo-bench.ts 10000 1000000
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { SloEngine } from '../collector/slo/slo-engine.js';
import { SqliteStore } from '../collector/store/sqlite-store.js';
import { ManualClock } from '../shared/clock.js';
import { budgetRemaining, burnRate } from '../shared/slo/budget.js';
import { DefaultEvidenceWindowMs, type Slo } from '../shared/slo/model.js';
import { defaultTiers, windowsInUse } from '../shared/slo/tiers.js';
import type { SloReport } from '../collector/slo/report.js';
import type { BootReport } from '../shared/boot-report.js';
import { seededRandom } from '../simulator/random.js';
import { generateBenchData, Now, Versions } from './slo-bench-data.js';
import { summarize, type Summary } from './stats.js';

const MinuteMs = 60_000;
const DayMs = 86_400_000;

export interface SloBenchOptions {
  sizes?: number[];
  /** Engine evaluations measured per size (the clock moves 30 s before each). */
  evaluations?: number;
  /** Naive scans measured per size. */
  naiveRuns?: number;
  /** A size whose data would take longer than this to generate is skipped (and said so). */
  maxGenerateMs?: number;
  log?: (line: string) => void;
}

export interface SloBenchSize {
  boots: number;
  rollupRows: number;
  generateMs: number;
  dbMegabytes: number;
  /** The first evaluation: everything read from the store. */
  loadMs: number;
  /** The longest the event loop was held during that load (requests wait this long). */
  loadStallMs: number;
  /** 10,000 boots of the last 29 days written at once: the evaluation that counts them. */
  burstEvaluationMs: number;
  burstStallMs: number;
  /** How many of the burst's boots that evaluation counted (all of them, or the bench fails). */
  burstCounted: number;
  countMegabytes: number;
  /** A scheduled evaluation: re-read of the horizon + computing every SLO, group and window. */
  evaluationMs: Summary;
  readMs: Summary;
  computeMs: Summary;
  naiveMs: Summary;
  groups: number;
}

export interface SloBenchResult {
  slos: number;
  versions: number;
  windows: string[];
  sizes: SloBenchSize[];
  skipped: string[];
}

/** 10 SLOs by AMI version: 4 boot success, 6 time to ready, over 30d, 28d and 7d windows. */
export function benchSlos(): Slo[] {
  const slo = (
    name: string,
    sli: Slo['sli'],
    objective: number,
    days: number,
    threshold: number | null,
  ): Slo => ({
    name,
    description: '',
    sli,
    thresholdSeconds: threshold,
    objective,
    windowMs: days * DayMs,
    groupBy: ['ami_version'],
    tiers: defaultTiers(days * DayMs),
    sparse: { z: 3, evidenceWindowMs: DefaultEvidenceWindowMs },
    source: 'bench',
  });
  return [
    slo('success-999', 'boot_success', 0.999, 30, null),
    slo('success-9995', 'boot_success', 0.9995, 30, null),
    slo('success-995-28d', 'boot_success', 0.995, 28, null),
    slo('success-99-7d', 'boot_success', 0.99, 7, null),
    slo('ready-60s', 'time_to_ready', 0.7, 30, 60),
    slo('ready-90s', 'time_to_ready', 0.9, 30, 90),
    slo('ready-120s', 'time_to_ready', 0.95, 30, 120),
    slo('ready-180s-28d', 'time_to_ready', 0.975, 28, 180),
    slo('ready-300s', 'time_to_ready', 0.99, 30, 300),
    slo('ready-120s-7d', 'time_to_ready', 0.97, 7, 120),
  ];
}

export async function benchSlo(o: SloBenchOptions = {}): Promise<SloBenchResult> {
  const sizes = o.sizes ?? [10_000, 1_000_000, 10_000_000];
  const log = o.log ?? (() => undefined);
  const slos = benchSlos();
  const result: SloBenchResult = {
    slos: slos.length,
    versions: Versions,
    windows: [...new Set(slos.flatMap((s) => windowsInUse(s.tiers, s.windowMs)))]
      .sort((a, b) => a - b)
      .map((ms) => `${ms / MinuteMs}m`),
    sizes: [],
    skipped: [],
  };
  let msPerBoot = 0;
  for (const boots of sizes) {
    const budget = o.maxGenerateMs ?? 15 * 60_000;
    if (msPerBoot > 0 && msPerBoot * boots > budget) {
      result.skipped.push(
        `${boots} boots: generating them would take about ${Math.round((msPerBoot * boots) / 1000)} s at the measured rate, over the ${budget / 1000} s budget`,
      );
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), 'bw-slo-bench-'));
    try {
      const size = await measureSize(join(dir, 'bootwatch.db'), boots, slos, o, log);
      msPerBoot = size.generateMs / boots;
      result.sizes.push(size);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return result;
}

async function measureSize(
  path: string,
  boots: number,
  slos: Slo[],
  o: SloBenchOptions,
  log: (line: string) => void,
): Promise<SloBenchSize> {
  const setup = new SqliteStore({ path, replicaId: 'bench' });
  await setup.migrate();
  await setup.close();
  log(`slo bench: generating ${boots} boots`);
  const started = performance.now();
  const rollupRows = generateBenchData(path, boots);
  const generateMs = performance.now() - started;
  log(
    `slo bench: ${boots} boots, ${rollupRows} rollup rows in ${(generateMs / 1000).toFixed(1)} s`,
  );

  const store = new SqliteStore({ path, replicaId: 'bench' });
  const clock = new ManualClock(Now + 15_000);
  const engine = new SloEngine({
    slos,
    store,
    clock,
    heartbeatWindowMs: 5 * MinuteMs,
    scheduler: { every: () => () => undefined },
  });
  const stalls = monitorEventLoopDelay({ resolution: 5 });
  stalls.enable();
  const loadStart = performance.now();
  const first = await engine.evaluate();
  const loadMs = performance.now() - loadStart;
  await settle();
  stalls.disable();
  const loadStallMs = stalls.max / 1e6;
  const evaluation: number[] = [];
  const read: number[] = [];
  const compute: number[] = [];
  for (let i = 0; i < (o.evaluations ?? 30); i += 1) {
    clock.advance(30_000);
    const t = performance.now();
    await engine.evaluate();
    evaluation.push(performance.now() - t);
    read.push(engine.lastTiming!.readMs);
    compute.push(engine.lastTiming!.computeMs);
  }
  const countMegabytes = engine.countBytes / 2 ** 20;

  // Agents delivering their spools after an outage: boots of the last 29 days, all at once.
  const before = events30d(engine.latest()!);
  const burst = backfill(Math.min(10_000, boots), clock.now());
  for (let i = 0; i < burst.length; i += 256) {
    await Promise.all(burst.slice(i, i + 256).map((b) => store.upsertBoot(b, clock.now())));
  }
  clock.advance(30_000);
  stalls.reset();
  stalls.enable();
  const burstStart = performance.now();
  const counted = await engine.evaluate();
  const burstEvaluationMs = performance.now() - burstStart;
  await settle();
  stalls.disable();
  const burstStallMs = stalls.max / 1e6;
  const burstCounted = events30d(counted) - before;
  if (burstCounted !== burst.length) {
    throw new Error(`the burst's ${burst.length} boots counted ${burstCounted} times`);
  }
  await store.close();

  const db = new Database(path, { readonly: true });
  const naive: number[] = [];
  try {
    for (let i = 0; i < (o.naiveRuns ?? 3); i += 1) {
      const t = performance.now();
      naiveEvaluation(db, slos, Now + 15_000);
      naive.push(performance.now() - t);
    }
  } finally {
    db.close();
  }
  const size: SloBenchSize = {
    boots,
    rollupRows,
    generateMs,
    dbMegabytes: statSync(path).size / 2 ** 20,
    loadMs,
    loadStallMs,
    burstEvaluationMs,
    burstStallMs,
    burstCounted,
    countMegabytes,
    evaluationMs: summarize(evaluation),
    readMs: summarize(read),
    computeMs: summarize(compute),
    naiveMs: summarize(naive),
    groups: first.slos[0]!.groups.length,
  };
  log(
    `slo bench: ${boots} boots: evaluation ${size.evaluationMs.median.toFixed(1)} ms ` +
      `(read ${size.readMs.median.toFixed(1)}, compute ${size.computeMs.median.toFixed(1)}), ` +
      `naive ${size.naiveMs.median.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms ` +
      `(longest stall ${loadStallMs.toFixed(0)} ms), burst of ${burst.length} boots counted in ` +
      `${burstEvaluationMs.toFixed(0)} ms (longest stall ${burstStallMs.toFixed(0)} ms)`,
  );
  return size;
}

/** A timer turn: the delay monitor records the hold that just ended (it samples on timers). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

/** Events of the 30-day boot-success SLO, summed over its groups. */
function events30d(report: SloReport): number {
  let total = 0;
  for (const g of report.slos[0]!.groups) {
    total += g.windows.find((w) => w.windowMs === 30 * DayMs)?.events ?? 0;
  }
  return total;
}

/** First boots whose outcomes fall anywhere in the 29 days before `nowMs`, of bench versions. */
function backfill(n: number, nowMs: number): BootReport[] {
  const random = seededRandom(11);
  return Array.from({ length: n }, (_, i) => {
    const outcomeAt = nowMs - 60_000 - Math.floor(random() * 29 * DayMs);
    const failed = random() < 0.05;
    const ttr = failed ? 600 : 20 + Math.floor(random() * 100);
    const v = Math.floor(random() * 20); // the bench data's own versions and AMI ids
    const version = `2024.${v}`;
    return {
      instanceId: `i-bf${i.toString(16).padStart(15, '0')}`,
      bootId: `bf-${i}`,
      firstBoot: true,
      launchedAt: new Date(outcomeAt - ttr * 1000).toISOString(),
      amiId: `ami-${v.toString(16).padStart(17, '0')}`,
      amiVersion: version,
      region: 'us-east-1',
      instanceType: 'm5.large',
      outcome: failed ? 'failure' : 'success',
      reason: failed ? 'probe_timeout' : 'none',
      timeToReadySeconds: ttr,
      phases: {},
    };
  });
}

/**
 * The baseline: what an engine without rollups would do every evaluation, one GROUP BY scan of
 * the raw first boots per window, computing every SLO's SLI, budget and burn rate from it.
 */
function naiveEvaluation(db: Database.Database, slos: readonly Slo[], nowMs: number): number {
  const thresholds = [
    ...new Set(slos.flatMap((s) => (s.thresholdSeconds === null ? [] : [s.thresholdSeconds]))),
  ];
  const scan = db.prepare(
    `SELECT ami_version, COUNT(*) AS events, SUM(outcome = 'success') AS ok, ` +
      thresholds
        .map((t, i) => `SUM(outcome = 'success' AND time_to_ready_seconds <= ${t}) AS r${i}`)
        .join(', ') +
      ` FROM boots WHERE first_boot = 1 AND outcome_at_ms >= ? AND outcome_at_ms < ? GROUP BY ami_version`,
  );
  const windows = [...new Set(slos.flatMap((s) => windowsInUse(s.tiers, s.windowMs)))];
  const end = (Math.floor(nowMs / MinuteMs) + 1) * MinuteMs;
  let checksum = 0;
  for (const w of windows) {
    const rows = scan.all(end - w, end) as Record<string, number>[];
    for (const slo of slos) {
      if (!windowsInUse(slo.tiers, slo.windowMs).includes(w)) continue;
      const r =
        slo.thresholdSeconds === null ? null : `r${thresholds.indexOf(slo.thresholdSeconds)}`;
      for (const row of rows) {
        const good = r === null ? row.ok! : row[r]!;
        const counts = { events: row.events!, errors: row.events! - good };
        checksum +=
          (burnRate(counts, slo.objective) ?? 0) + (budgetRemaining(counts, slo.objective) ?? 0);
      }
    }
  }
  return checksum;
}

/** Markdown lines for bench/results. */
export function formatSloBench(r: SloBenchResult): string[] {
  const f = (s: Summary) => `${s.median.toFixed(1)} (${s.min.toFixed(1)}-${s.max.toFixed(1)})`;
  return [
    `## SLO engine: ${r.slos} SLOs x ${r.versions} AMI versions x every window, per evaluation`,
    '',
    '| stored boots | rollup rows | engine ms (read + compute) | read ms | compute ms | naive GROUP BY ms | first load ms | counts MB | DB MB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.sizes.map(
      (s) =>
        `| ${s.boots.toLocaleString('en')} | ${s.rollupRows.toLocaleString('en')} | ${f(s.evaluationMs)} | ${f(s.readMs)} | ` +
        `${f(s.computeMs)} | ${f(s.naiveMs)} | ${s.loadMs.toFixed(0)} | ${s.countMegabytes.toFixed(1)} | ${s.dbMegabytes.toFixed(0)} |`,
    ),
    '',
    'Median (min-max). Target: at most 10 ms per evaluation, flat across sizes.',
    '',
    'The first load (the first evaluation waits for it), and a burst of 10,000 boots of the last 29 days',
    'written at once (agents delivering their spools after an outage): the next evaluation counts every one.',
    'Stall: the longest the event loop was held, that is, the longest any request waited.',
    '',
    '| stored boots | first load ms | its longest stall ms | burst evaluation ms | its longest stall ms | burst boots counted |',
    '|---|---|---|---|---|---|',
    ...r.sizes.map(
      (s) =>
        `| ${s.boots.toLocaleString('en')} | ${s.loadMs.toFixed(0)} | ${s.loadStallMs.toFixed(0)} | ` +
        `${s.burstEvaluationMs.toFixed(0)} | ${s.burstStallMs.toFixed(0)} | ${s.burstCounted.toLocaleString('en')} |`,
    ),
    ...r.skipped.map((s) => `Skipped: ${s}.`),
    '',
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const result = await benchSlo({
    sizes: sizes.length > 0 ? sizes : undefined,
    log: (l) => console.error(l),
  });
  console.log(formatSloBench(result).join('\n'));
  console.log(JSON.stringify(result, null, 2));
}
