// GET /api/v1/images, the pure part: per AMI version, first boots decided in the window (from the
// per-minute rollups, so the answer costs the same for ten boots or ten million), successes,
// failures by reason, time-to-ready percentiles, and the registry's images of that version.
import { TimeToReadyBuckets } from '../../shared/conventions.js';
import type { ImageRecord, RollupRow } from '../model.js';

export interface VersionStats {
  amiVersion: string;
  /** First boots decided in the window: successes + failures (no_report included). */
  launches: number;
  successes: number;
  failures: Record<string, number>;
  /** successes / launches; null without launches. */
  successRatio: number | null;
  /** Of successful first boots; null without any. See bucketQuantile for how they are estimated. */
  timeToReadySeconds: { p50: number | null; p95: number | null; p99: number | null };
  images: ImageRecord[];
}

export function imageStats(
  rows: readonly RollupRow[],
  images: readonly ImageRecord[],
): VersionStats[] {
  const byVersion = new Map<string, VersionStats & { buckets: number[] }>();
  const entry = (version: string) => {
    let e = byVersion.get(version);
    if (!e) {
      e = {
        amiVersion: version,
        launches: 0,
        successes: 0,
        failures: {},
        successRatio: null,
        timeToReadySeconds: { p50: null, p95: null, p99: null },
        images: [],
        buckets: new Array<number>(TimeToReadyBuckets.length + 1).fill(0),
      };
      byVersion.set(version, e);
    }
    return e;
  };
  for (const row of rows) {
    const e = entry(row.amiVersion);
    e.launches += row.count;
    if (row.outcome === 'success') {
      e.successes += row.count;
      row.ttrBuckets.forEach((n, i) => {
        if (i < e.buckets.length) e.buckets[i]! += n;
      });
    } else {
      e.failures[row.reason] = (e.failures[row.reason] ?? 0) + row.count;
    }
  }
  for (const image of images) entry(image.version).images.push(image);

  return [...byVersion.values()]
    .map(({ buckets, ...e }) => ({
      ...e,
      successRatio: e.launches > 0 ? e.successes / e.launches : null,
      timeToReadySeconds: {
        p50: bucketQuantile(0.5, buckets, TimeToReadyBuckets),
        p95: bucketQuantile(0.95, buckets, TimeToReadyBuckets),
        p99: bucketQuantile(0.99, buckets, TimeToReadyBuckets),
      },
    }))
    .sort((a, b) => b.amiVersion.localeCompare(a.amiVersion, 'en', { numeric: true }));
}

/**
 * The q-quantile of a bucketed distribution, interpolated linearly within the bucket that holds
 * it, as Prometheus' histogram_quantile() does: the first bucket starts at 0, and a quantile that
 * falls in the +Inf bucket is the highest finite bound (the data cannot say more).
 * `counts` are per bucket (not cumulative), one more than `bounds` (the last is +Inf).
 *
 * Example: bounds [10, 20, 30], counts [2, 6, 2, 0]: 10 observations, the median's rank is 5,
 * 2 lie below 10, so it is 3/6 into (10, 20]: 15.
 */
export function bucketQuantile(
  q: number,
  counts: readonly number[],
  bounds: readonly number[],
): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i += 1) {
    const n = counts[i]!;
    if (n > 0 && below + n >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1] ?? null;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const upper = bounds[i]!;
      return lower + ((upper - lower) * Math.max(0, rank - below)) / n;
    }
    below += n;
  }
  return bounds[bounds.length - 1] ?? null;
}
