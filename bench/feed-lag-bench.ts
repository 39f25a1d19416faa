// From commit to counted: boots written at a steady rate (2,000 a second by default) through the
// store's ingest path while the SLO engine evaluates on its real schedule; for every boot, the
// time from its commit (its write resolving) to the end of the first evaluation that counted it.
// Target (issue 11): at most one evaluation interval (plus the evaluation's own time).
//
// In one process, on both engines (PostgreSQL when BOOTWATCH_TEST_PG_URL or the default URL
// answers): the HTTP path is measured by the ingest section; this measures the engine.
//
// Run alone: npx tsx bench/feed-lag-bench.ts [boots-per-second] [interval-seconds] [seconds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { SloEngine } from '../collector/slo/slo-engine.js';
import type { SloReport } from '../collector/slo/report.js';
import { PgStore } from '../collector/store/pg-store.js';
import { SqliteStore } from '../collector/store/sqlite-store.js';
import type { Store } from '../collector/store/store.js';
import type { BootReport } from '../shared/boot-report.js';
import { systemClock } from '../shared/clock.js';
import { defaultSlos } from '../shared/slo/defaults.js';
import { summarize, type Summary } from './stats.js';

export interface FeedLagOptions {
  bootsPerSecond?: number;
  intervalMs?: number;
  seconds?: number;
  pgUrl?: string | null;
  log?: (line: string) => void;
}

export interface FeedLagResult {
  engine: 'sqlite' | 'postgres';
  bootsPerSecond: number;
  /** What was written per second, measured (the store may fall behind the asked rate). */
  achievedPerSecond: number;
  intervalMs: number;
  boots: number;
  /** Every boot's lag, ms. */
  lagMs: Summary;
  maxLagMs: number;
  evaluationMs: Summary;
  /** Boots never counted by the end (must be 0). */
  uncounted: number;
}

function events(report: SloReport): number {
  let n = 0;
  for (const g of report.slos[0]!.groups) {
    n += g.windows.find((w) => w.window === '1h')?.events ?? 0;
  }
  return n;
}

