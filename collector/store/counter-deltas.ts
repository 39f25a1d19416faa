// The Prometheus counters a store write moves. Pure. One delta per family and label set: a boot
// is one boots_total increment, one time-to-ready observation and one observation per phase, and
// an observation is a bucket vector with a single 1, not one delta per cumulative `le` series.
import { Phases } from '../../shared/conventions.js';
import type { StoredBoot } from '../model.js';
import {
  bucketCount,
  CounterFamilies,
  counterFamily,
  type CounterFamily,
} from './counter-families.js';
import type { LaunchRow } from './launch-merge.js';
import { bucketIndex } from './rollup-math.js';
import { seriesKey } from './series-key.js';
import type { CounterDelta, CounterIncrement, HistogramDelta } from './store.js';

export function increment(
  family: CounterFamily,
  labels: string[],
  value: number,
): CounterIncrement {
  return { kind: 'counter', family: family.name, labels, key: seriesKey(labels), value };
}

/** Frozen one-hot bucket vectors, one per family and bucket: an observation allocates none. */
const unitVectors = new Map<string, readonly (readonly number[])[]>();

function unitBuckets(family: CounterFamily, index: number): readonly number[] {
  let vectors = unitVectors.get(family.name);
  if (vectors === undefined) {
    const n = bucketCount(family);
    vectors = Array.from({ length: n }, (_, i) =>
      Object.freeze(Array.from({ length: n }, (_x, j) => (i === j ? 1 : 0))),
    );
    unitVectors.set(family.name, vectors);
  }
  return vectors[index] as readonly number[];
}

/** One observation of a histogram: a 1 in the first bucket whose bound holds the value. */
export function observation(
  family: CounterFamily,
  labels: string[],
  value: number,
): HistogramDelta {
  const buckets = unitBuckets(family, bucketIndex(value, family.bounds));
  return {
    kind: 'histogram',
    family: family.name,
    labels,
    key: seriesKey(labels),
    buckets,
    sum: value,
  };
}

function bootLabels(boot: StoredBoot): string[] {
  return [
    boot.amiId,
    boot.amiVersion,
    boot.region,
    boot.asg ?? '',
    boot.instanceType,
    boot.outcome,
    boot.reason,
  ];
}

function timeToReadyLabels(boot: StoredBoot): string[] {
  return [boot.amiVersion, boot.region, boot.asg ?? '', boot.outcome];
}

/** A first boot counted: boots_total, the time-to-ready histogram and one histogram per phase. */
export function bootCounters(boot: StoredBoot): CounterDelta[] {
  if (!boot.firstBoot) return []; // reboots are stored and shown, not counted
  const out = [
    increment(CounterFamilies.bootsTotal, bootLabels(boot), 1),
    observation(CounterFamilies.timeToReady, timeToReadyLabels(boot), boot.timeToReadySeconds),
  ];
  for (const phase of Phases) {
    const seconds = boot.phases[phase];
    if (seconds === undefined) continue;
    out.push(observation(CounterFamilies.phase, [boot.amiVersion, phase], seconds));
  }
  return out;
}

/**
 * A counted boot taken back by a correction: +1 under the labels it was counted with, and its
 * time-to-ready observation in the retraction histogram, so that bucket - retracted bucket counts
 * each boot once even when two reports of it gave different times. (Phases are not retracted:
 * they describe what each report saw, and no rule reads them.)
 */
export function retractionCounters(boot: StoredBoot): CounterDelta[] {
  if (!boot.firstBoot) return [];
  return [
    increment(CounterFamilies.bootsRetracted, bootLabels(boot), 1),
    observation(
      CounterFamilies.timeToReadyRetracted,
      timeToReadyLabels(boot),
      boot.timeToReadySeconds,
    ),
  ];
}

/** A new instance launch, labelled with what is known when it is first seen. */
export function launchCounters(launch: LaunchRow, amiVersion: string): CounterDelta[] {
  const labels = [
    launch.amiId ?? '',
    amiVersion,
    launch.region ?? '',
    launch.asg ?? '',
    launch.instanceType ?? '',
  ];
  return [increment(CounterFamilies.launches, labels, 1)];
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sums of deltas per series, gathered one delta at a time (a batch's boots) and read once, merged
 * and sorted. Each series costs one map entry and, for a histogram, one bucket array.
 */
export class CounterSums {
  /** By family, then by series key: the keys are the deltas' own strings, hashed once. */
  private readonly sums = new Map<string, Map<string, Sum>>();

  add(d: CounterDelta): void {
    let family = this.sums.get(d.family);
    if (family === undefined) {
      family = new Map();
      this.sums.set(d.family, family);
    }
    const sum = family.get(d.key);
    if (sum === undefined) {
      const value = d.kind === 'counter' ? d.value : d.sum;
      family.set(d.key, { first: d, value, buckets: d.kind === 'counter' ? [] : [...d.buckets] });
      return;
    }
    if (d.kind === 'counter') {
      sum.value += d.value;
      return;
    }
    sum.value += d.sum;
    for (let i = 0; i < sum.buckets.length; i++) {
      sum.buckets[i] = (sum.buckets[i] ?? 0) + (d.buckets[i] ?? 0);
    }
  }

  /**
   * One delta per series that adds something, sorted by family then key: one order for every
   * writer, so that PostgreSQL transactions lock counter rows alike.
   */
  merged(): CounterDelta[] {
    const out: CounterDelta[] = [];
    for (const family of this.sums.values()) {
      for (const { first, value, buckets } of family.values()) {
        if (first.kind === 'counter') {
          if (value !== 0) out.push({ ...first, value });
        } else if (value !== 0 || buckets.some((n) => n !== 0)) {
          out.push({ ...first, buckets, sum: value });
        }
      }
    }
    return out.sort((a, b) => cmp(a.family, b.family) || cmp(a.key, b.key));
  }
}

interface Sum {
  first: CounterDelta;
  value: number;
  buckets: number[];
}

/** Sums the deltas of the same series and drops those that add nothing (CounterSums). */
export function mergeCounterDeltas(deltas: readonly CounterDelta[]): CounterDelta[] {
  const sums = new CounterSums();
  for (const d of deltas) sums.add(d);
  return sums.merged();
}

/** A delta's labels by name (for reading and tests; the write path never builds one). */
export function labelRecord(d: Pick<CounterDelta, 'family' | 'labels'>): Record<string, string> {
  const names = counterFamily(d.family)?.labels ?? [];
  return Object.fromEntries(names.map((name, i) => [name, d.labels[i] ?? '']));
}
