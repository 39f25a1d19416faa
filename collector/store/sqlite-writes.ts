// The SQLite store's writes that read before they write: a boot, a batch of events, a sweep.
// Synchronous, run inside the caller's immediate transaction: nothing else can interleave.
import { UnknownVersion } from '../../shared/conventions.js';
import type { InstanceEvent, StoredBoot } from '../model.js';
import { planBootWrite } from './boot-plan.js';
import { launchCounters } from './counter-deltas.js';
import { counterValues } from './counter-storage.js';
import { launchKey, mergeEvents, type LaunchRow } from './launch-merge.js';
import { onlyAdds } from './rollup-math.js';
import {
  bootValues,
  changeValues,
  launchValues,
  ms,
  rollupValues,
  rowToBoot,
  rowToLaunch,
  type Row,
} from './rows.js';
import { SharedRows } from './shared-rows.js';
import { bind, type SqliteStatements } from './sqlite-statements.js';
import type { EventsWritten, UpsertBootResult } from './store.js';
import { decideLaunch, SweepBatchSize } from './sweep-decision.js';

export interface SqliteWriter {
  q: SqliteStatements;
  replicaId: string;
}

/** Boots (agents' reports, or sweeper verdicts), in order: each sees the ones before it. */
export function writeBoots(w: SqliteWriter, incoming: readonly StoredBoot[]): UpsertBootResult[] {
  const shared = new SharedRows();
  const results = incoming.map((boot) => writeBoot(w, boot, shared));
  applyShared(w, shared);
  return results;
}

/**
 * One boot: insert, update, correction or repeat. Its own rows are written now; the rows it
 * shares with other boots go to `shared`, which the caller applies before commit.
 */
function writeBoot(
  { q }: SqliteWriter,
  incoming: StoredBoot,
  shared: SharedRows,
): UpsertBootResult {
  const mayReplace = incoming.source === 'agent' && incoming.firstBoot;
  let existing: StoredBoot | null = null;
  let replaces: StoredBoot | null = null;
  for (const row of q.bootAndReplaced.all(
    incoming.instanceId,
    incoming.bootId,
    mayReplace ? 1 : 0,
  ) as Row[]) {
    const boot = rowToBoot(row);
    if (boot.bootId === incoming.bootId) existing = boot;
    else replaces = boot;
  }
  const plan = planBootWrite(incoming, existing, replaces);
  if (plan.status === 'unchanged') return { status: plan.status, boot: plan.boot, counters: [] };
  if (plan.replaces !== null) q.deleteBoot.run(plan.replaces.instanceId, plan.replaces.bootId);
  if (mayReplace) q.markReported.run(incoming.instanceId);
  q.putBoot.run(bind(bootValues(plan.boot)));
  shared.add(plan);
  return { status: plan.status, boot: plan.boot, counters: plan.counters };
}

function applyShared({ q, replicaId }: SqliteWriter, shared: SharedRows): void {
  for (const d of shared.rollups()) {
    const values = bind(rollupValues(d));
    if (onlyAdds(d)) {
      q.addRollup.run(values);
      continue;
    }
    q.moveRollup.run([...values.slice(8), ...values.slice(0, 8)]);
    q.deleteEmptyRollup.run(values.slice(0, 8));
  }
  for (const c of shared.changes()) q.addChange.run(bind(changeValues(c)));
  for (const boot of shared.learned()) {
    const region = SharedRows.learnedRegion(boot);
    const at = ms(boot.receivedAtMs);
    q.learnImage.run(boot.amiId, region, boot.amiName ?? null, boot.amiVersion, '{}', 'agent', at);
  }
  for (const d of shared.counters()) q.addCounter.run(counterValues(replicaId, d));
}

export function versionOf(q: SqliteStatements, amiId: string | null): string | null {
  if (amiId === null || amiId === '') return null;
  const row = q.getImage.get(amiId) as Row | undefined;
  return row === undefined ? null : String(row.version);
}

/** A batch of events: deduplicated, merged into launches, new launches counted. */
export function writeEvents(
  w: SqliteWriter,
  events: InstanceEvent[],
  receivedAtMs: number,
): EventsWritten {
  const { q } = w;
  const fresh = events.filter(
    (e) =>
      q.insertEvent.run(e.eventId, launchKey(e), e.kind, ms(e.atMs), ms(receivedAtMs)).changes > 0,
  );
  const before = new Map<string, LaunchRow>();
  for (const key of new Set(fresh.map(launchKey))) {
    const row = q.getLaunch.get(key) as Row | undefined;
    if (row !== undefined) before.set(key, rowToLaunch(row));
  }
  const merged = mergeEvents(fresh, before);
  for (const row of merged.changed) {
    // A report can arrive before its launch's first event.
    if (merged.created.has(row.instanceId)) {
      row.reported = q.hasAgentFirstBoot.get(row.instanceId) !== undefined;
    }
    q.putLaunch.run(bind(launchValues(row)));
  }
  const counters = merged.launched.flatMap((l) =>
    launchCounters(l, versionOf(q, l.amiId) ?? UnknownVersion),
  );
  const shared = new SharedRows();
  shared.addCounters(counters);
  applyShared(w, shared);
  return { fresh, counters };
}

/** One sweep: at most SweepBatchSize launches decided. */
export function writeSweep(w: SqliteWriter, nowMs: number, deadlineMs: number): UpsertBootResult[] {
  const { q } = w;
  const params = { now: ms(nowMs), deadline: ms(deadlineMs), limit: SweepBatchSize };
  const results: UpsertBootResult[] = [];
  const shared = new SharedRows();
  for (const launch of (q.sweepCandidates.all(params) as Row[]).map(rowToLaunch)) {
    // A report stored before its launch event arrived: the launch was reported after all.
    if (q.hasAgentFirstBoot.get(launch.instanceId) !== undefined) {
      q.markReported.run(launch.instanceId);
      continue;
    }
    const boot = decideLaunch(launch, versionOf(q, launch.amiId), nowMs, deadlineMs);
    if (boot === null) continue;
    results.push(writeBoot(w, boot, shared));
    q.markDecided.run(ms(nowMs), launch.instanceId);
  }
  applyShared(w, shared);
  return results;
}
