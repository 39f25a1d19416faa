// Coverage heartbeats: only the latest one per instance matters.
import type { Heartbeat } from '../model.js';

/** The latest heartbeat of each instance in a batch (a batch may carry several per instance). */
export function latestHeartbeats(beats: Heartbeat[]): Heartbeat[] {
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
