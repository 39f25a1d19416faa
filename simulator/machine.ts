// What one planned instance looks like to its agent: the files under its BOOTWATCH_ROOT (/proc,
// cloud-init's status, the image manifest, the readiness marker) and what its IMDS serves. Pure:
// plan in, makeBootRoot options and an IMDS identity out. The phases are laid out so that the
// real agent, run at plan.reportAtMs, judges exactly the planned outcome and time to ready.
//
// Layout of a boot taking T seconds (launch at 0): the kernel starts at 0.25 T (whole seconds,
// as btime is), systemd 1.5 s later, cloud-init 1 s after that and until 0.85 T (its four stages
// in fixed shares), readiness probes pass at T. Example, T = 80 s: kernel 20 s, systemd 21.5 s,
// cloud-init 22.5 s to 68 s, ready 80 s: provisioning 20, kernel 1.5, userspace 1, cloud-init
// 45.5 (init-local 4.55, init 18.2, modules-config 6.83, modules-final 15.92), probe_wait 12.
import type { CloudInitStage } from '../agent/cloud-init-status.js';
import type { BootRootOptions, StageSpan } from './boot-root.js';
import type { FakeInstanceIdentity } from './fake-imds.js';
import { bootIdFor, CloudInitShare, type InstancePlan } from './fleet-plan.js';

/** The file the simulated application writes once it serves; the agents' readiness probe. */
export const ReadyMarker = '/run/app/ready';

/** What cloud-init says when a user-data script fails (the shape of a real status.json error). */
export const CloudInitErrorText =
  "('scripts_user', RuntimeError('Runparts: 1 failures (part-001) in 1 attempted commands'))";

const StageShares: [CloudInitStage, number][] = [
  ['init-local', 0.1],
  ['init', 0.4],
  ['modules-config', 0.15],
  ['modules-final', 0.35],
];

const Pid1AfterKernelSeconds = 1.5;
const UserspaceSeconds = 1;

export interface Machine {
  bootRoot: BootRootOptions;
  identity: FakeInstanceIdentity;
  /** Whether the readiness marker exists when the agent runs. */
  ready: boolean;
}

/** The machine of a plan whose agent runs (not for no_report: nothing runs there). */
export function machineFor(plan: InstancePlan): Machine {
  if (plan.reportAtMs === null) {
    throw new Error(`machineFor: ${plan.instanceId} never reports; it has no machine to run`);
  }
  const ranForSeconds = (plan.reportAtMs - plan.launchMs) / 1000;
  // cloud-init ends where the plan says for an error; for a probe that never passes, it ended
  // well before the agent looks, whatever the boot's own pace.
  const cloudInitEnd =
    plan.outcome === 'cloud_init_error'
      ? plan.reportedSeconds!
      : plan.outcome === 'probe_timeout'
        ? Math.min(plan.bootSeconds * CloudInitShare, ranForSeconds * 0.8)
        : plan.bootSeconds * CloudInitShare;
  const kernelAfterLaunch = Math.max(3, Math.round(plan.bootSeconds * 0.25));
  const kernelAt = Math.min(kernelAfterLaunch, Math.floor(cloudInitEnd / 2));
  const start = Pid1AfterKernelSeconds + UserspaceSeconds;
  const window = cloudInitEnd - kernelAt - start;
  const stages: Partial<Record<CloudInitStage, StageSpan>> = {};
  let at = start;
  for (const [stage, share] of StageShares) {
    const duration = round3(window * share);
    stages[stage] = { start: round3(at), duration };
    at += duration;
  }
  // The last stage ends exactly at cloudInitEnd, whatever the rounding of the shares.
  stages['modules-final'] = {
    start: stages['modules-final']!.start,
    duration: round3(cloudInitEnd - kernelAt - stages['modules-final']!.start),
  };

  const failed = plan.outcome === 'cloud_init_error';
  return {
    bootRoot: {
      nowMs: plan.reportAtMs,
      launchedAgoSeconds: ranForSeconds,
      kernelAfterLaunchSeconds: kernelAt,
      pid1AfterKernelSeconds: Pid1AfterKernelSeconds,
      bootId: bootIdFor(plan.instanceId),
      cloudInit: {
        state: failed ? 'error' : 'done',
        stages,
        ...(failed
          ? { errors: [{ stage: 'modules-final' as const, message: CloudInitErrorText }] }
          : {}),
      },
      image: {
        version: plan.version,
        name: plan.imageName,
        build_id: `sim-${plan.version}`,
      },
    },
    identity: {
      instanceId: plan.instanceId,
      imageId: plan.amiId,
      region: plan.region,
      availabilityZone: plan.zone,
      accountId: plan.account,
      instanceType: plan.instanceType,
      pendingTime: new Date(plan.launchMs).toISOString().replace('.000Z', 'Z'),
      tags: { 'aws:autoscaling:groupName': plan.asg, Name: `${plan.asg}-${plan.index}` },
    },
    ready: plan.outcome === 'success',
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
