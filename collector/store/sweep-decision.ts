// The sweeper's verdict on a launch whose agent never reported. Pure: the engine picks the
// candidates, decides each here and stores the verdict as a collector boot.
import { UnknownFact, UnknownVersion } from '../../shared/conventions.js';
import type { StoredBoot } from '../model.js';
import type { LaunchRow } from './launch-merge.js';

/** Launches decided per sweep at most: a backlog (after an outage) drains over several sweeps. */
export const SweepBatchSize = 1000;

const MaxDetail = 1024;

/**
 * The sweeper's verdict on an unreported launch (facts no event gave are `unknown`, as for a
 * report sent without IMDS: both group alike) at `nowMs`, or null when it is too early.
 * Terminated before the deadline: terminated_before_ready, decided at termination. Otherwise
 * silent until launch + deadline: no_report, decided at the deadline (an Auto Scaling launch
 * failure too: nothing fits it better, and the deadline keeps a late report able to correct it).
 */
export function decideLaunch(
  launch: LaunchRow,
  amiVersion: string | null,
  nowMs: number,
  deadlineMs: number,
): StoredBoot | null {
  if (launch.reported || launch.decidedAtMs !== null || launch.launchedAtMs === null) return null;
  const launchedAt = launch.launchedAtMs;
  const deadlineAt = launchedAt + deadlineMs;
  const t = launch.terminatedAtMs;
  let reason: 'no_report' | 'terminated_before_ready';
  let ttrMs: number;
  let detail: string;
  if (t !== null && t < deadlineAt && t <= nowMs) {
    reason = 'terminated_before_ready';
    ttrMs = Math.max(0, Math.round(t - launchedAt));
    detail = `terminated ${ttrMs / 1000}s after launch, before any boot report`;
  } else if (deadlineAt <= nowMs) {
    reason = 'no_report';
    ttrMs = Math.round(deadlineMs);
    detail =
      launch.state === 'launch_failed'
        ? `launch failed: ${launch.statusMessage ?? 'no status message'}`
        : `no boot report within ${deadlineMs / 1000}s of launch`;
  } else {
    return null;
  }
  const boot: StoredBoot = {
    instanceId: launch.instanceId,
    bootId: '',
    firstBoot: true,
    launchedAt: new Date(launchedAt).toISOString(),
    amiId: launch.amiId ?? UnknownFact,
    amiVersion: amiVersion ?? UnknownVersion,
    region: launch.region ?? UnknownFact,
    instanceType: launch.instanceType ?? UnknownFact,
    outcome: 'failure',
    reason,
    timeToReadySeconds: ttrMs / 1000,
    phases: {},
    failureDetail: detail.slice(0, MaxDetail),
    source: 'collector',
    receivedAtMs: Math.round(nowMs),
    outcomeAtMs: launchedAt + ttrMs,
  };
  if (launch.accountId !== null) boot.accountId = launch.accountId;
  if (launch.availabilityZone !== null) boot.availabilityZone = launch.availabilityZone;
  if (launch.asg !== null) boot.asg = launch.asg;
  return boot;
}
