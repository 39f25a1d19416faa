// The PostgreSQL store's writes that read before they write: a batch of boot reports, a batch of
// events, a sweep. Each runs inside the caller's transaction (`db`). Locking, in this order
// everywhere so that writers never deadlock: the instances' advisory locks (sorted), then their
// launch rows, then shared rows (rollups, counters, images) each in sorted order, then the boot
// rows the instance locks protect. Round trips are the cost (each wakes two processes), so a batch
// of reports is a fixed four: BEGIN, lock-mark-read (one function), write the rest, COMMIT.
import type pg from 'pg';
import { UnknownVersion } from '../../shared/conventions.js';
import type { InstanceEvent, StoredBoot } from '../model.js';
import { planBootWrite, type BootWritePlan } from './boot-plan.js';
import { cmp, launchCounters } from './counter-deltas.js';
import { launchKey, mergeEvents } from './launch-merge.js';
import { applyBootsParams, counterParams } from './pg-boot-sql.js';
import { Sql, SweepLockId } from './pg-sql.js';
import { run, type Db } from './pg-tx.js';
import { onlyAdds } from './rollup-math.js';
import { launchValues, ms, rollupValues, rowToBoot, rowToLaunch } from './rows.js';
import { SharedRows } from './shared-rows.js';
import type { CounterDelta, UpsertBootResult } from './store.js';
import { decideLaunch, SweepBatchSize } from './sweep-decision.js';

/**
 * Boot reports of distinct instances, in one transaction: a report, an update, a correction of a
 * collector verdict, or a repeat each. A fixed number of statements whatever the batch size.
 *
 * The read comes after the instance locks and the launch rows, with a snapshot of its own: a
 * sweeper deciding one of these instances holds both (it try-locks and skips what a report
 * holds), so the read sees its verdict, and the report replaces it.
 */
export async function writeBoots(
  db: Db,
  replicaId: string,
  incoming: readonly StoredBoot[],
): Promise<UpsertBootResult[]> {
  // Sorted by instance: the locks are taken in that order, so that batches never deadlock.
  const sorted = [...incoming].sort((a, b) => cmp(a.instanceId, b.instanceId));
  if (sorted.some((b, i) => i > 0 && b.instanceId === sorted[i - 1]?.instanceId)) {
    throw new Error('writeBoots takes one boot per instance');
  }
  const mayReplace = (b: StoredBoot) => b.source === 'agent' && b.firstBoot;
  const rows = (
    await run(db, Sql.lockAndReadBoots, [
      sorted.map((b) => b.instanceId),
      sorted.map((b) => b.bootId),
      sorted.map(mayReplace),
    ])
  ).map(rowToBoot);
  const byInstance = new Map<string, StoredBoot[]>();
  for (const r of rows) byInstance.set(r.instanceId, [...(byInstance.get(r.instanceId) ?? []), r]);
  const plans = incoming.map((b) => {
    const mine = byInstance.get(b.instanceId) ?? [];
    const existing = mine.find((r) => r.bootId === b.bootId) ?? null;
    const replaces = (mayReplace(b) && mine.find((r) => r.bootId === '')) || null;
    return planBootWrite(b, existing, replaces);
  });
  await applyPlans(
    db,
    replicaId,
    plans.filter((p) => p.status !== 'unchanged'),
  );
  return plans.map((p) => ({ status: p.status, boot: p.boot, counters: p.counters }));
}

/**
 * Rollup moves (a correction takes a contribution away) one row at a time, sorted; then everything
 * else in one statement: shared rows each kind in sorted order, then the boots, which the instance
 * locks protect.
 */
async function applyPlans(db: Db, replicaId: string, plans: BootWritePlan[]): Promise<void> {
  if (plans.length === 0) return;
  const shared = new SharedRows();
  plans.forEach((p) => shared.add(p));
  const rollups = shared.rollups();
  for (const d of rollups.filter((x) => !onlyAdds(x))) {
    const values = rollupValues(d);
    await run(db, Sql.moveRollup, values);
    await run(db, Sql.deleteEmptyRollup, values.slice(0, 8));
  }
  await run(
    db,
    Sql.applyBoots,
    applyBootsParams(replicaId, {
      rollups: rollups.filter(onlyAdds),
      changes: shared.changes(),
      counters: shared.counters(),
      learned: shared.learned(),
      replaced: plans.flatMap((p) => (p.replaces === null ? [] : [p.replaces])),
      boots: plans.map((p) => p.boot),
    }),
  );
}

async function addCounters(db: Db, replicaId: string, rows: CounterDelta[]): Promise<void> {
  if (rows.length > 0) await run(db, Sql.addCounters, counterParams(replicaId, rows));
}

