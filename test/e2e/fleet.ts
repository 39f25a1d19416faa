// Instances of one AMI version booting against a real collector, through the agent's own code:
// the boot report is built into OTLP metrics by agent/otlp-report.ts and sent by
// agent/deliver.ts (the OpenTelemetry OTLP/HTTP exporter), the heartbeat likewise; Auto Scaling
// announces each launch first, as EventBridge would (POST /v1/events).
import { randomUUID } from 'node:crypto';
import { sendMetrics } from '../../agent/deliver.js';
import {
  bootResourceAttributes,
  collectBootMetrics,
  collectHeartbeat,
} from '../../agent/otlp-report.js';
import type { BootReport } from '../../shared/boot-report.js';
import {
  CloudPlatform,
  CloudProvider,
  ResourceAttr,
  ServiceName,
  type Reason,
} from '../../shared/conventions.js';
import { BootwatchVersion } from '../../shared/version.js';

export interface FleetSpec {
  amiVersion: string;
  amiId: string;
  asg: string;
  region: string;
  /** Which instance number this fleet's ids start from (ids must not collide between fleets). */
  firstInstance: number;
  outcome: BootReport['outcome'];
  reason: Reason;
  /** Seconds from launch to ready (or to the failure), given the boot's sequence number. */
  timeToReady: (seq: number) => number;
}

export interface Booting {
  /** Boots the collector acknowledged. */
  readonly sent: () => number;
  readonly errors: string[];
  stop(): Promise<void>;
}

function phasesFor(ttr: number, failed: boolean): BootReport['phases'] {
  const provisioning = ttr * 0.2;
  const kernel = 1.5;
  const userspace = 3;
  const stages = ttr - provisioning - kernel - userspace;
  if (failed)
    return {
      provisioning,
      kernel,
      userspace,
      cloud_init_init_local: 1,
      cloud_init_init: stages - 1,
    };
  return {
    provisioning,
    kernel,
    userspace,
    cloud_init_init_local: 1,
    cloud_init_init: stages * 0.4,
    cloud_init_modules_config: stages * 0.2,
    cloud_init_modules_final: stages * 0.3,
    probe_wait: stages * 0.1 - 1,
  };
}

export function bootReport(spec: FleetSpec, seq: number, nowMs: number): BootReport {
  const ttr = spec.timeToReady(seq);
  const n = spec.firstInstance + seq;
  return {
    instanceId: `i-${n.toString(16).padStart(17, '0')}`,
    bootId: randomUUID(),
    firstBoot: true,
    launchedAt: new Date(nowMs - ttr * 1000).toISOString(),
    amiId: spec.amiId,
    amiVersion: spec.amiVersion,
    accountId: '123456789012',
    region: spec.region,
    availabilityZone: `${spec.region}a`,
    instanceType: 'm7i.large',
    asg: spec.asg,
    outcome: spec.outcome,
    reason: spec.reason,
    timeToReadySeconds: ttr,
    phases: phasesFor(ttr, spec.outcome === 'failure'),
    ...(spec.outcome === 'failure' ? { failureDetail: 'cloud-init: modules-final failed' } : {}),
  };
}

async function postLaunch(collectorUrl: string, report: BootReport): Promise<void> {
  const at = report.launchedAt.replace(/\.\d+Z$/, 'Z');
  const event = {
    version: '0',
    id: randomUUID(),
    'detail-type': 'EC2 Instance Launch Successful',
    source: 'aws.autoscaling',
    account: report.accountId,
    time: at,
    region: report.region,
    resources: [],
    detail: {
      StatusCode: 'InProgress',
      Description: `Launching a new EC2 instance: ${report.instanceId}`,
      AutoScalingGroupName: report.asg,
      ActivityId: randomUUID(),
      Details: { 'Availability Zone': report.availabilityZone },
      RequestId: randomUUID(),
      StatusMessage: '',
      EndTime: at,
      EC2InstanceId: report.instanceId,
      StartTime: at,
      Cause:
        'an instance was started in response to a difference between desired and actual capacity',
    },
  };
  const res = await fetch(`${collectorUrl}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  if (!res.ok) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
}

/** One instance: launched (event), booted (report), heartbeating (when it booted). */
export async function bootOnce(collectorUrl: string, spec: FleetSpec, seq: number): Promise<void> {
  const report = bootReport(spec, seq, Date.now());
  await postLaunch(collectorUrl, report);
  const attributes = bootResourceAttributes(report, {}, BootwatchVersion);
  const target = { collectorUrl, token: null, timeoutMs: 5_000 };
  const sent = await sendMetrics(await collectBootMetrics(report, attributes), target, null);
  if (!sent.ok) throw new Error(`boot report not acknowledged: ${sent.message}`);
  if (report.outcome === 'failure') return;
  // As agent/heartbeat.ts builds it: the instance's identity, no boot.
  const identity = {
    [ResourceAttr.serviceName]: ServiceName,
    [ResourceAttr.cloudProvider]: CloudProvider,
    [ResourceAttr.cloudPlatform]: CloudPlatform,
    [ResourceAttr.hostId]: report.instanceId,
    [ResourceAttr.imageId]: report.amiId,
    [ResourceAttr.imageVersion]: report.amiVersion,
    [ResourceAttr.cloudRegion]: report.region,
    [ResourceAttr.cloudAccount]: report.accountId ?? '',
    [ResourceAttr.hostType]: report.instanceType,
    [ResourceAttr.asgName]: report.asg ?? '',
  };
  const beat = await sendMetrics(await collectHeartbeat(identity, Date.now()), target, null);
  if (!beat.ok) throw new Error(`heartbeat not acknowledged: ${beat.message}`);
}

/** Boots one instance every `everyMs` until stopped (one at a time: no pile-up). */
export function startBooting(collectorUrl: string, spec: FleetSpec, everyMs: number): Booting {
  let stopped = false;
  let count = 0;
  const errors: string[] = [];
  const loop = (async () => {
    for (let seq = 0; !stopped; seq++) {
      const started = Date.now();
      try {
        await bootOnce(collectorUrl, spec, seq);
        count += 1;
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - started))));
    }
  })();
  return {
    sent: () => count,
    errors,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
