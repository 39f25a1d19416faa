// Events and errors of each SLI over a window, from the per-minute counts (DESIGN.md, SLO engine):
// - boot_success: events = first boots decided (launches: no_report and terminated_before_ready
//   included), errors = those that failed;
// - time_to_ready: events = launches, good = successes ready within the threshold (a bucket
//   bound, so an exact count), errors = the rest (a failure is not ready);
// - agent_coverage: events = instance-minutes running, errors = instance-minutes without a
//   heartbeat (one sample a minute);
// - replacement_rate: errors = launches fleet-wide, events = instance-days (the average of the
//   running samples in the window times its length): launches per instance-day.
import { TimeToReadyBuckets } from '../../shared/conventions.js';
import type { Slo } from '../../shared/slo/model.js';
import type { GroupCounts } from './evaluate.js';
import { BucketChannels, Channel, type Family } from './family.js';
import { FleetChannel, FleetChannels, type FleetSamples } from './fleet-samples.js';
import { windowRange } from './rollup-book.js';

const MinutesPerDay = 1440;
const MinuteMs = 60_000;

/**
 * Window sums of the groups of a family, computed once per evaluation and shared by the SLOs that
 * read the same family (ten SLOs by AMI version need each sum once, not ten times): one array per
 * group holding every window's channels, window after window.
 */
export class WindowSums {
  private readonly cache = new Map<Family, Map<string, Float64Array>>();
  private readonly index = new Map<number, number>();

  constructor(
    private readonly nowMinute: number,
    readonly windowsMs: readonly number[],
  ) {
    windowsMs.forEach((ms, i) => this.index.set(ms, i));
  }

  /** Where window `ms` starts in of()'s array, in channels. */
  offset(family: Family, windowMs: number): number {
    return this.index.get(windowMs)! * family.channels;
  }

  of(family: Family, group: string): Float64Array {
    let byGroup = this.cache.get(family);
    if (!byGroup) this.cache.set(family, (byGroup = new Map()));
    let sums = byGroup.get(group);
    if (!sums) {
      const c = family.channels;
      sums = new Float64Array(this.windowsMs.length * c);
      this.windowsMs.forEach((ms, i) => {
        family.sum(
          group,
          windowRange(this.nowMinute, ms / MinuteMs),
          sums!.subarray(i * c, (i + 1) * c),
        );
      });
      byGroup.set(group, sums);
    }
    return sums;
  }
}

/** Counts of one group of a rollup SLI (boot_success, time_to_ready) over each window. */
export function rollupWindowCounts(
  slo: Slo,
  family: Family,
  group: string,
  sums: WindowSums,
  windowsMs: readonly number[],
): GroupCounts {
  const ttr = slo.sli === 'time_to_ready';
  const upTo = ttr
    ? (TimeToReadyBuckets as readonly number[]).indexOf(slo.thresholdSeconds ?? -1)
    : -1;
  const all = sums.of(family, group);
  const events = new Float64Array(windowsMs.length);
  const errors = new Float64Array(windowsMs.length);
  const offsets = windowsMs.map((ms) => sums.offset(family, ms));
  offsets.forEach((o, i) => {
    events[i] = all[o + Channel.launches]!;
    let good = all[o + Channel.successes]!;
    if (ttr) {
      good = 0;
      for (let b = 0; b <= upTo; b += 1) good += all[o + Channel.firstBucket + b]!;
    }
    errors[i] = events[i]! - good;
  });
  const buckets = ttr
    ? (i: number) => {
        const from = offsets[i]! + Channel.firstBucket;
        return all.subarray(from, from + BucketChannels);
      }
    : undefined;
  return { windowsMs, events, errors, buckets };
}

/** Counts of a fleet-wide SLI (agent_coverage, replacement_rate) over each window. */
export function fleetWindowCounts(
  slo: Slo,
  fleet: FleetSamples,
  launches: Family | undefined,
  nowMinute: number,
  windowsMs: readonly number[],
): GroupCounts {
  const samples = new Float64Array(FleetChannels);
  const sums = new Float64Array(Channel.firstBucket);
  const events = new Float64Array(windowsMs.length);
  const errors = new Float64Array(windowsMs.length);
  windowsMs.forEach((windowMs, i) => {
    const minutes = windowMs / MinuteMs;
    const range = windowRange(nowMinute, minutes);
    samples.fill(0);
    fleet.sum(range, samples);
    const running = samples[FleetChannel.running]!;
    if (slo.sli === 'agent_coverage') {
      events[i] = running;
      errors[i] = running - samples[FleetChannel.heartbeating]!;
      return;
    }
    sums.fill(0);
    for (const [group] of launches?.groups() ?? []) {
      launches?.sum(group, range, sums, [Channel.launches]);
    }
    const sampled = samples[FleetChannel.samples]!;
    events[i] = sampled > 0 ? ((running / sampled) * minutes) / MinutesPerDay : 0;
    errors[i] = sums[Channel.launches]!;
  });
  return { windowsMs, events, errors };
}
