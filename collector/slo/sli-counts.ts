// Events and errors of each SLI over a window, from the per-minute counts (DESIGN.md, SLO engine):
// - boot_success: events = first boots decided (launches: no_report and terminated_before_ready
//   included), errors = those that failed;
// - time_to_ready: events = launches, good = successes ready within the threshold (a bucket
//   bound, so an exact count), errors = the rest (a failure is not ready);
// - agent_coverage: events = instance-minutes running, errors = instance-minutes without a
//   heartbeat (one sample a minute);
// - replacement_rate: errors = launches fleet-wide, events = instance-days (the average of the
//   running samples in the window times its length): launches per instance-day.
import type { Slo } from '../../shared/slo/model.js';
import type { CountTable, SloPlan } from './evaluate.js';
import { BucketChannels, Channel, type Family } from './family.js';
import { FleetChannel, FleetChannels, type FleetSamples } from './fleet-samples.js';
import { windowRange } from './rollup-book.js';

const MinutesPerDay = 1440;
const MinuteMs = 60_000;

/** A family's window sums of one evaluation (Family.windowSums), shared by the SLOs reading it. */
export interface FamilySums {
  family: Family;
  sums: Float64Array;
}

/** Where each of an SLO's windows sits among the family's windows. */
function windowIndexes(family: Family, windowsMs: readonly number[]): number[] {
  return windowsMs.map((ms) => {
    const i = family.windows.indexOf(ms / MinuteMs);
    if (i < 0) throw new Error(`the ${ms / MinuteMs}-minute window is not kept by its family`);
    return i;
  });
}

/**
 * Counts of a rollup SLI (boot_success, time_to_ready), one row per group of the family (row =
 * group number), over each of the SLO's windows.
 */
export function rollupWindowCounts(plan: SloPlan, f: FamilySums): CountTable {
  const { family, sums } = f;
  const windowsMs = plan.windowsMs;
  const ttr = plan.slo.sli === 'time_to_ready';
  const c = family.channels;
  const perGroup = family.windows.length * c;
  const groups = sums.length / perGroup;
  const n = windowsMs.length;
  const index = Int32Array.from(windowIndexes(family, windowsMs));
  const events = new Float64Array(groups * n);
  const errors = new Float64Array(groups * n);
  // Good boots: successes, or for time_to_ready those ready within the threshold, one channel
  // (the buckets are cumulative); none when the threshold is no bound (validation makes it one).
  const good = ttr ? (plan.upTo < 0 ? -1 : Channel.firstBucket + plan.upTo) : Channel.successes;
  for (let g = 0; g < groups; g += 1) {
    for (let i = 0; i < n; i += 1) {
      const at = g * perGroup + index[i]! * c;
      const launches = sums[at + Channel.launches]!;
      events[g * n + i] = launches;
      errors[g * n + i] = launches - (good < 0 ? 0 : sums[at + good]!);
    }
  }
  const buckets = ttr
    ? (r: number, i: number) => bucketsAt(sums, r * perGroup + index[i]! * c)
    : undefined;
  return { windowsMs, events, errors, buckets };
}

/** The successes of each bucket alone (as quantiles want them), from the cumulative channels. */
function bucketsAt(sums: Float64Array, at: number): number[] {
  const out: number[] = [];
  let below = 0;
  for (let b = 0; b < BucketChannels; b += 1) {
    const ready = sums[at + Channel.firstBucket + b]!;
    out.push(ready - below);
    below = ready;
  }
  return out;
}

/** Counts of a fleet-wide SLI (agent_coverage, replacement_rate) over each window: one row. */
export function fleetWindowCounts(
  slo: Slo,
  fleet: FleetSamples,
  launches: FamilySums | undefined,
  nowMinute: number,
  windowsMs: readonly number[],
): CountTable {
  const samples = new Float64Array(FleetChannels);
  const events = new Float64Array(windowsMs.length);
  const errors = new Float64Array(windowsMs.length);
  const index = launches ? windowIndexes(launches.family, windowsMs) : [];
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
    let launched = 0;
    if (launches) {
      const c = launches.family.channels;
      const perGroup = launches.family.windows.length * c;
      for (let o = index[i]! * c; o < launches.sums.length; o += perGroup) {
        launched += launches.sums[o + Channel.launches]!;
      }
    }
    const sampled = samples[FleetChannel.samples]!;
    events[i] = sampled > 0 ? ((running / sampled) * minutes) / MinutesPerDay : 0;
    errors[i] = launched;
  });
  return { windowsMs, events, errors };
}
