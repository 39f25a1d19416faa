// The metric families the collector exports from persisted counters: name, type, help text and,
// for histograms, the bucket bounds. A CounterDelta names a series (`bootwatch_boots_total`,
// `bootwatch_time_to_ready_seconds_bucket`); familyOf() finds the family it belongs to.
import { PhaseBuckets, PromMetric, TimeToReadyBuckets } from '../../shared/conventions.js';

export interface Family {
  name: string;
  type: 'counter' | 'histogram';
  help: string;
  /** Finite upper bounds, ascending (histograms only); +Inf is implied. */
  buckets?: readonly number[];
}

export const Families: readonly Family[] = [
  {
    name: PromMetric.bootsTotal,
    type: 'counter',
    help:
      'First boots after launch whose outcome is decided (reboots are not counted), by AMI, ' +
      'group, outcome and reason, including the failures the collector decides (no_report, ' +
      'terminated_before_ready). A corrected boot is counted again under its new labels and ' +
      'once in bootwatch_boots_retracted_total under its old ones: boots = total - retracted.',
  },
  {
    name: PromMetric.bootsRetractedTotal,
    type: 'counter',
    help:
      'Boots whose outcome a later report replaced (e.g. a late report for a no_report launch), ' +
      'with the labels they were first counted under; subtract from bootwatch_boots_total.',
  },
  {
    name: PromMetric.launchesTotal,
    type: 'counter',
    help: 'Instance launches learned from EC2, Auto Scaling and CloudTrail events (deduplicated).',
  },
  {
    name: PromMetric.timeToReadySeconds,
    type: 'histogram',
    help:
      'Seconds from launch (pendingTime) to ready (cloud-init done and every readiness probe ' +
      'passing), or to the moment a failure was decided; one observation per first boot.',
    buckets: TimeToReadyBuckets,
  },
  {
    name: PromMetric.bootPhaseSeconds,
    type: 'histogram',
    help:
      'Seconds spent in each boot phase (provisioning, kernel, userspace, each cloud-init stage, ' +
      'waiting for probes), one observation per phase of each first boot.',
    buckets: PhaseBuckets,
  },
];

const HistogramSuffixes = ['_bucket', '_sum', '_count'] as const;
export type SeriesPart = 'value' | (typeof HistogramSuffixes)[number];

const byName = new Map(Families.map((f) => [f.name, f]));

/**
 * The family and part a series name belongs to; a name outside the list becomes a counter family
 * of its own so that a metric the store adds later is still exported, not silently dropped.
 */
export function familyOf(series: string): { family: Family; part: SeriesPart } {
  const direct = byName.get(series);
  if (direct && direct.type === 'counter') return { family: direct, part: 'value' };
  for (const suffix of HistogramSuffixes) {
    if (!series.endsWith(suffix)) continue;
    const family = byName.get(series.slice(0, -suffix.length));
    if (family?.type === 'histogram') return { family, part: suffix };
  }
  return {
    family: { name: series, type: 'counter', help: `bootwatch counter ${series}.` },
    part: 'value',
  };
}
