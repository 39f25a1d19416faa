// The data of the SLO benchmark (slo-bench.ts): raw boots and their per-minute rollups written
// straight into a migrated store file, in one transaction with prepared multi-row inserts, so that
// ten million boots take a minute or two rather than an hour of HTTP requests.
//
// Boots are spread evenly over the 30 days before Now; AMI versions follow a Zipf law over 500
// versions (a few current versions take most boots, the long tail a few each); 0.5% fail, each
// with one of the failure reasons; time to ready is log-normal (median 45 s, p95 100 s).
import Database from 'better-sqlite3';
import { BootColumns, BucketColumns, RollupColumns } from '../collector/store/rows.js';
import { TimeToReadyBuckets } from '../shared/conventions.js';
import { logNormal, seededRandom } from '../simulator/random.js';

export const Now = Date.parse('2025-03-31T00:00:00.000Z');
export const Versions = 500;
const MinuteMs = 60_000;
const SpanMinutes = 30 * 1440;

/** Zipf weights over the versions, as a cumulative table. */
function versionTable(): Float64Array {
  const cumulative = new Float64Array(Versions);
  let total = 0;
  for (let v = 0; v < Versions; v += 1) {
    total += 1 / (v + 1);
    cumulative[v] = total;
  }
  for (let v = 0; v < Versions; v += 1) cumulative[v]! /= total;
  return cumulative;
}

function pick(cumulative: Float64Array, u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const FailureReasons = [
  'cloud_init_error',
  'probe_timeout',
  'unit_failed',
  'agent_error',
  'no_report',
];
const Batch = 100;

interface Cell {
  version: number;
  outcome: string;
  reason: string;
  count: number;
  ttrSumMs: number;
  buckets: number[];
}

/**
 * Writes `total` boots and their rollups into a migrated store file, in one transaction; returns
 * the rollup rows written.
 */
export function generateBenchData(path: string, total: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const bootSql = (n: number) =>
    `INSERT INTO boots (${BootColumns.join(', ')}) VALUES ` +
    Array.from({ length: n }, () => `(${BootColumns.map(() => '?').join(', ')})`).join(', ');
  const many = db.prepare(bootSql(Batch));
  const one = db.prepare(bootSql(1));
  const rollup = db.prepare(
    `INSERT INTO rollups (${RollupColumns.join(', ')}) VALUES (${RollupColumns.map(() => '?').join(', ')})`,
  );
  const random = seededRandom(4);
  const versions = versionTable();
  const perMinute = total / SpanMinutes;
  let rows = 0;
  let serial = 0;

  db.transaction(() => {
    let pending: (string | number | null)[] = [];
    let carry = 0;
    const first = Math.floor(Now / MinuteMs) - SpanMinutes;
    for (let m = 0; m < SpanMinutes; m += 1) {
      carry += perMinute;
      const n = Math.floor(carry + 1e-9);
      carry -= n;
      const minuteMs = (first + m) * MinuteMs;
      const cells = new Map<string, Cell>();
      for (let i = 0; i < n; i += 1) {
        serial += 1;
        const version = pick(versions, random());
        const failed = random() < 0.005;
        const reason = failed ? FailureReasons[serial % FailureReasons.length]! : 'none';
        // Successes: log-normal, median 45 s, p95 100 s; failures decided at the 600 s deadline.
        const ttr = failed ? 600 : Math.min(599, Math.round(logNormal(random, 45, 100)));
        const outcomeAt = minuteMs + Math.floor((i * MinuteMs) / Math.max(1, n));
        const launchedAt = outcomeAt - ttr * 1000;
        pending.push(
          `i-${serial.toString(16).padStart(17, '0')}`,
          reason === 'no_report' ? '' : `b${serial}`,
          1,
          new Date(launchedAt).toISOString(),
          launchedAt,
          null,
          `ami-${version.toString(16).padStart(17, '0')}`,
          'web',
          `2024.${version}`,
          null,
          'us-east-1',
          null,
          'm5.large',
          'web-asg',
          failed ? 'failure' : 'success',
          reason,
          ttr,
          '{}',
          null,
          reason === 'no_report' ? 'collector' : 'agent',
          outcomeAt,
          outcomeAt,
        );
        if (pending.length === Batch * BootColumns.length) {
          many.run(pending);
          pending = [];
        }
        const key = `${version}|${reason}`;
        let cell = cells.get(key);
        if (!cell) {
          cell = {
            version,
            outcome: failed ? 'failure' : 'success',
            reason,
            count: 0,
            ttrSumMs: 0,
            buckets: new Array<number>(BucketColumns.length).fill(0),
          };
          cells.set(key, cell);
        }
        cell.count += 1;
        cell.ttrSumMs += ttr * 1000;
        const b = TimeToReadyBuckets.findIndex((bound) => ttr <= bound);
        cell.buckets[b === -1 ? TimeToReadyBuckets.length : b]! += 1;
      }
      for (const c of cells.values()) {
        rollup.run([
          minuteMs,
          `ami-${c.version.toString(16).padStart(17, '0')}`,
          `2024.${c.version}`,
          'us-east-1',
          'web-asg',
          'm5.large',
          c.outcome,
          c.reason,
          c.count,
          c.ttrSumMs,
          ...c.buckets,
        ]);
        rows += 1;
      }
    }
    for (let k = 0; k < pending.length; k += BootColumns.length) {
      one.run(pending.slice(k, k + BootColumns.length));
    }
  })();
  db.close();
  return rows;
}
