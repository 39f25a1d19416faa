// A family: the per-minute counts of every group of one grouping (the labels an SLO groups by).
// SLOs that group alike share a family, so ten SLOs by ami_version keep one copy of the counts.
//
// Counts live in two parts, each keeping its sums over every window current as minutes are read
// and the clock moves, so that an evaluation reads sums instead of counting. Settled minutes,
// older than the correction horizon, are appended once and never re-read (a report can still
// replace a no_report up to the horizon after the fact, not later in practice): settled-counts.ts.
// Recent minutes live in a ring where any minutes re-read from the store replace what was there:
// recent-ring.ts. A window longer than the horizon is its settled part plus the whole ring.
// Groups are numbered in the order they appear (group-index.ts); counts are kept per number.
import { TimeToReadyBuckets } from '../../shared/conventions.js';
import type { GroupByLabel } from '../../shared/slo/model.js';
import type { GroupKey, RollupRow } from '../model.js';
import { GroupIndex, type NumberedGroup } from './group-index.js';
import { RecentRing } from './recent-ring.js';
import { SettledCounts } from './settled-counts.js';

export const MinuteMs = 60_000;

/**
 * Channel layout: launches, successes, then per time-to-ready bound the successes ready within it
 * (cumulative, as Prometheus' `le` buckets, the last one +Inf): a threshold's good boots are one
 * channel. Example: ready in 30 s, 50 s and 50 s with bounds [45, 60, +Inf] give [1, 3, 3].
 */
export const Channel = { launches: 0, successes: 1, firstBucket: 2 } as const;
export const BucketChannels = TimeToReadyBuckets.length + 1;

export interface FamilySpec {
  labels: readonly GroupByLabel[];
  /** Keep the time-to-ready buckets (a time_to_ready SLO uses this family). */
  buckets: boolean;
}

export function familyKey(labels: readonly GroupByLabel[]): string {
  return labels.join(',');
}

export class Family {
  readonly channels: number;
  private readonly settled: SettledCounts;
  private readonly recent: RecentRing;
  /** Per window, the ring's window holding its recent part (the whole horizon for long ones). */
  private readonly ringOf: number[];
  private readonly index: GroupIndex;
  /** The latest minute each group had events: ranks groups for the label cap on /metrics. */
  private readonly lastActive: number[] = [];
  private readonly scratch: Float64Array;

  /** `windows`: every window an evaluation sums, in minutes (SLO windows are whole minutes). */
  constructor(
    readonly spec: FamilySpec,
    private readonly horizonMinutes: number,
    readonly windows: readonly number[],
  ) {
    this.channels = spec.buckets ? Channel.firstBucket + BucketChannels : Channel.firstBucket;
    this.scratch = new Float64Array(this.channels);
    this.index = new GroupIndex(spec.labels);
    const recent = windows.map((w) => Math.min(w, horizonMinutes));
    const lengths = [...new Set(recent)];
    this.ringOf = recent.map((length) => lengths.indexOf(length));
    this.recent = new RecentRing(horizonMinutes, this.channels, lengths);
    this.settled = new SettledCounts(
      this.channels,
      windows.filter((w) => w > horizonMinutes),
    );
  }

  /** Appends rows of minutes that will not change any more (sorted or not). */
  settle(rows: readonly RollupRow[]): void {
    for (const row of byMinute(rows)) {
      this.settled.add(minuteOf(row), this.groupOf(row), this.values(row));
    }
  }

  /** The windows now end at `nowMinute` (their settled parts: the horizon is moved apart). */
  moveWindows(nowMinute: number): void {
    this.settled.moveTo(nowMinute);
  }

  /** Drops settled counts no window reads and trims room grown for nothing (after a load). */
  compact(): void {
    this.settled.compact();
  }

  /** The horizon now starts at `minute`: what is before it has been settled. */
  moveRecent(minute: number): void {
    this.recent.moveTo(minute);
  }

  /** Replaces the recent minutes [from, to) with `rows` (re-read from the store). */
  replaceRecent(from: number, to: number, rows: readonly RollupRow[]): void {
    const next = new Map<number, Map<number, Float64Array>>();
    for (const row of rows) {
      const minute = minuteOf(row);
      if (minute < from || minute >= to) continue;
      const id = this.groupOf(row);
      let byMinute = next.get(id);
      if (!byMinute) next.set(id, (byMinute = new Map()));
      let values = byMinute.get(minute);
      if (!values) byMinute.set(minute, (values = new Float64Array(this.channels)));
      const add = this.values(row);
      for (let k = 0; k < this.channels; k += 1) values[k]! += add[k]!;
    }
    this.recent.replace(from, to, next);
  }

  /**
   * Every group's sums over every window ending at `nowMinute`, where the windows and the horizon
   * were moved: sums[(id * windows + w) * channels + k]. Integers, exact.
   */
  windowSums(nowMinute: number): Float64Array {
    if (nowMinute !== this.recent.lastMinute) {
      throw new Error(
        `Family.windowSums: at minute ${nowMinute}, the horizon ends at ${this.recent.lastMinute}`,
      );
    }
    const c = this.channels;
    const n = this.windows.length;
    const out = new Float64Array(this.index.size * n * c);
    for (let id = 0; id < this.index.size; id += 1) {
      let long = 0;
      for (let w = 0; w < n; w += 1) {
        if (this.windows[w]! > this.horizonMinutes) {
          this.settled.addTotals(id, long++, out, (id * n + w) * c);
        }
      }
      this.recent.addSums(id, this.ringOf, out, id * n * c);
    }
    return out;
  }

  /** Groups with any counts, with their labels, in label order (versions numerically). */
  groups(): readonly NumberedGroup[] {
    return this.index.groups();
  }

  /** The number of a row's group, or undefined when the family has never seen it. */
  find(row: GroupKey): number | undefined {
    return this.index.find(row);
  }

  /** The latest minute a group had events (for ranking), or -1. */
  lastActiveMinute(id: number): number {
    return this.lastActive[id] ?? -1;
  }

  /** Bytes held by the counts. */
  get bytes(): number {
    return this.settled.bytes + this.recent.bytes;
  }

  /** The number of a row's group, numbering it when new; notes when the group was last active. */
  private groupOf(row: RollupRow): number {
    const id = this.index.idOf(row);
    while (this.lastActive.length <= id) this.lastActive.push(-1);
    const minute = minuteOf(row);
    if (row.count > 0 && minute > this.lastActive[id]!) this.lastActive[id] = minute;
    return id;
  }

  /** A row's contribution per channel (the scratch array is reused: callers copy it). */
  private values(row: RollupRow): Float64Array {
    const v = this.scratch;
    v.fill(0);
    v[Channel.launches] = row.count;
    if (row.outcome === 'success') {
      v[Channel.successes] = row.count;
      if (this.spec.buckets) {
        let ready = 0;
        for (let i = 0; i < BucketChannels; i += 1) {
          ready += row.ttrBuckets[i] ?? 0;
          v[Channel.firstBucket + i] = ready;
        }
      }
    }
    return v;
  }
}

function minuteOf(row: RollupRow): number {
  return Math.floor(row.minuteMs / MinuteMs);
}

/** Rows in minute order (the store returns them so; a cheap check keeps it an assumption-free). */
function byMinute(rows: readonly RollupRow[]): readonly RollupRow[] {
  for (let i = 1; i < rows.length; i += 1) {
    if (rows[i]!.minuteMs < rows[i - 1]!.minuteMs) {
      return [...rows].sort((a, b) => a.minuteMs - b.minuteMs);
    }
  }
  return rows;
}
