// Detected rollouts, for teams whose pipeline does not call the rollout API: what the launches of
// each Auto Scaling group say about the AMI versions it rolled out and rolled back. Pure: the
// launches in, the rollouts out; detect-rollouts.ts (the collector's loop) reads the launches from
// the store and records what this finds.
//
// The rules, per group (an Auto Scaling group in one region), launches taken in launch-time order:
// - The first version seen is where the group stands: no rollout (nothing tells what it replaced).
// - A launch of another version than the group's current one is a switch: a rollout of the new
//   version starts, with the version it replaced as its baseline.
// - A switch back to that baseline within the switch-back window of the rollout's start makes
//   the rollout `rolled_back` (at the switch back). The switch back starts no rollout of its own.
// - A switch to a third version within the window makes the rollout `aborted` (replaced before
//   it was judged: neither kept nor rolled back) and starts a rollout of the third version.
// - A rollout the window passed over with no switch back is `promoted`, at the window's end.
//
// Worked example, window 24 h: launches v1 at 00:00, v2 at 10:00, v2 at 11:00, v1 at 15:00,
// v3 at 20:00 (the next day), v3 at 21:00: the rollout of v2 (baseline v1) starts at 10:00 and is
// rolled back at 15:00; the rollout of v3 (baseline v1) starts at 20:00 and, with no switch back,
// is promoted at 20:00 the day after.
//
// Limitation: a group that launches two versions side by side on purpose (a canary inside one
// group) switches at every launch; such teams should start their rollouts through the API.

import { UnknownVersion } from '../../shared/conventions.js';
import { formatDuration } from '../../shared/duration.js';

/** One launch as the store knows it: from EventBridge / CloudTrail events or an agent's report. */
export interface LaunchSighting {
  instanceId: string;
  asg: string;
  region: string;
  /** The AMI version (the image registry's, or the agent's); 'unknown' is neither a rollout nor a switch. */
  amiVersion: string;
  /** Launch time, epoch ms. */
  atMs: number;
}

export type DetectedState = 'canary' | 'promoted' | 'rolled_back' | 'aborted';

export interface DetectedRollout {
  asg: string;
  region: string;
  candidate: string;
  baseline: string;
  /** The first launch of the candidate after the switch, epoch ms. */
  startedAtMs: number;
  state: DetectedState;
  /** When the state left `canary`, epoch ms; null while it is a canary. */
  finishedAtMs: number | null;
  /** Why it finished, in a sentence; null while it is a canary. */
  note: string | null;
}

export interface DetectOptions {
  /** ms. A switch back within this long after a rollout started makes it a rollback. */
  switchBackWindowMs: number;
  /** epoch ms. A rollout whose window ended by now is promoted. */
  nowMs: number;
}

/**
 * The rollouts the launches show, in order of group (region, then Auto Scaling group) and start.
 * The order of `sightings` does not matter: each group's launches are sorted by time, then by
 * instance id (launches in the same millisecond are decided the same way on every replica).
 */
export function detectRollouts(
  sightings: readonly LaunchSighting[],
  options: DetectOptions,
): DetectedRollout[] {
  if (!(options.switchBackWindowMs > 0)) {
    throw new RangeError(
      `the switch-back window must be a positive duration, got ${options.switchBackWindowMs} ms`,
    );
  }
  const out: DetectedRollout[] = [];
  for (const launches of byGroup(sightings)) out.push(...detectInGroup(launches, options));
  return out;
}

function detectInGroup(
  launches: readonly LaunchSighting[],
  { switchBackWindowMs, nowMs }: DetectOptions,
): DetectedRollout[] {
  const found: DetectedRollout[] = [];
  let current: string | null = null;
  let active: DetectedRollout | null = null;

  const promoteIfDue = (atMs: number) => {
    if (active === null || atMs < active.startedAtMs + switchBackWindowMs) return;
    finish(active, 'promoted', active.startedAtMs + switchBackWindowMs, promotedNote(active));
    active = null;
  };

  for (const launch of launches) {
    promoteIfDue(launch.atMs);
    if (current === null) {
      current = launch.amiVersion;
      continue;
    }
    if (launch.amiVersion === current) continue;
    const previous: string = current;
    current = launch.amiVersion;
    if (active !== null && active.baseline === launch.amiVersion) {
      const note = `the group launched ${active.baseline} again, ${formatDuration(launch.atMs - active.startedAtMs)} after ${active.candidate} started`;
      finish(active, 'rolled_back', launch.atMs, note);
      active = null;
      continue;
    }
    if (active !== null) {
      finish(active, 'aborted', launch.atMs, `replaced by ${launch.amiVersion} within the window`);
    }
    active = {
      asg: launch.asg,
      region: launch.region,
      candidate: launch.amiVersion,
      baseline: previous,
      startedAtMs: launch.atMs,
      state: 'canary',
      finishedAtMs: null,
      note: null,
    };
    found.push(active);
  }
  promoteIfDue(nowMs);
  return found;

  function promotedNote(r: DetectedRollout): string {
    return `no switch back to ${r.baseline} within ${formatDuration(switchBackWindowMs)}`;
  }
}

function finish(r: DetectedRollout, state: DetectedState, atMs: number, note: string): void {
  r.state = state;
  r.finishedAtMs = atMs;
  r.note = note;
}

/** Each group's known-version launches, sorted; groups sorted by region, then name. */
function byGroup(sightings: readonly LaunchSighting[]): LaunchSighting[][] {
  const groups = new Map<string, LaunchSighting[]>();
  for (const s of sightings) {
    if (s.amiVersion === UnknownVersion) continue;
    const key = `${s.region}\u0000${s.asg}`;
    const list = groups.get(key);
    if (list) list.push(s);
    else groups.set(key, [s]);
  }
  return [...groups.keys()].sort().map((key) => (groups.get(key) ?? []).sort(byTimeThenInstance));
}

function byTimeThenInstance(a: LaunchSighting, b: LaunchSighting): number {
  if (a.atMs !== b.atMs) return a.atMs - b.atMs;
  return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
}
