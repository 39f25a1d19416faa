// The PostgreSQL store's writes that read before they write: a batch of boot reports, a sweep
// (events and heartbeats: pg-events.ts). Locking, in this order everywhere so that writers never deadlock: the
// instances' advisory locks (sorted), then their launch rows, then shared rows (rollups,
// counters, images) each in sorted order, then the boot rows the instance locks protect.
// Round trips are the cost (each wakes two processes, and on a busy collector waits for its event
// loop), so a batch of reports is one statement, bw_write_boots, and holds no lock between two.
import type pg from 'pg';
import type { StoredBoot } from '../model.js';
import { planBootWrite, type BootWritePlan } from './boot-plan.js';
import { cmp } from './counter-deltas.js';
import { Sql, SweepLockId } from './pg-sql.js';
import { run, type Db } from './pg-tx.js';
import { writeBootsParams, type BootCheck } from './pg-write-boots.js';
import { onlyAdds } from './rollup-math.js';
import { ms, rowToBoot, rowToLaunch, type Row } from './rows.js';
import { SharedRows } from './shared-rows.js';
import type { UpsertBootResult } from './store.js';
import { decideLaunch, SweepBatchSize } from './sweep-decision.js';

/** How often a batch is planned again because another writer changed its boots meanwhile. */
const MaxReplans = 5;

/** The stored rows one boot's plan depends on, with their row versions. */
interface Seen {
  existing: StoredBoot | null;
  version: string;
  replaces: StoredBoot | null;
  replacesVersion: string;
}

const NothingSeen: Seen = { existing: null, version: '', replaces: null, replacesVersion: '' };

const mayReplace = (b: StoredBoot) => b.source === 'agent' && b.firstBoot;

/**
 * Boot reports of distinct instances, in one statement: a report, an update, a correction of a
 * collector verdict, or a repeat each. Optimistic: the batch is planned as if none of its boots
 * were stored (almost always true: a boot is reported once), and bw_write_boots writes it only if
 * that is still so once it holds the instances' locks. Otherwise it writes nothing and returns
 * the stored rows; the boots are planned again from them and the batch sent again. So a batch of
 * new boots is one round trip, and a repeat or a correction costs one more.
 *
 * A sweeper deciding one of these instances holds its lock too (it try-locks and skips what a
 * report holds), so the check sees its verdict, and the report replaces it.
 */
export async function writeBoots(
  db: Db | pg.Pool,
  replicaId: string,
  incoming: readonly StoredBoot[],
): Promise<UpsertBootResult[]> {
  // Sorted by instance: the locks are taken in that order, so that batches never deadlock.
  const sorted = [...incoming].sort((a, b) => cmp(a.instanceId, b.instanceId));
  if (sorted.some((b, i) => i > 0 && b.instanceId === sorted[i - 1]?.instanceId)) {
    throw new Error('writeBoots takes one boot per instance');
  }
  const seen = new Map<string, Seen>();
  for (let attempt = 1; ; attempt += 1) {
    const plans = sorted.map((b) => {
      const s = seen.get(b.instanceId) ?? NothingSeen;
      return planBootWrite(b, s.existing, mayReplace(b) ? s.replaces : null);
    });
    const results = new Map(plans.map((p) => [p.boot.instanceId, p]));
    const done = () =>
      incoming.map((b) => {
        const p = results.get(b.instanceId) as BootWritePlan;
        return { status: p.status, boot: p.boot, counters: p.counters };
      });
    // Every boot a repeat of what was stored when the locks were held: nothing to write.
    if (seen.size > 0 && plans.every((p) => p.status === 'unchanged')) return done();
    const checks = sorted.map((b): BootCheck => {
      const s = seen.get(b.instanceId) ?? NothingSeen;
      return {
        instanceId: b.instanceId,
        bootId: b.bootId,
        mayReplace: mayReplace(b),
        seen: s.version,
        seenReplaced: s.replacesVersion,
      };
    });
    const stale = await applyPlans(db, replicaId, checks, true, plans);
    if (stale === null) return done();
    if (attempt === MaxReplans) {
      throw new Error(
        `the boots of this batch kept changing while it was written ${attempt} times`,
      );
    }
    for (const [instanceId, s] of seenRows(stale, sorted)) seen.set(instanceId, s);
  }
}

/** What bw_write_boots found stored for the instances whose plans were stale. */
interface Stale {
  instances: string[];
  rows: Row[];
}

function seenRows(stale: Stale, batch: readonly StoredBoot[]): Map<string, Seen> {
  const bootIds = new Map(batch.map((b) => [b.instanceId, b.bootId]));
  const out = new Map<string, Seen>(stale.instances.map((id) => [id, { ...NothingSeen }]));
  for (const row of stale.rows) {
    const boot = rowToBoot(row);
    const s = out.get(boot.instanceId);
    if (s === undefined) continue;
    if (boot.bootId === bootIds.get(boot.instanceId)) {
      s.existing = boot;
      s.version = String(row.row_version);
    } else {
      s.replaces = boot;
      s.replacesVersion = String(row.row_version);
    }
  }
  return out;
}

/**
 * One call of bw_write_boots: the plans' shared rows each once, sorted, the rollup moves (a
 * correction takes a contribution away) apart. Returns null once written, or what was stale.
 */
async function applyPlans(
  db: Db | pg.Pool,
  replicaId: string,
  checks: readonly BootCheck[],
  verify: boolean,
  allPlans: readonly BootWritePlan[],
): Promise<Stale | null> {
  const plans = allPlans.filter((p) => p.status !== 'unchanged');
  const shared = new SharedRows();
  plans.forEach((p) => shared.add(p));
  const rollups = shared.rollups();
  const [row] = await run(
    db,
    Sql.writeBoots,
    writeBootsParams(
      replicaId,
      checks,
      verify,
      rollups.filter((x) => !onlyAdds(x)),
      {
        rollups: rollups.filter(onlyAdds),
        changes: shared.changes(),
        counters: shared.counters(),
        learned: shared.learned(),
        replaced: plans.flatMap((p) => (p.replaces === null ? [] : [p.replaces])),
        boots: plans.map((p) => p.boot),
      },
    ),
  );
  return (row?.stale as Stale | null | undefined) ?? null;
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
  // The locks are held and the rows read under them: nothing to check.
  const checks = plans.map((p) => ({
    instanceId: p.boot.instanceId,
    bootId: p.boot.bootId,
    mayReplace: false,
    seen: '',
    seenReplaced: '',
  }));
  if (plans.length > 0) await applyPlans(db, replicaId, checks, false, plans);
  if (decided.length > 0) await run(db, Sql.markDecided, [ms(nowMs), decided]);
  return plans.map((p) => ({ status: p.status, boot: p.boot, counters: p.counters }));
}
