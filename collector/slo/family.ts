// A family: the per-minute counts of every group of one grouping (the labels an SLO groups by).
// SLOs that group alike share a family, so ten SLOs by ami_version keep one copy of the counts.
//
// Counts live in two parts. Settled minutes, older than the correction horizon, are appended once
// and never re-read (a report can still replace a no_report up to the horizon after the fact, not
// later in practice). Recent minutes live in a ring (recent-ring.ts) where any minutes re-read
// from the store replace what was there.
import { TimeToReadyBuckets } from '../../shared/conventions.js';
import type { GroupByLabel } from '../../shared/slo/model.js';
import type { GroupKey, RollupRow } from '../model.js';
import { PrefixLog, type MinuteRange } from './prefix-log.js';
import { RecentRing } from './recent-ring.js';

export const MinuteMs = 60_000;
const collator = new Intl.Collator('en', { numeric: true });

/** Channel layout: launches, successes, then one per time-to-ready bucket of the successes. */
export const Channel = { launches: 0, successes: 1, firstBucket: 2 } as const;
export const BucketChannels = TimeToReadyBuckets.length + 1;

const GroupKeyField: Record<GroupByLabel, keyof GroupKey> = {
  ami_version: 'amiVersion',
  ami_id: 'amiId',
  region: 'region',
  asg: 'asg',
  instance_type: 'instanceType',
};

export interface FamilySpec {
  labels: readonly GroupByLabel[];
  /** Keep the time-to-ready buckets (a time_to_ready SLO uses this family). */
  buckets: boolean;
}

export function familyKey(labels: readonly GroupByLabel[]): string {
  return labels.join(',');
}

/** The group of a rollup row within a grouping: its label values, in the grouping's order. */
export function projectLabels(
  row: GroupKey,
  labels: readonly GroupByLabel[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of labels) out[label] = row[GroupKeyField[label]];
  return out;
}

export class Family {
  readonly channels: number;
  private readonly settled = new Map<string, PrefixLog>();
  private readonly recent: RecentRing;
  private readonly labelsByGroup = new Map<string, Record<string, string>>();
  /** The latest minute each group had events: ranks groups for the label cap on /metrics. */
  private readonly lastActive = new Map<string, number>();
  private readonly scratch: Float64Array;
  private sorted: [string, Record<string, string>][] | null = null;

  constructor(
    readonly spec: FamilySpec,
    horizonMinutes: number,
  ) {
    this.channels = spec.buckets ? Channel.firstBucket + BucketChannels : Channel.firstBucket;
    this.scratch = new Float64Array(this.channels);
    this.recent = new RecentRing(horizonMinutes, this.channels);
  }

  /** Appends rows of minutes that will not change any more (sorted or not). */
  settle(rows: readonly RollupRow[]): void {
    for (const row of byMinute(rows)) {
      const key = this.keyOf(row);
      let log = this.settled.get(key);
      if (!log) {
        log = new PrefixLog(this.channels);
        this.settled.set(key, log);
      }
      log.add(Math.floor(row.minuteMs / MinuteMs), this.values(row));
    }
  }

  /** Trims every settled log to its cells (after a load). */
  compact(): void {
    for (const log of this.settled.values()) log.compact();
  }

  /** The horizon now starts at `minute`: what is before it has been settled. */
  moveRecent(minute: number): void {
    this.recent.moveTo(minute);
  }

  /** Replaces the recent minutes [from, to) with `rows` (re-read from the store). */
  replaceRecent(from: number, to: number, rows: readonly RollupRow[]): void {
    const next = new Map<string, Map<number, Float64Array>>();
    for (const row of rows) {
      const minute = Math.floor(row.minuteMs / MinuteMs);
      if (minute < from || minute >= to) continue;
      const key = this.keyOf(row);
      let byMinute = next.get(key);
      if (!byMinute) next.set(key, (byMinute = new Map()));
      let values = byMinute.get(minute);
      if (!values) byMinute.set(minute, (values = new Float64Array(this.channels)));
      const add = this.values(row);
      for (let k = 0; k < this.channels; k += 1) values[k]! += add[k]!;
    }
    this.recent.replace(from, to, next);
  }

  /** Adds a group's sums over `range` to `out` (all channels, or those in `picks`). */
  sum(group: string, range: MinuteRange, out: Float64Array, picks?: readonly number[]): void {
    const log = this.settled.get(group);
    if (log) {
      if (picks) log.addRangeOf(range, picks, out);
      else log.addRange(range, out);
    }
    this.recent.addRange(group, range.from, range.to, out, picks);
  }

  /** Groups with any counts, with their labels, in label order (versions numerically). */
  groups(): readonly [string, Record<string, string>][] {
    this.sorted ??= [...this.labelsByGroup.entries()]
      .map((entry) => ({ entry, text: Object.values(entry[1]).join('\u0000') }))
      .sort((a, b) => collator.compare(a.text, b.text))
      .map((x) => x.entry);
    return this.sorted;
  }

  /** The latest minute a group had events (for ranking), or -1. */
  lastActiveMinute(group: string): number {
    return this.lastActive.get(group) ?? -1;
  }

  /** Bytes held by the counts. */
  get bytes(): number {
    let total = 0;
    for (const log of this.settled.values()) total += log.bytes;
    return total + this.recent.bytes;
  }

  private keyOf(row: RollupRow): string {
    const labels = projectLabels(row, this.spec.labels);
    const key = JSON.stringify(Object.values(labels));
    if (!this.labelsByGroup.has(key)) {
      this.labelsByGroup.set(key, labels);
      this.sorted = null;
    }
    const minute = Math.floor(row.minuteMs / MinuteMs);
    if (row.count > 0 && minute > (this.lastActive.get(key) ?? -1))
      this.lastActive.set(key, minute);
    return key;
  }

  /** A row's contribution per channel (the scratch array is reused: add() copies it). */
  private values(row: RollupRow): Float64Array {
    const v = this.scratch;
    v.fill(0);
    v[Channel.launches] = row.count;
    if (row.outcome === 'success') {
      v[Channel.successes] = row.count;
      if (this.spec.buckets) {
        for (let i = 0; i < BucketChannels; i += 1) {
          v[Channel.firstBucket + i] = row.ttrBuckets[i] ?? 0;
        }
      }
    }
    return v;
  }
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
