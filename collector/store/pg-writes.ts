// The PostgreSQL store's writes that read before they write: a boot report, a batch of events,
// a sweep. Each runs inside the caller's transaction (`db`). Locking, in this order everywhere so
// that writers never deadlock: the instance's advisory lock, then its launch row, then shared rows
// (rollups, then counters) each in sorted order, then the boot rows the instance lock protects.
import type pg from 'pg';
import { UnknownVersion } from '../../shared/conventions.js';
import type { InstanceEvent, StoredBoot } from '../model.js';
import { planBootWrite, type BootWritePlan } from './boot-plan.js';
import { expandChanges, launchChanges } from './counter-deltas.js';
import { toStoredCounters, type StoredCounter } from './counter-storage.js';
import { launchKey, mergeEvents } from './launch-merge.js';
import { Sql, SweepLockId } from './pg-sql.js';
import { run, type Db } from './pg-tx.js';
import { mergeRollupDeltas, onlyAdds } from './rollup-math.js';
import { bootValues, launchValues, ms, rollupValues, rowToBoot, rowToLaunch } from './rows.js';
import type { CounterDelta, UpsertBootResult } from './store.js';
import { decideLaunch, SweepBatchSize } from './sweep-decision.js';

/** A boot report: an insert, an update, a correction of a collector verdict, or a repeat. */
export async function writeBoot(
  db: Db,
  replicaId: string,
  incoming: StoredBoot,
): Promise<UpsertBootResult> {
  await run(db, Sql.lockInstance, [incoming.instanceId]);
  // Before reading: a sweep deciding this instance holds the row; we then see its verdict.
  if (incoming.firstBoot) await run(db, Sql.markReported, [incoming.instanceId]);
  const rows = (
    await run(db, Sql.bootAndReplaced, [incoming.instanceId, incoming.bootId, incoming.firstBoot])
  ).map(rowToBoot);
  const existing = rows.find((b) => b.bootId === incoming.bootId) ?? null;
  const replaces = rows.find((b) => b.bootId === '') ?? null;
  const plan = planBootWrite(incoming, existing, replaces);
  if (plan.status !== 'unchanged') await applyPlans(db, replicaId, [plan]);
  return { status: plan.status, boot: plan.boot, counters: plan.counters };
}

/** Shared rows first, in sorted order; then the boots, which the instance locks protect. */
async function applyPlans(db: Db, replicaId: string, plans: BootWritePlan[]): Promise<void> {
  for (const d of mergeRollupDeltas(plans.flatMap((p) => p.rollups))) {
    const values = rollupValues(d);
    if (onlyAdds(d)) {
      await run(db, Sql.addRollup, values);
      continue;
    }
    await run(db, Sql.moveRollup, values);
    await run(db, Sql.deleteEmptyRollup, values.slice(0, 8));
  }
  await addCounters(db, replicaId, toStoredCounters(plans.flatMap((p) => p.changes)));
  for (const { boot, replaces } of plans) {
    if (boot.source === 'agent' && boot.amiId !== '' && boot.amiVersion !== UnknownVersion) {
      const region = boot.region === '' ? null : boot.region;
      await run(db, Sql.learnImage, [
        boot.amiId,
        region,
        boot.amiName ?? null,
        boot.amiVersion,
        ms(boot.receivedAtMs),
      ]);
    }
    if (replaces !== null) await run(db, Sql.deleteBoot, [replaces.instanceId, replaces.bootId]);
    await run(db, Sql.putBoot, bootValues(boot));
  }
}

async function addCounters(db: Db, replicaId: string, rows: StoredCounter[]): Promise<void> {
  if (rows.length === 0) return;
  await run(db, Sql.addCounters, [
    replicaId,
    rows.map((r) => r.name),
    rows.map((r) => r.labels),
    rows.map((r) => r.value),
  ]);
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
  const changes = merged.launched.flatMap((l) =>
    launchChanges(l, known.get(l.amiId ?? '') ?? UnknownVersion),
  );
  await addCounters(db, replicaId, toStoredCounters(changes));
  return { fresh, counters: expandChanges(changes) };
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
