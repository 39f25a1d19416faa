// Launch facts merged from events. Pure: the engines read the launch rows a batch of events
// touches, merge them here and write back what changed.
import type { Launch, InstanceEvent } from '../model.js';
import type { StoredLaunch } from './store.js';

/**
 * A launch row as kept. `launchedAtMs` is null while only a termination has been seen: EventBridge
 * does not order events, and a termination that arrives before the launch must not be lost.
 */
export interface LaunchRow extends Omit<StoredLaunch, 'launchedAtMs'> {
  launchedAtMs: number | null;
}

/**
 * The launch key: the instance id, or for an Auto Scaling launch failure that names no instance,
 * the event id (each failed launch is then a launch of its own).
 */
export function launchKey(event: InstanceEvent): string {
  return event.instanceId !== '' ? event.instanceId : event.eventId;
}

/** Later states win whatever order events arrive in. */
const StateRank: Record<Launch['state'], number> = {
  launched: 0,
  running: 1,
  launch_failed: 2,
  terminated: 3,
};

const LaunchKinds = new Set<InstanceEvent['kind']>(['launched', 'launch_failed', 'running']);

function earliest(a: number | null, b: number): number {
  return a === null ? b : Math.min(a, b);
}

/**
 * Merges one event into a launch. The first launch time wins; fields are filled when the event
 * knows them and the launch does not yet. Returns null for an event that says nothing about a
 * launch we know ('other' for an instance never seen).
 */
export function mergeLaunch(existing: LaunchRow | null, event: InstanceEvent): LaunchRow | null {
  if (existing === null && event.kind === 'other') return null;
  const base: LaunchRow = existing ?? {
    instanceId: launchKey(event),
    launchedAtMs: null,
    amiId: null,
    region: null,
    accountId: null,
    instanceType: null,
    availabilityZone: null,
    asg: null,
    state: 'launched',
    terminatedAtMs: null,
    reported: false,
    decidedAtMs: null,
    statusMessage: null,
  };
  const next: LaunchRow = {
    ...base,
    amiId: base.amiId ?? event.amiId ?? null,
    region: base.region ?? event.region ?? null,
    accountId: base.accountId ?? event.accountId ?? null,
    instanceType: base.instanceType ?? event.instanceType ?? null,
    availabilityZone: base.availabilityZone ?? event.availabilityZone ?? null,
    asg: base.asg ?? event.asg ?? null,
  };
  if (LaunchKinds.has(event.kind)) next.launchedAtMs = earliest(base.launchedAtMs, event.atMs);
  if (event.kind === 'terminated') next.terminatedAtMs = earliest(base.terminatedAtMs, event.atMs);
  if (event.kind === 'launch_failed') next.statusMessage = event.message ?? base.statusMessage;
  if (event.kind !== 'other' && StateRank[event.kind] > StateRank[next.state]) {
    next.state = event.kind;
  }
  return next;
}

export function sameLaunch(a: LaunchRow, b: LaunchRow): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The launch as the Store interface shows it: null until its launch time is known. */
export function publicLaunch(row: LaunchRow): StoredLaunch | null {
  return row.launchedAtMs === null ? null : { ...row, launchedAtMs: row.launchedAtMs };
}

export interface MergedEvents {
  /** Rows that differ from what was read (new ones included), to write back. */
  changed: LaunchRow[];
  /** Keys with no row before this batch: their `reported` flag is the engine's to set. */
  created: Set<string>;
  /** Rows whose launch became known in this batch: each is one new launch to count. */
  launched: LaunchRow[];
}

/**
 * Merges a batch of fresh (deduplicated) events into the rows read before it, keyed by
 * launchKey. Launches are counted once the whole batch is merged, so that facts from several
 * events of one launch (EC2 state, Auto Scaling, CloudTrail) label the count together.
 */
export function mergeEvents(
  fresh: InstanceEvent[],
  before: ReadonlyMap<string, LaunchRow>,
): MergedEvents {
  const after = new Map<string, LaunchRow>();
  for (const event of fresh) {
    const key = launchKey(event);
    const merged = mergeLaunch(after.get(key) ?? before.get(key) ?? null, event);
    if (merged !== null) after.set(key, merged);
  }
  const result: MergedEvents = { changed: [], created: new Set(), launched: [] };
  for (const [key, row] of after) {
    const old = before.get(key);
    if (old === undefined) result.created.add(key);
    if (old === undefined || !sameLaunch(old, row)) result.changed.push(row);
    if ((old?.launchedAtMs ?? null) === null && row.launchedAtMs !== null)
      result.launched.push(row);
  }
  return result;
}
