// The Prometheus counters and histograms the store keeps per replica for /metrics. A series is
// its family and its label values, in the order the family lists its label names: no label
// object, no sorting. A histogram keeps non-cumulative counts per bucket (its bounds, then +Inf)
// and the sum of its observations; `_count` and the cumulative `le` series are derived when
// /metrics is scraped.
import {
  PhaseBuckets,
  PromLabel,
  PromMetric,
  TimeToReadyBuckets,
} from '../../shared/conventions.js';
import { BootwatchError } from '../../shared/errors.js';

export interface CounterFamily {
  /** The Prometheus metric name (PromMetric). */
  name: string;
  type: 'counter' | 'histogram';
  /** Label names, in the order a series gives its values. */
  labels: readonly string[];
  /** Finite upper bounds, ascending (histograms; empty for counters). +Inf is implied. */
  bounds: readonly number[];
}

const launchLabels = [
  PromLabel.amiId,
  PromLabel.amiVersion,
  PromLabel.region,
  PromLabel.asg,
  PromLabel.instanceType,
] as const;
const bootLabels = [...launchLabels, PromLabel.outcome, PromLabel.reason] as const;
const timeToReadyLabels = [
  PromLabel.amiVersion,
  PromLabel.region,
  PromLabel.asg,
  PromLabel.outcome,
] as const;

export const CounterFamilies = {
  bootsTotal: { name: PromMetric.bootsTotal, type: 'counter', labels: bootLabels, bounds: [] },
  bootsRetracted: {
    name: PromMetric.bootsRetractedTotal,
    type: 'counter',
    labels: bootLabels,
    bounds: [],
  },
  launches: { name: PromMetric.launchesTotal, type: 'counter', labels: launchLabels, bounds: [] },
  timeToReady: {
    name: PromMetric.timeToReadySeconds,
    type: 'histogram',
    labels: timeToReadyLabels,
    bounds: TimeToReadyBuckets,
  },
  timeToReadyRetracted: {
    name: PromMetric.timeToReadyRetractedSeconds,
    type: 'histogram',
    labels: timeToReadyLabels,
    bounds: TimeToReadyBuckets,
  },
  phase: {
    name: PromMetric.bootPhaseSeconds,
    type: 'histogram',
    labels: [PromLabel.amiVersion, PromLabel.phase],
    bounds: PhaseBuckets,
  },
} as const satisfies Record<string, CounterFamily>;

/** Every family, in the order /metrics lists them. */
export const CounterFamilyList: readonly CounterFamily[] = Object.values(CounterFamilies);

const byName = new Map(CounterFamilyList.map((f) => [f.name, f]));

/** The family of that name, or undefined for one this version does not keep. */
export function counterFamily(name: string): CounterFamily | undefined {
  return byName.get(name);
}

/**
 * Bucket columns of the counters table (b0..b16): enough for the widest histogram. Fixed by
 * schema version 2, like the rollup buckets: more buckets need a migration.
 */
export const CounterBucketCount = 17;

export function bucketCount(family: CounterFamily): number {
  return family.type === 'histogram' ? family.bounds.length + 1 : 0;
}

/** Refuses to run when a histogram has more buckets than the counters table stores. */
export function assertCounterLayout(families: readonly CounterFamily[] = CounterFamilyList): void {
  const wide = families.find((f) => bucketCount(f) > CounterBucketCount);
  if (wide === undefined) return;
  throw new BootwatchError(
    'BW_STORE_OPEN',
    `${wide.name} has ${bucketCount(wide)} buckets but the counters table stores ` +
      `${CounterBucketCount}; more buckets need a schema migration`,
  );
}
