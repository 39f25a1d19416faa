// Coverage heartbeats. What the store keeps: one row per instance, its latest heartbeat time
// (and the AMI, region and Auto Scaling group it gave), updated in place; no history. Coverage
// (running instances, and those of them heartbeating within the heartbeat window) reads running
// launches through their own index and these rows by key, so it costs the same after a day or a
// year of heartbeats: it follows the fleet, not the heartbeats received. Rows go when their
// instance ended (terminated or failed launch: at the next hourly prune, whatever their age) or
// when older than the retention.
//
// Writes: a heartbeat less than `refresh` after the stored one of its instance writes nothing.
// The collector uses half its heartbeat window (2.5 min of the default 5 min), so that an agent
// heartbeating every minute rewrites its row every third heartbeat: on PostgreSQL each rewrite is
// about 130 bytes of WAL, 190 GB a day for a million instances written every minute (bench/,
// storage). Why it stays exact for live agents: with interval I and refresh R, the stored time
// is at most R behind the agent's latest heartbeat, which is at most I old, so a live agent is
// counted while I + R <= window; with R = window / 2, whenever the agent's interval is at most
// half the window (1 min against 5 min by default). An agent that stops drops out of coverage
// between window - R and window after its last heartbeat, instead of exactly at the window.
import type { Heartbeat } from '../model.js';

/** The latest heartbeat of each instance in a batch (a batch may carry several per instance). */
export function latestHeartbeats(beats: readonly Heartbeat[]): Heartbeat[] {
  const latest = new Map<string, Heartbeat>();
  for (const b of beats) {
    const seen = latest.get(b.instanceId);
    if (seen === undefined || b.atMs >= seen.atMs) {
      latest.set(b.instanceId, { ...b, atMs: Math.round(b.atMs) }); // stored as an integer
    }
  }
  return [...latest.values()].sort((a, b) =>
    a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0,
  );
}
