// Judges one boot: from what the agent observed to the boot report (outcome, reason, time to
// ready, phases). Pure: every time is an argument, so the rules are tested without a machine.
//
// Worked example (first boot, deadline 600 s):
//   launched 12:00:00 (pendingTime), kernel 12:00:21 (btime), systemd 12:00:23,
//   cloud-init init-local 12:00:25-12:00:27, init 12:00:27-12:00:35,
//   modules-config 12:00:35-12:00:38, modules-final 12:00:38-12:00:52, probes pass 12:01:04
//   => success, time_to_ready 64 s; phases provisioning 21, kernel 2, userspace 2,
//      cloud_init_init_local 2, cloud_init_init 8, cloud_init_modules_config 3,
//      cloud_init_modules_final 14, probe_wait 12.
//   Without probes: ready at 12:00:52 (52 s), even if the agent first looked at 12:01:30.
//
// What the agent can know depends on when it looks. cloud-init's stage times are a record: read
// an hour late, they still say exactly when it finished. A probe says only what it sees when it
// runs: one that passes at its first attempt says the boot was ready by then, not since when, and
// a probe is not tried after the deadline. So a timeout is decided only from what was seen: cloud-
// init finishing after the deadline (or still running), a probe failing until it. A boot with
// nothing to wait for (no cloud-init finish time, no probes) was ready at the latest when the agent
// looked; when that look, or the first probe attempt, would come after the deadline, the agent
// cannot tell when the boot became ready and says so (agent_error), rather than invent a timeout.
import type { BootReport } from '../shared/boot-report.js';
import type { Phase, Reason } from '../shared/conventions.js';
import { formatDuration } from '../shared/duration.js';

export type CloudInitStageName = 'init_local' | 'init' | 'modules_config' | 'modules_final';

export interface ObservedCloudInit {
  state: 'not_installed' | 'disabled' | 'running' | 'done' | 'error';
  stages: { name: CloudInitStageName; startMs: number | null; finishMs: number | null }[];
  /** When the last stage finished (epoch ms); null while running or when unknown. */
  finishedAtMs: number | null;
  /** Unrecoverable errors, as cloud-init reported them. */
  errors: string[];
}

export interface ObservedProbes {
  /** Readiness probes configured. With none, cloud-init alone says when the boot was ready. */
  configured: number;
  /** Whether the probes got an attempt before the deadline (false: the agent started too late). */
  tried: boolean;
  allPassed: boolean;
  /** The moment every probe was passing (epoch ms); null when they never all passed. */
  readyAtMs: number | null;
  /** Names of probes that had not passed, with their last error. */
  failing: string[];
}

export interface BootIdentity {
  instanceId: string;
  amiId: string;
  amiName?: string;
  amiVersion: string;
  accountId?: string;
  region: string;
  availabilityZone?: string;
  instanceType: string;
  asg?: string;
}

export interface BootObservation {
  identity: BootIdentity;
  bootId: string;
  firstBoot: boolean;
  /** pendingTime from the identity document; null when IMDS could not be read. */
  pendingTimeMs: number | null;
  kernelBootMs: number;
  pid1StartedMs: number | null;
  cloudInit: ObservedCloudInit;
  /** Failed systemd units; null when systemd is not there. */
  failedUnits: string[] | null;
  probes: ObservedProbes;
  /** The boot deadline, counted from launch, in ms. */
  deadlineMs: number;
  /**
   * When the agent began to observe this boot (epoch ms). With nothing to wait for (no cloud-init
   * finish time, no probes), the boot was ready at the latest then.
   */
  lookedAtMs: number;
  /** When the agent made its judgement (epoch ms). */
  nowMs: number;
  /** Set when the agent itself failed to observe the boot properly. */
  agentError?: string;
}

const StagePhase: Record<CloudInitStageName, Phase> = {
  init_local: 'cloud_init_init_local',
  init: 'cloud_init_init',
  modules_config: 'cloud_init_modules_config',
  modules_final: 'cloud_init_modules_final',
};

/** launched_at: pendingTime for a first boot; the kernel's boot time for a reboot (or without IMDS). */
export function launchedAtMs(
  o: Pick<BootObservation, 'firstBoot' | 'pendingTimeMs' | 'kernelBootMs'>,
): number {
  if (o.firstBoot && o.pendingTimeMs !== null && o.pendingTimeMs <= o.kernelBootMs)
    return o.pendingTimeMs;
  return o.kernelBootMs;
}

interface Verdict {
  reason: Reason;
  atMs: number;
  detail?: string;
}

