// What writing one boot changes: its status, the rollup rows it moves and the counters it bumps.
// Pure: each engine reads the rows named here, calls planBootWrite and applies the plan in one
// transaction.
import { Phases } from '../../shared/conventions.js';
import { outcomeTimeMs, type BootReport } from '../../shared/boot-report.js';
import type { StoredBoot } from '../model.js';
import { bootCounters, retractionCounters } from './counter-deltas.js';
import {
  mergeRollupDeltas,
  netChanges,
  rollupChange,
  rollupContribution,
  type RollupChange,
  type RollupDelta,
} from './rollup-math.js';
import { reportValues } from './rows.js';
import type { CounterDelta, UpsertBootResult } from './store.js';

export interface BootWritePlan extends UpsertBootResult {
  /** A collector-decided failure of the same instance that this first boot replaces. */
  replaces: StoredBoot | null;
  rollups: RollupDelta[];
  /** The same moves boot by boot, for the change feed (written in the same transaction). */
  changes: RollupChange[];
}

/** The report as stored: only the fields of BootReport (no stray properties), absent optionals left out. */
export function storedBoot(
  report: BootReport,
  source: StoredBoot['source'],
  receivedAtMs: number,
): StoredBoot {
  const boot: StoredBoot = {
    instanceId: report.instanceId,
    bootId: report.bootId,
    firstBoot: report.firstBoot,
    launchedAt: report.launchedAt,
    amiId: report.amiId,
    amiVersion: report.amiVersion,
    region: report.region,
    instanceType: report.instanceType,
    outcome: report.outcome,
    reason: report.reason,
    timeToReadySeconds: report.timeToReadySeconds,
    phases: { ...report.phases },
    source,
    receivedAtMs: Math.round(receivedAtMs),
    outcomeAtMs: outcomeTimeMs(report),
  };
  const optional = [
    'kernelStartedAt',
    'amiName',
    'accountId',
    'availabilityZone',
    'asg',
    'failureDetail',
  ] as const;
  for (const key of optional) {
    const value = report[key];
    if (value !== undefined && value !== null) boot[key] = value;
  }
  return boot;
}

/** Every value of the report, in a fixed order: equal texts mean a repeat of the same report. */
function reportText(b: BootReport): string {
  return JSON.stringify(reportValues(b));
}

export function sameReport(a: BootReport, b: BootReport): boolean {
  return reportText(a) === reportText(b);
}

/** The values counters are derived from: when they are equal, a rewrite bumps no counter. */
function countedText(b: StoredBoot): string {
  return JSON.stringify([
    b.firstBoot,
    b.amiId,
    b.amiVersion,
    b.region,
    b.asg ?? '',
    b.instanceType,
    b.outcome,
    b.reason,
    b.timeToReadySeconds,
    Phases.map((p) => b.phases[p] ?? null),
  ]);
}

/**
 * `existing` is the stored boot with the same key; `replaces` a collector-decided failure of the
 * same instance when `incoming` is an agent's first boot.
 *
 * A repeat changes nothing. Otherwise the old contributions leave their rollup rows and the new
 * one enters its own (the same row when only minor fields changed: the deltas cancel). Counters
 * only move when a counted value changed: then what was counted is retracted under its labels and
 * the new boot counted, so that boots_total - boots_retracted_total stays the number of boots.
 */
export function planBootWrite(
  incoming: StoredBoot,
  existing: StoredBoot | null,
  replaces: StoredBoot | null,
): BootWritePlan {
  if (existing !== null && replaces === null && sameReport(existing, incoming)) {
    const nothing = { counters: [], replaces: null, rollups: [], changes: [] };
    return { status: 'unchanged', boot: existing, ...nothing };
  }
  const olds = [existing, replaces].filter((b): b is StoredBoot => b !== null);
  const counted = olds.filter((b) => b.firstBoot);
  const rollups = counted.map((b) => rollupContribution(b, -1));
  const at = incoming.receivedAtMs;
  const changes = counted.map((b) => rollupChange(b, -1, at));
  if (incoming.firstBoot) {
    rollups.push(rollupContribution(incoming, 1));
    changes.push(rollupChange(incoming, 1, at));
  }
  let counters: CounterDelta[];
  const sameCounted =
    replaces === null && existing !== null && countedText(existing) === countedText(incoming);
  if (olds.length === 0) counters = bootCounters(incoming);
  else if (sameCounted) counters = [];
  else counters = [...olds.flatMap(retractionCounters), ...bootCounters(incoming)];
  return {
    status: olds.length === 0 ? 'inserted' : 'updated',
    boot: incoming,
    counters,
    replaces,
    rollups: mergeRollupDeltas(rollups),
    changes: netChanges(changes),
  };
}
