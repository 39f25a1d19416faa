// The SQLite store's writes that read before they write: a boot, a batch of events, a sweep.
// Synchronous, run inside the caller's immediate transaction: nothing else can interleave.
import { UnknownVersion } from '../../shared/conventions.js';
import type { InstanceEvent, StoredBoot } from '../model.js';
import { planBootWrite } from './boot-plan.js';
import { expandChanges, launchChanges } from './counter-deltas.js';
import { toStoredCounters, type StoredCounter } from './counter-storage.js';
import { launchKey, mergeEvents, type LaunchRow } from './launch-merge.js';
import { onlyAdds } from './rollup-math.js';
import {
  bootValues,
  launchValues,
  ms,
  rollupValues,
  rowToBoot,
  rowToLaunch,
  type Row,
} from './rows.js';
import { bind, type SqliteStatements } from './sqlite-statements.js';
import type { CounterDelta, UpsertBootResult } from './store.js';
import { decideLaunch, SweepBatchSize } from './sweep-decision.js';

export interface SqliteWriter {
  q: SqliteStatements;
  replicaId: string;
}

function bootRow(row: unknown): StoredBoot | null {
  return row === undefined ? null : rowToBoot(row as Row);
}

/** A boot (an agent's report, or a sweeper verdict): insert, update, correction or repeat. */
export function writeBoot({ q, replicaId }: SqliteWriter, incoming: StoredBoot): UpsertBootResult {
  const existing = bootRow(q.getBoot.get(incoming.instanceId, incoming.bootId));
  const replaces =
    incoming.source === 'agent' && incoming.firstBoot
      ? bootRow(q.getCollectorBoot.get(incoming.instanceId))
      : null;
  const plan = planBootWrite(incoming, existing, replaces);
  if (plan.status === 'unchanged') return { status: plan.status, boot: plan.boot, counters: [] };
  if (plan.replaces !== null) q.deleteBoot.run(plan.replaces.instanceId, plan.replaces.bootId);
  for (const d of plan.rollups) {
    const values = bind(rollupValues(d));
    if (onlyAdds(d)) {
      q.addRollup.run(values);
      continue;
    }
    q.moveRollup.run([...values.slice(8), ...values.slice(0, 8)]);
    q.deleteEmptyRollup.run(values.slice(0, 8));
  }
  if (incoming.source === 'agent') {
    if (incoming.firstBoot) q.markReported.run(incoming.instanceId);
    learnImage(q, incoming);
  }
  addCounters({ q, replicaId }, toStoredCounters(plan.changes));
  q.putBoot.run(bind(bootValues(plan.boot)));
  return { status: plan.status, boot: plan.boot, counters: plan.counters };
}

/** What agents say about an AMI's version; never 'unknown', never over the registry. */
function learnImage(q: SqliteStatements, boot: StoredBoot): void {
  if (boot.amiId === '' || boot.amiVersion === UnknownVersion) return;
  const region = boot.region === '' ? null : boot.region;
  const name = boot.amiName ?? null;
  const at = ms(boot.receivedAtMs);
  q.learnImage.run(boot.amiId, region, name, boot.amiVersion, '{}', 'agent', at);
}

function addCounters({ q, replicaId }: SqliteWriter, rows: StoredCounter[]): void {
  for (const r of rows) q.addCounter.run(replicaId, r.name, r.labels, r.value);
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
): { fresh: InstanceEvent[]; counters: CounterDelta[] } {
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
  const changes = merged.launched.flatMap((l) =>
    launchChanges(l, versionOf(q, l.amiId) ?? UnknownVersion),
  );
  addCounters(w, toStoredCounters(changes));
  return { fresh, counters: expandChanges(changes) };
}

/** One sweep: at most SweepBatchSize launches decided. */
export function writeSweep(w: SqliteWriter, nowMs: number, deadlineMs: number): UpsertBootResult[] {
  const { q } = w;
  const params = { now: ms(nowMs), deadline: ms(deadlineMs), limit: SweepBatchSize };
  const results: UpsertBootResult[] = [];
  for (const launch of (q.sweepCandidates.all(params) as Row[]).map(rowToLaunch)) {
    // A report stored before its launch event arrived: the launch was reported after all.
    if (q.hasAgentFirstBoot.get(launch.instanceId) !== undefined) {
      q.markReported.run(launch.instanceId);
      continue;
    }
    const boot = decideLaunch(launch, versionOf(q, launch.amiId), nowMs, deadlineMs);
    if (boot === null) continue;
    results.push(writeBoot(w, boot));
    q.markDecided.run(ms(nowMs), launch.instanceId);
  }
  return results;
}