function decide(o: BootObservation, launchMs: number): Verdict {
  const deadlineAt = launchMs + o.deadlineMs;
  if (o.agentError !== undefined)
    return { reason: 'agent_error', atMs: o.nowMs, detail: o.agentError };
  if (o.cloudInit.state === 'error') {
    return {
      reason: 'cloud_init_error',
      atMs: Math.min(o.cloudInit.finishedAtMs ?? o.nowMs, o.nowMs),
      detail: o.cloudInit.errors.join('; ') || 'cloud-init reported an error',
    };
  }
  if (o.cloudInit.state === 'running') {
    return {
      reason: 'probe_timeout',
      atMs: deadlineAt,
      detail: 'cloud-init still running at the deadline',
    };
  }
  if (o.failedUnits !== null && o.failedUnits.length > 0) {
    return {
      reason: 'unit_failed',
      atMs: o.nowMs,
      detail: `failed units: ${o.failedUnits.join(', ')}`,
    };
  }
  // cloud-init's record of when it finished is history: exact, however late the agent reads it.
  const cloudInitDone = o.cloudInit.state === 'done' ? o.cloudInit.finishedAtMs : null;
  if (cloudInitDone !== null && cloudInitDone > deadlineAt) {
    return {
      reason: 'probe_timeout',
      atMs: deadlineAt,
      detail: 'cloud-init finished only after the deadline',
    };
  }
  if (o.probes.configured > 0) return decideWithProbes(o, launchMs, cloudInitDone);
  if (cloudInitDone !== null) return { reason: 'none', atMs: cloudInitDone };
  // Nothing to wait for: the boot was ready at the latest when the agent first looked. Looking
  // after the deadline proves nothing about the boot, only that the agent came late.
  if (o.lookedAtMs <= deadlineAt) return { reason: 'none', atMs: o.lookedAtMs };
  const cloudInit =
    o.cloudInit.state === 'done'
      ? "cloud-init's finish time unknown"
      : `cloud-init ${o.cloudInit.state.replace('_', ' ')}`;
  return {
    reason: 'agent_error',
    atMs: o.nowMs,
    detail:
      `nothing tells when this boot became ready (${cloudInit}, no readiness probes), and the ` +
      `agent first looked ${late(o.lookedAtMs, deadlineAt)} after the boot's deadline`,
  };
}

/** Probes configured: ready when cloud-init has finished and every probe passed. */
function decideWithProbes(
  o: BootObservation,
  launchMs: number,
  cloudInitDone: number | null,
): Verdict {
  const deadlineAt = launchMs + o.deadlineMs;
  if (!o.probes.tried) {
    // A probe tells what it sees when it runs; it cannot tell whether it would have passed before.
    return {
      reason: 'agent_error',
      atMs: o.nowMs,
      detail:
        `the agent started ${late(o.lookedAtMs, deadlineAt)} after the boot's deadline: the ` +
        'readiness probes were not tried, so when this boot became ready is unknown',
    };
  }
  if (!o.probes.allPassed || o.probes.readyAtMs === null) {
    return {
      reason: 'probe_timeout',
      atMs: deadlineAt,
      detail: `probes not passing: ${o.probes.failing.join('; ')}`,
    };
  }
  const readyAt = Math.max(o.probes.readyAtMs, cloudInitDone ?? launchMs);
  if (readyAt > deadlineAt) {
    return { reason: 'probe_timeout', atMs: deadlineAt, detail: 'ready only after the deadline' };
  }
  return { reason: 'none', atMs: readyAt };
}

/** How long after `deadlineAt` the moment `atMs` came, to the second: `3d4h12m5s`. */
function late(atMs: number, deadlineAt: number): string {
  return formatDuration(Math.max(0, Math.round((atMs - deadlineAt) / 1000)) * 1000);
}

function phases(o: BootObservation, launchMs: number, verdict: Verdict): BootReport['phases'] {
  const out: BootReport['phases'] = {};
  const put = (phase: Phase, from: number | null, to: number | null) => {
    if (from !== null && to !== null && to >= from) out[phase] = (to - from) / 1000;
  };
  if (o.firstBoot && o.pendingTimeMs !== null) put('provisioning', launchMs, o.kernelBootMs);
  put('kernel', o.kernelBootMs, o.pid1StartedMs);
  const started = o.cloudInit.stages.map((s) => s.startMs).filter((t): t is number => t !== null);
  if (started.length > 0) put('userspace', o.pid1StartedMs, Math.min(...started));
  for (const stage of o.cloudInit.stages)
    put(StagePhase[stage.name], stage.startMs, stage.finishMs);
  if (verdict.reason === 'none' && o.probes.configured > 0) {
    put('probe_wait', o.cloudInit.finishedAtMs ?? o.pid1StartedMs ?? o.kernelBootMs, verdict.atMs);
  }
  return out;
}

/** The boot report for an observation. */
export function judgeBoot(o: BootObservation): BootReport {
  const launchMs = launchedAtMs(o);
  const verdict = decide(o, launchMs);
  const atMs = Math.max(verdict.atMs, launchMs);
  const id = o.identity;
  const report: BootReport = {
    instanceId: id.instanceId,
    bootId: o.bootId,
    firstBoot: o.firstBoot,
    launchedAt: new Date(launchMs).toISOString(),
    kernelStartedAt: new Date(o.kernelBootMs).toISOString(),
    amiId: id.amiId,
    amiVersion: id.amiVersion,
    region: id.region,
    instanceType: id.instanceType,
    outcome: verdict.reason === 'none' ? 'success' : 'failure',
    reason: verdict.reason,
    timeToReadySeconds: (atMs - launchMs) / 1000,
    phases: phases(o, launchMs, verdict),
  };
  if (id.amiName) report.amiName = id.amiName;
  if (id.accountId) report.accountId = id.accountId;
  if (id.availabilityZone) report.availabilityZone = id.availabilityZone;
  if (id.asg) report.asg = id.asg;
  if (verdict.detail) report.failureDetail = verdict.detail.slice(0, 1024);
  return report;
}
