// Instances running and heartbeating, sampled once a minute at evaluation (the store keeps only
// the current values), for the fleet-wide SLIs: agent coverage (heartbeating / running, in
// instance-minutes) and replacement rate (launches per instance-day). Kept in memory: after a
// restart these windows fill up again from the first sample.
import { PrefixLog, type MinuteRange } from './prefix-log.js';

export const FleetChannel = { samples: 0, running: 1, heartbeating: 2 } as const;
export const FleetChannels = 3;

export interface Coverage {
  running: number;
  heartbeating: number;
}

export class FleetSamples {
  private readonly log = new PrefixLog(FleetChannels, 1024);
  /** The current minute's sample: replaced until the minute is over. */
  private pending: { minute: number; values: Float64Array } | null = null;

  record(minute: number, c: Coverage): void {
    if (this.pending && this.pending.minute < minute) {
      this.log.add(this.pending.minute, this.pending.values);
      this.pending = null;
    }
    if (this.pending && this.pending.minute > minute) return; // the clock went back: keep the later one
    // Agents of instances the collector never saw launch cover nobody it knows about.
    const covered = Math.min(c.running, c.heartbeating);
    this.pending = { minute, values: Float64Array.of(1, c.running, covered) };
  }

  /** Adds sample count, running and heartbeating summed over `range` to `out`. */
  sum(range: MinuteRange, out: Float64Array): void {
    this.log.addRange(range, out);
    const p = this.pending;
    if (p && p.minute >= range.from && p.minute < range.to) {
      for (let k = 0; k < FleetChannels; k += 1) out[k]! += p.values[k]!;
    }
  }
}