async function measure(store: Store, o: Required<Omit<FeedLagOptions, 'pgUrl' | 'log'>>) {
  const engine = new SloEngine({
    slos: defaultSlos(),
    store,
    clock: systemClock,
    heartbeatWindowMs: 300_000,
    evaluationIntervalMs: o.intervalMs,
  });
  const counted: { at: number; events: number }[] = [];
  const evaluations: number[] = [];
  engine.addListener((r) => {
    counted.push({ at: performance.now(), events: events(r) });
    if (engine.lastTiming) evaluations.push(engine.lastTiming.readMs + engine.lastTiming.computeMs);
  });
  await engine.evaluate();
  const base = events(engine.latest()!);
  engine.start();
  const commits: number[] = [];
  const writes: Promise<void>[] = [];
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((o.bootsPerSecond * tickMs) / 1000));
  const total = o.bootsPerSecond * o.seconds;
  const t0 = performance.now();
  let n = 0;
  while (n < total) {
    for (let k = 0; k < perTick && n < total; k += 1, n += 1) {
      writes.push(
        store.upsertBoot(boot(n), Date.now()).then(() => void commits.push(performance.now())),
      );
    }
    const next = t0 + (n / perTick) * tickMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  await Promise.all(writes);
  const written = performance.now() - t0;
  // Let the schedule count the last boots.
  const until = performance.now() + 2 * o.intervalMs + 5_000;
  while ((counted.at(-1)?.events ?? base) - base < total && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await engine.stop();
  // Commits resolve in order within a batch; the k-th commit is counted by the first
  // evaluation whose events (above the base) exceed k.
  commits.sort((a, b) => a - b);
  const lags: number[] = [];
  let e = 0;
  for (let k = 0; k < commits.length; k += 1) {
    while (e < counted.length && counted[e]!.events - base <= k) e += 1;
    if (e === counted.length) break;
    lags.push(counted[e]!.at - commits[k]!);
  }
  return {
    achievedPerSecond: (total / written) * 1000,
    boots: total,
    lagMs: summarize(lags),
    maxLagMs: Math.max(...lags),
    evaluationMs: summarize(evaluations),
    uncounted: total - lags.length,
  };
}

let serial = 0;

/** A first boot ready a minute ago, of one of a few versions. */
function boot(n: number): BootReport {
  serial += 1;
  const now = Date.now();
  const id = `${process.pid.toString(16)}${serial.toString(16).padStart(10, '0')}`;
  return {
    instanceId: `i-${id.padStart(17, '0').slice(-17)}`,
    bootId: `lag-${process.pid}-${serial}`,
    firstBoot: true,
    launchedAt: new Date(now - 60_000 - 45_000).toISOString(),
    amiId: `ami-${(n % 7).toString(16).padStart(17, '0')}`,
    amiVersion: `2026.12.${n % 7}`,
    region: 'us-east-1',
    instanceType: 'm5.large',
    outcome: 'success',
    reason: 'none',
    timeToReadySeconds: 45,
    phases: {},
  };
}

async function pgReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function benchFeedLag(o: FeedLagOptions = {}): Promise<FeedLagResult[]> {
  const opts = {
    bootsPerSecond: o.bootsPerSecond ?? 2000,
    intervalMs: o.intervalMs ?? 5000,
    seconds: o.seconds ?? 15,
  };
  const log = o.log ?? (() => undefined);
  const out: FeedLagResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'bw-lag-'));
  try {
    const sqlite = new SqliteStore({ path: join(dir, 'bootwatch.db'), replicaId: 'lag' });
    await sqlite.migrate();
    try {
      out.push({ engine: 'sqlite', ...opts, ...(await measure(sqlite, opts)) });
    } finally {
      await sqlite.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const url =
    o.pgUrl === undefined
      ? (process.env.BOOTWATCH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
      : o.pgUrl;
  if (url !== null && (await pgReachable(url))) {
    const schema = `bw_lag_${process.pid}`;
    const store = new PgStore({ connectionString: url, replicaId: 'lag', schema });
    try {
      await store.migrate();
      out.push({ engine: 'postgres', ...opts, ...(await measure(store, opts)) });
    } finally {
      await store.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  } else log('feed lag: PostgreSQL not reachable, measured SQLite only');
  for (const r of out) {
    log(
      `feed lag ${r.engine}: ${r.boots} boots at ${r.achievedPerSecond.toFixed(0)}/s, ` +
        `max lag ${r.maxLagMs.toFixed(0)} ms (interval ${r.intervalMs} ms), uncounted ${r.uncounted}`,
    );
  }
  return out;
}

export function formatFeedLag(rows: readonly FeedLagResult[]): string[] {
  const f = (s: Summary) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)})`;
  return [
    '## From commit to counted (SLO engine over the change feed)',
    '',
    'Boots written through the store at a steady rate while the engine evaluates on its schedule;',
    "lag: from a boot's commit to the end of the first evaluation that counted it. Target: at most one",
    'evaluation interval (plus the evaluation).',
    '',
    '| engine | asked boots/s | written boots/s | interval ms | boots | lag ms median (min-max) | max lag ms | evaluation ms | never counted |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.engine} | ${r.bootsPerSecond} | ${r.achievedPerSecond.toFixed(0)} | ${r.intervalMs} | ${r.boots} | ` +
        `${f(r.lagMs)} | ${r.maxLagMs.toFixed(0)} | ${f(r.evaluationMs)} | ${r.uncounted} |`,
    ),
    '',
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [rate, interval, seconds] = process.argv.slice(2).map(Number);
  const rows = await benchFeedLag({
    bootsPerSecond: rate || undefined,
    intervalMs: interval ? interval * 1000 : undefined,
    seconds: seconds || undefined,
    log: (l) => console.error(l),
  });
  console.log(formatFeedLag(rows).join('\n'));
}
