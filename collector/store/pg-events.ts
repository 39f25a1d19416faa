// The PostgreSQL store's writes of what EC2 and the agents say about instances besides boots:
// events (launches) and heartbeats (coverage), each batched across requests (pg-store.ts). Lock
// order as in pg-writes.ts: instance locks (sorted), launch rows (sorted), counters.
import type pg from 'pg';
import { UnknownVersion } from '../../shared/conventions.js';
import type { Heartbeat, InstanceEvent } from '../model.js';
import { cmp, launchCounters } from './counter-deltas.js';
import { latestHeartbeats } from './heartbeats.js';
import { launchKey, mergeEvents, type LaunchRow } from './launch-merge.js';
import { counterParams } from './pg-boot-sql.js';
import { Sql } from './pg-sql.js';
import { run, type Db } from './pg-tx.js';
import { versions } from './pg-writes.js';
import { LaunchColumns, launchValues, ms, rowToLaunch, type SqlValue } from './rows.js';
import { SharedRows } from './shared-rows.js';
import type { CounterDelta, EventsWritten, EventWrite } from './store.js';

/**
 * The events of several requests, in one transaction: deduplicated (the first request to carry
 * an event id has it, as if they were written one after the other), merged into launches, new
 * launches counted, each count going back with the request whose event made the launch known.
 * A fixed number of statements whatever the batch size.
 */
export async function writeEvents(
  db: Db,
  replicaId: string,
  writes: readonly EventWrite[],
): Promise<EventsWritten[]> {
  const first = new Map<string, { event: InstanceEvent; receivedAtMs: number }>();
  for (const w of writes) {
    for (const event of w.events) {
      if (!first.has(event.eventId))
        first.set(event.eventId, { event, receivedAtMs: w.receivedAtMs });
    }
  }
  // Inserted in event id order so that two batches sharing events wait, never deadlock.
  const byId = [...first.values()].sort((a, b) => cmp(a.event.eventId, b.event.eventId));
  const inserted = await run(db, Sql.insertEvents, [
    byId.map((x) => x.event.eventId),
    byId.map((x) => launchKey(x.event)),
    byId.map((x) => x.event.kind),
    byId.map((x) => ms(x.event.atMs)),
    byId.map((x) => ms(x.receivedAtMs)),
  ]);
  const newIds = new Set(inserted.map((r) => String(r.event_id)));
  const results = writes.map((w) => ({
    fresh: w.events.filter((e) => newIds.delete(e.eventId)), // the first of any repeats
    counters: [] as CounterDelta[],
  }));
  const fresh = results.flatMap((r) => r.fresh);
  const keys = [...new Set(fresh.map(launchKey))].sort(cmp);
  if (keys.length === 0) return results;
  await run(db, Sql.lockInstances, [keys]);
  const before = new Map(
    (await run(db, Sql.getLaunches, [keys])).map(rowToLaunch).map((l) => [l.instanceId, l]),
  );
  const merged = mergeEvents(fresh, before);
  const created = [...merged.created];
  const reported = new Set(
    (await run(db, Sql.agentFirstBoots, [created])).map((r) => String(r.instance_id)),
  );
  const changed = merged.changed.sort((a, b) => cmp(a.instanceId, b.instanceId));
  for (const row of changed) {
    if (merged.created.has(row.instanceId)) row.reported = reported.has(row.instanceId);
  }
  if (changed.length > 0) await run(db, Sql.putLaunches, launchColumns(changed));
  const known = await versions(
    db,
    merged.launched.map((l) => l.amiId),
  );
  const shared = new SharedRows();
  for (const launch of merged.launched) {
    const counters = launchCounters(launch, known.get(launch.amiId ?? '') ?? UnknownVersion);
    const owner = results.find((r) => r.fresh.some((e) => launchKey(e) === launch.instanceId));
    owner?.counters.push(...counters);
    shared.addCounters(counters);
  }
  await addCounters(db, replicaId, shared.counters());
  return results;
}

/** Launch rows as one array per column, for Sql.putLaunches. */
function launchColumns(rows: readonly LaunchRow[]): SqlValue[][] {
  const values = rows.map(launchValues);
  return LaunchColumns.map((_, j) => values.map((v) => v[j] ?? null));
}

/**
 * The latest heartbeat of each instance, in one statement (sorted: the lock order), unless the
 * stored one is less than `refreshMs` older (heartbeats.ts).
 */
export async function putHeartbeats(
  db: Db | pg.Pool,
  beats: readonly Heartbeat[],
  refreshMs: number,
): Promise<void> {
  const latest = latestHeartbeats(beats);
  await run(db, Sql.putHeartbeats, [
    latest.map((b) => b.instanceId),
    latest.map((b) => b.amiId),
    latest.map((b) => b.amiVersion),
    latest.map((b) => b.region),
    latest.map((b) => b.asg),
    latest.map((b) => b.atMs),
    Math.round(refreshMs),
  ]);
}

async function addCounters(db: Db, replicaId: string, rows: CounterDelta[]): Promise<void> {
  if (rows.length > 0) await run(db, Sql.addCounters, counterParams(replicaId, rows));
}
