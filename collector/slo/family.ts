// A family: the counts of every group of one grouping (the labels an SLO groups by) summed over
// every window the SLOs evaluate, kept as running totals so that an evaluation reads a total per
// group and window instead of counting. SLOs that group alike share a family, so ten SLOs by
// ami_version keep one copy. Which window a count goes into is the book's business
// (rollup-book.ts): a family adds what it is given to the windows it is told.
//
// Groups are numbered in the order they appear (group-index.ts); totals are kept per number in
// one array: totals[(group * windows + w) * channels + k]. Float64 sums of integers: exact below
// 2^53, so adding and taking away never drifts.
import { TimeToReadyBuckets } from '../../shared/conventions.js';
import type { GroupByLabel } from '../../shared/slo/model.js';
import type { GroupKey, RollupRow } from '../model.js';
import { bucketIndex, type RollupChange } from '../store/rollup-math.js';
import { GroupIndex, type NumberedGroup } from './group-index.js';

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
  private readonly index: GroupIndex;
  private totals = new Float64Array(0);
  /** The latest minute each group had a boot counted: ranks groups for the label cap. */
  private readonly lastActive: number[] = [];
  private readonly scratch: Float64Array;

  /** `windows`: every window an evaluation sums, in minutes, shortest first. */
  constructor(
    readonly spec: FamilySpec,
    readonly windows: readonly number[],
  ) {
    this.channels = spec.buckets ? Channel.firstBucket + BucketChannels : Channel.firstBucket;
    this.scratch = new Float64Array(this.channels);
    this.index = new GroupIndex(spec.labels);
  }

  /** Adds `sign` times a rollup row's counts to windows `from` to `to` - 1 (indexes). */
  addRow(row: RollupRow, sign: 1 | -1, from: number, to: number): void {
    if (row.count === 0) return;
    const v = this.scratch;
    v.fill(0);
    v[Channel.launches] = sign * row.count;
    if (row.outcome === 'success') {
      v[Channel.successes] = sign * row.count;
      if (this.spec.buckets) {
        let ready = 0;
        for (let i = 0; i < BucketChannels; i += 1) {
          ready += row.ttrBuckets[i] ?? 0;
          v[Channel.firstBucket + i] = sign * ready;
        }
      }
    }
    this.add(row, row.minuteMs, sign, from, to);
  }

  /** Adds one boot entering (or leaving) its rollup row to windows `from` to `to` - 1. */
  addChange(change: RollupChange, from: number, to: number): void {
    const v = this.scratch;
    v.fill(0);
    const { sign, key } = change;
    v[Channel.launches] = sign;
    if (key.outcome === 'success') {
      v[Channel.successes] = sign;
      if (this.spec.buckets) {
        // Ready within every bound from its own bucket on (the rollup's bucketIndex).
        const from = bucketIndex(change.ttrSeconds, TimeToReadyBuckets);
        for (let i = from; i < BucketChannels; i += 1) v[Channel.firstBucket + i] = sign;
      }
    }
    this.add(key, key.minuteMs, sign, from, to);
  }

  /** Every group's sums over every window: a copy, which an evaluation's report may keep. */
  windowSums(): Float64Array {
    return this.totals.slice(0, this.index.size * this.windows.length * this.channels);
  }

  /** Groups with any counts, with their labels, in label order (versions numerically). */
  groups(): readonly NumberedGroup[] {
    return this.index.groups();
  }

  /** The number of a row's group, or undefined when the family has never seen it. */
  find(row: GroupKey): number | undefined {
    return this.index.find(row);
  }

  /** The latest minute a group had a boot counted (for ranking), or -1. */
  lastActiveMinute(id: number): number {
    return this.lastActive[id] ?? -1;
  }

  /** Bytes held by the totals. */
  get bytes(): number {
    return this.totals.byteLength;
  }

  private add(key: GroupKey, minuteMs: number, sign: number, from: number, to: number): void {
    const id = this.index.idOf(key);
    const minute = Math.floor(minuteMs / MinuteMs);
    while (this.lastActive.length <= id) this.lastActive.push(-1);
    if (sign > 0 && minute > this.lastActive[id]!) this.lastActive[id] = minute;
    const c = this.channels;
    const n = this.windows.length;
    if ((id + 1) * n * c > this.totals.length) this.grow(id + 1);
    const v = this.scratch;
    for (let w = from; w < to; w += 1) {
      const at = (id * n + w) * c;
      for (let k = 0; k < c; k += 1) this.totals[at + k]! += v[k]!;
    }
  }

  /** Room for at least `groups` groups, doubling: a new group costs amortised constant time. */
  private grow(groups: number): void {
    const per = this.windows.length * this.channels;
    const next = new Float64Array(Math.max(groups, 2 * (this.totals.length / per), 16) * per);
    next.set(this.totals);
    this.totals = next;
  }
}
