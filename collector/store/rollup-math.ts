// Per-minute rollups of first boots: which minute, group and bucket a boot counts in, and how a
// write changes the counts. Pure: both engines apply the deltas computed here.
import { TimeToReadyBuckets, type Outcome, type Reason } from '../../shared/conventions.js';
import type { GroupKey, StoredBoot } from '../model.js';
import { seriesKey } from './series-key.js';

export const MinuteMs = 60_000;

/**
 * One first boot entering (+1) or leaving (-1) its rollup row, as the change feed records it: the
 * SLO engine applies these to its windows, and the time to ready is kept exactly (the rollup keeps
 * only its bucket) for the rollout verdict's rank tests.
 */
export interface RollupChange {
  key: RollupKey;
  sign: 1 | -1;
  ttrSeconds: number;
  /** When the write that made it was received (ms): the feed prunes by it. */
  atMs: number;
}

/** One count per TimeToReadyBuckets bound, plus +Inf. */
export const RollupBucketCount = TimeToReadyBuckets.length + 1;

export interface RollupKey extends GroupKey {
  minuteMs: number;
  outcome: Outcome;
  reason: Reason;
}

/** A change to one rollup row; negative when a correction takes a boot's contribution away. */
export interface RollupDelta {
  key: RollupKey;
  count: number;
  /** Milliseconds, an integer, so that adding and subtracting contributions is exact. */
  ttrSumMs: number;
  /** Non-cumulative, RollupBucketCount entries. */
  buckets: number[];
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / MinuteMs) * MinuteMs;
}

/**
 * The index of the first bound the value fits under (`le` is inclusive, as in Prometheus); the
 * index past the last bound is +Inf. With bounds [5, 10]: 5 -> 0, 5.1 -> 1, 10 -> 1, 11 -> 2.
 */
export function bucketIndex(value: number, bounds: readonly number[]): number {
  const i = bounds.findIndex((bound) => value <= bound);
  return i === -1 ? bounds.length : i;
}

/** A boot's group: a missing Auto Scaling group is '' so that the key never holds a null. */
export function groupOf(boot: StoredBoot): GroupKey {
  return {
    amiId: boot.amiId,
    amiVersion: boot.amiVersion,
    region: boot.region,
    asg: boot.asg ?? '',
    instanceType: boot.instanceType,
  };
}

export function ttrMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** What one first boot adds to (sign 1) or takes from (sign -1) its rollup row. */
export function rollupContribution(boot: StoredBoot, sign: 1 | -1): RollupDelta {
  const buckets = new Array<number>(RollupBucketCount).fill(0);
  buckets[bucketIndex(boot.timeToReadySeconds, TimeToReadyBuckets)] = sign;
  return {
    key: rollupKeyOf(boot),
    count: sign,
    ttrSumMs: sign * ttrMs(boot.timeToReadySeconds),
    buckets,
  };
}

/** The change a first boot's rollup contribution makes, in the minute and group of its outcome. */
export function rollupChange(boot: StoredBoot, sign: 1 | -1, atMs: number): RollupChange {
  return { key: rollupKeyOf(boot), sign, ttrSeconds: boot.timeToReadySeconds, atMs };
}

function rollupKeyOf(boot: StoredBoot): RollupKey {
  return {
    minuteMs: minuteOf(boot.outcomeAtMs),
    ...groupOf(boot),
    // BootReport types outcome and reason as string; the schema has validated them.
    outcome: boot.outcome as Outcome,
    reason: boot.reason as Reason,
  };
}

/**
 * Changes that a rewrite takes back and makes again unchanged (same row, same time to ready)
 * cancel: the feed records only what moved. Order is kept otherwise.
 */
export function netChanges(changes: readonly RollupChange[]): RollupChange[] {
  if (changes.length < 2) return [...changes];
  const out: (RollupChange | null)[] = [...changes];
  for (let i = 0; i < out.length; i += 1) {
    const a = out[i];
    if (!a) continue;
    for (let j = i + 1; j < out.length; j += 1) {
      const b = out[j];
      if (!b || b.sign === a.sign || b.ttrSeconds !== a.ttrSeconds) continue;
      if (rollupKeyString(b.key) !== rollupKeyString(a.key)) continue;
      out[i] = out[j] = null;
      break;
    }
  }
  return out.filter((c): c is RollupChange => c !== null);
}

/**
 * Whether a delta only adds (it may create its row). One that takes anything away applies to a
 * row that exists (the contribution it removes is in it) and must not go through an insert,
 * whose proposed row would fail `count >= 0`.
 */
export function onlyAdds(d: RollupDelta): boolean {
  return d.count >= 0 && d.ttrSumMs >= 0 && d.buckets.every((n) => n >= 0);
}

/** A key's values, in the order of the rollups table's key columns (RollupColumns). */
export function rollupKeyValues(k: RollupKey): [number, ...string[]] {
  return [k.minuteMs, k.amiId, k.amiVersion, k.region, k.asg, k.instanceType, k.outcome, k.reason];
}

/** A stable text form of a key, for merging and for a lock order shared by every writer. */
export function rollupKeyString(k: RollupKey): string {
  return seriesKey(rollupKeyValues(k).map(String));
}

function isEmpty(d: RollupDelta): boolean {
  return d.count === 0 && d.ttrSumMs === 0 && d.buckets.every((n) => n === 0);
}

/**
 * Sums deltas that hit the same row and drops those that cancel out (a rewrite that moved
 * nothing). Sorted by key: PostgreSQL writers then lock rollup rows in one global order.
 */
export function mergeRollupDeltas(deltas: RollupDelta[]): RollupDelta[] {
  if (deltas.length === 1 && deltas[0] !== undefined && !isEmpty(deltas[0])) return [deltas[0]];
  const merged = new Map<string, RollupDelta>();
  for (const d of deltas) {
    const id = rollupKeyString(d.key);
    const seen = merged.get(id);
    if (seen === undefined) {
      merged.set(id, { key: d.key, count: d.count, ttrSumMs: d.ttrSumMs, buckets: [...d.buckets] });
      continue;
    }
    seen.count += d.count;
    seen.ttrSumMs += d.ttrSumMs;
    d.buckets.forEach((n, i) => (seen.buckets[i] = (seen.buckets[i] ?? 0) + n));
  }
  return [...merged.entries()]
    .filter(([, d]) => !isEmpty(d))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, d]) => d);
}
