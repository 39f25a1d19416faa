// The Prometheus counters a store write moves. Pure. A write first says what happened as
// changes (an increment, or one histogram observation); the store persists them compactly
// (counter-storage.ts) and returns them expanded into series deltas for /metrics.
import {
  PhaseBuckets,
  Phases,
  PromLabel,
  PromMetric,
  TimeToReadyBuckets,
} from '../../shared/conventions.js';
import type { StoredBoot } from '../model.js';
import type { LaunchRow } from './launch-merge.js';
import type { CounterDelta } from './store.js';

/** Histograms exported as counter series, with their bounds. */
export const HistogramBounds: Readonly<Record<string, readonly number[]>> = {
  [PromMetric.timeToReadySeconds]: TimeToReadyBuckets,
  [PromMetric.bootPhaseSeconds]: PhaseBuckets,
};

export const InfLe = '+Inf';

export type CounterChange =
  | { kind: 'inc'; name: string; labels: Record<string, string>; delta: number }
  | { kind: 'observe'; histogram: string; labels: Record<string, string>; value: number };

/**
 * One observation as the `_bucket`, `_sum` and `_count` series of a histogram. Every bucket comes
 * out, with 0 below the observation, so that a label set seen for the first time has all its
 * buckets (histogram_quantile needs them). Value 42 with bounds [30, 60]:
 * _bucket{le="30"} +0, _bucket{le="60"} +1, _bucket{le="+Inf"} +1, _sum +42, _count +1.
 */
export function histogramDeltas(
  name: string,
  labels: Record<string, string>,
  bounds: readonly number[],
  value: number,
): CounterDelta[] {
  const bucket = `${name}_bucket`;
  const les = leLabels(bounds);
  const out: CounterDelta[] = [];
  for (let i = 0; i < les.length; i++) {
    const le = les[i] ?? InfLe;
    const delta = i === bounds.length || value <= (bounds[i] ?? Infinity) ? 1 : 0;
    out.push({ name: bucket, labels: { ...labels, le }, delta });
  }
  out.push({ name: `${name}_sum`, labels, delta: value });
  out.push({ name: `${name}_count`, labels, delta: 1 });
  return out;
}

const leCache = new WeakMap<readonly number[], string[]>();

/** The `le` label values of a histogram's bounds, +Inf last (cached: this is the write path). */
function leLabels(bounds: readonly number[]): string[] {
  let les = leCache.get(bounds);
  if (les === undefined) {
    les = [...bounds.map(String), InfLe];
    leCache.set(bounds, les);
  }
  return les;
}

/** Changes as the series deltas /metrics applies. */
export function expandChanges(changes: CounterChange[]): CounterDelta[] {
  return changes.flatMap((c) =>
    c.kind === 'inc'
      ? [{ name: c.name, labels: c.labels, delta: c.delta }]
      : histogramDeltas(c.histogram, c.labels, HistogramBounds[c.histogram] ?? [], c.value),
  );
}

function bootsTotalLabels(boot: StoredBoot): Record<string, string> {
  return {
    [PromLabel.amiId]: boot.amiId,
    [PromLabel.amiVersion]: boot.amiVersion,
    [PromLabel.region]: boot.region,
    [PromLabel.asg]: boot.asg ?? '',
    [PromLabel.instanceType]: boot.instanceType,
    [PromLabel.outcome]: boot.outcome,
    [PromLabel.reason]: boot.reason,
  };
}

/** A first boot counted: boots_total, the time-to-ready histogram and one histogram per phase. */
export function bootChanges(boot: StoredBoot): CounterChange[] {
  if (!boot.firstBoot) return []; // reboots are stored and shown, not counted
  const ttrLabels = {
    [PromLabel.amiVersion]: boot.amiVersion,
    [PromLabel.region]: boot.region,
    [PromLabel.asg]: boot.asg ?? '',
    [PromLabel.outcome]: boot.outcome,
  };
  const changes: CounterChange[] = [
    { kind: 'inc', name: PromMetric.bootsTotal, labels: bootsTotalLabels(boot), delta: 1 },
    {
      kind: 'observe',
      histogram: PromMetric.timeToReadySeconds,
      labels: ttrLabels,
      value: boot.timeToReadySeconds,
    },
  ];
  for (const phase of Phases) {
    const seconds = boot.phases[phase];
    if (seconds === undefined) continue;
    const labels = { [PromLabel.amiVersion]: boot.amiVersion, [PromLabel.phase]: phase };
    changes.push({
      kind: 'observe',
      histogram: PromMetric.bootPhaseSeconds,
      labels,
      value: seconds,
    });
  }
  return changes;
}

/** A counted boot taken back by a correction: +1 under the labels it was counted with. */
export function retractionChanges(boot: StoredBoot): CounterChange[] {
  if (!boot.firstBoot) return [];
  const labels = bootsTotalLabels(boot);
  return [{ kind: 'inc', name: PromMetric.bootsRetractedTotal, labels, delta: 1 }];
}

/** A new instance launch, labelled with what is known when it is first seen. */
export function launchChanges(launch: LaunchRow, amiVersion: string): CounterChange[] {
  const labels = {
    [PromLabel.amiId]: launch.amiId ?? '',
    [PromLabel.amiVersion]: amiVersion,
    [PromLabel.region]: launch.region ?? '',
    [PromLabel.asg]: launch.asg ?? '',
    [PromLabel.instanceType]: launch.instanceType ?? '',
  };
  return [{ kind: 'inc', name: PromMetric.launchesTotal, labels, delta: 1 }];
}

/** The series deltas of a counted first boot (bootChanges, expanded). */
export function bootCounterDeltas(boot: StoredBoot): CounterDelta[] {
  return expandChanges(bootChanges(boot));
}

/** The series delta of a retraction (retractionChanges, expanded). */
export function retractionDeltas(boot: StoredBoot): CounterDelta[] {
  return expandChanges(retractionChanges(boot));
}

/** Labels as canonical JSON (keys sorted): one text per label set, the storage key. */
export function labelsKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => cmp(a, b))));
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sums deltas of the same series, sorted by name then labels. */
export function mergeCounterDeltas(deltas: CounterDelta[]): CounterDelta[] {
  const merged = new Map<string, CounterDelta>();
  for (const d of deltas) {
    const id = `${d.name}\u0000${labelsKey(d.labels)}`;
    const seen = merged.get(id);
    if (seen === undefined) merged.set(id, { name: d.name, labels: d.labels, delta: d.delta });
    else seen.delta += d.delta;
  }
  return [...merged.entries()].sort(([a], [b]) => cmp(a, b)).map(([, d]) => d);
}