/** The registry's (or agents') version of each AMI id that has one. */
export async function versions(
  db: Db | pg.Pool,
  amiIds: (string | null)[],
): Promise<Map<string, string>> {
  const ids = [...new Set(amiIds.filter((id): id is string => id !== null && id !== ''))];
  if (ids.length === 0) return new Map();
  const rows = await run(db, Sql.versions, [ids]);
  return new Map(rows.map((r) => [String(r.ami_id), String(r.version)]));
}

/** A batch of events: deduplicated, merged into launches, new launches counted. */
export async function writeEvents(
  db: Db,
  replicaId: string,
  events: InstanceEvent[],
  receivedAtMs: number,
): Promise<{ fresh: InstanceEvent[]; counters: CounterDelta[] }> {
  // Inserted in event id order so that two batches sharing events wait, never deadlock.
  const byId = [...new Map(events.map((e) => [e.eventId, e])).values()].sort((a, b) =>
    a.eventId < b.eventId ? -1 : 1,
  );
  const inserted = await run(db, Sql.insertEvents, [
    byId.map((e) => e.eventId),
    byId.map(launchKey),
    byId.map((e) => e.kind),
    byId.map((e) => ms(e.atMs)),
    ms(receivedAtMs),
  ]);
  const newIds = new Set(inserted.map((r) => String(r.event_id)));
  const fresh = events.filter((e) => newIds.delete(e.eventId)); // first of any repeats
  const keys = [...new Set(fresh.map(launchKey))].sort();
  if (keys.length === 0) return { fresh, counters: [] };
  await run(db, Sql.lockInstances, [keys]);
  const before = new Map(
    (await run(db, Sql.getLaunches, [keys])).map(rowToLaunch).map((l) => [l.instanceId, l]),
  );
  const merged = mergeEvents(fresh, before);
  const created = [...merged.created];
  const reported = new Set(
    (await run(db, Sql.agentFirstBoots, [created])).map((r) => String(r.instance_id)),
  );
  for (const row of merged.changed.sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))) {
    if (merged.created.has(row.instanceId)) row.reported = reported.has(row.instanceId);
    await run(db, Sql.putLaunch, launchValues(row));
  }
  const known = await versions(
    db,
    merged.launched.map((l) => l.amiId),
  );
  const counters = merged.launched.flatMap((l) =>
    launchCounters(l, known.get(l.amiId ?? '') ?? UnknownVersion),
  );
  const shared = new SharedRows();
  shared.addCounters(counters);
  await addCounters(db, replicaId, shared.counters());
  return { fresh, counters };
}

/** One sweep: under the sweep try-lock, at most SweepBatchSize launches decided. */
export async function writeSweep(
  db: Db,
  replicaId: string,
  nowMs: number,
  deadlineMs: number,
): Promise<UpsertBootResult[]> {
  const [lock] = await run(db, Sql.tryLockGlobal, [SweepLockId]);
  if (lock?.ok !== true) return []; // another replica is sweeping
  const candidates = (
    await run(db, Sql.sweepCandidates, [ms(nowMs), ms(deadlineMs), SweepBatchSize])
  ).map(rowToLaunch);
  if (candidates.length === 0) return [];
  // Instances a report is being written for right now are left to that report.
  const ids = candidates.map((l) => l.instanceId);
  const locked = new Set(
    (await run(db, Sql.tryLockInstances, [ids])).map((r) => String(r.instance_id)),
  );
  const mine = candidates.filter((l) => locked.has(l.instanceId));
  const mineIds = mine.map((l) => l.instanceId);
  const reported = new Set(
    (await run(db, Sql.agentFirstBoots, [mineIds])).map((r) => String(r.instance_id)),
  );
  if (reported.size > 0) await run(db, Sql.markAllReported, [[...reported]]);
  const existing = new Map(
    (await run(db, Sql.collectorBoots, [mineIds])).map(rowToBoot).map((b) => [b.instanceId, b]),
  );
  const known = await versions(
    db,
    mine.map((l) => l.amiId),
  );
  const plans: BootWritePlan[] = [];
  const decided: string[] = [];
  for (const launch of mine) {
    if (reported.has(launch.instanceId)) continue;
    const version = known.get(launch.amiId ?? '') ?? null;
    const boot = decideLaunch(launch, version, nowMs, deadlineMs);
    if (boot === null) continue;
    plans.push(planBootWrite(boot, existing.get(launch.instanceId) ?? null, null));
    decided.push(launch.instanceId);
  }
  await applyPlans(
    db,
    replicaId,
    plans.filter((p) => p.status !== 'unchanged'),
  );
  if (decided.length > 0) await run(db, Sql.markDecided, [ms(nowMs), decided]);
  return plans.map((p) => ({ status: p.status, boot: p.boot, counters: p.counters }));
}
