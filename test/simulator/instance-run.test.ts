// One simulated instance, observed by the real agent: for each planned fate, the report the
// collector receives says what the plan meant (outcome, reason, time to ready, identity, phases).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAgentConfig, ProbeLeadMs } from '../../simulator/agent-config.js';
import { installFakeSystemctl } from '../../simulator/fake-systemctl.js';
import { amiIdFor, bootIdFor, type InstancePlan } from '../../simulator/fleet-plan.js';
import { ImdsPool } from '../../simulator/imds-pool.js';
import { runInstance, type InstanceRunContext } from '../../simulator/instance-run.js';
import { CloudInitErrorText } from '../../simulator/machine.js';
import {
  metricPoints,
  resourceAttributes,
  startFakeCollector,
  type FakeCollector,
} from '../support/fake-collector.js';

const LaunchMs = Date.parse('2026-11-02T10:00:00Z');

function plan(over: Partial<InstancePlan>): InstancePlan {
  const base: InstancePlan = {
    index: 7,
    instanceId: 'i-0badc0de000000007',
    amiId: amiIdFor('2026.11.2', 'eu-west-1'),
    version: '2026.11.2',
    imageName: 'web-2026.11.2',
    account: '123456789012',
    region: 'eu-west-1',
    zone: 'eu-west-1b',
    instanceType: 'm7i.large',
    asg: 'web',
    traffic: 'rollout',
    launchMs: LaunchMs,
    bootSeconds: 75.5,
    outcome: 'success',
    reportedSeconds: 75.5,
    reportAtMs: LaunchMs + 75_500,
  };
  return { ...base, ...over };
}

let work: string;
let restorePath: () => void;
let collector: FakeCollector;
let imds: ImdsPool;
let ctx: InstanceRunContext;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bw-sim-instance-'));
  restorePath = installFakeSystemctl(work);
  collector = await startFakeCollector();
  imds = await ImdsPool.start(2);
  ctx = {
    imds,
    collectorUrl: collector.url,
    token: 'sim-token',
    agentConfigFile: writeAgentConfig(work, 600_000),
  };
});

afterAll(async () => {
  restorePath();
  await imds.close();
  await collector.close();
  rmSync(work, { recursive: true, force: true });
});

function lastBody() {
  return collector.requests[collector.requests.length - 1]!;
}

describe('runInstance', () => {
  it('a success: ready at the planned second, with the instance identity and its phases', async () => {
    const p = plan({});
    const result = await runInstance(p, ctx);
    expect(result).toMatchObject({ action: 'reported', problem: null });
    expect(result.report).toMatchObject({
      instanceId: p.instanceId,
      bootId: bootIdFor(p.instanceId),
      firstBoot: true,
      launchedAt: '2026-11-02T10:00:00.000Z',
      amiId: p.amiId,
      amiVersion: '2026.11.2',
      amiName: 'web-2026.11.2',
      region: 'eu-west-1',
      availabilityZone: 'eu-west-1b',
      instanceType: 'm7i.large',
      asg: 'web',
      outcome: 'success',
      reason: 'none',
      timeToReadySeconds: 75.5,
    });
    // The machine.ts layout: kernel at round(0.25 T), systemd 1.5 s later, cloud-init from 1 s
    // after that to 0.85 T, probes pass at T.
    const phases = result.report!.phases;
    expect(phases.provisioning).toBe(19);
    expect(phases.kernel).toBe(1.5);
    expect(phases.userspace).toBe(1);
    expect(phases.probe_wait).toBeCloseTo(75.5 * 0.15, 2);
    const sum = Object.values(phases).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(75.5, 2);

    const body = lastBody();
    expect(body.headers.authorization).toBe('Bearer sim-token');
    expect(resourceAttributes(body.body)).toMatchObject({
      'host.id': p.instanceId,
      'host.image.id': p.amiId,
      'bootwatch.boot.launched_at': '2026-11-02T10:00:00.000Z',
    });
    expect(metricPoints(body.body, 'bootwatch.boot.time_to_ready')[0]!.sum).toBe(75.5);
  });

  it('a cloud-init error: decided when cloud-init finished, with its error text', async () => {
    const p = plan({
      outcome: 'cloud_init_error',
      bootSeconds: 80,
      reportedSeconds: 68,
      reportAtMs: LaunchMs + 68_000,
    });
    const result = await runInstance(p, ctx);
    expect(result.report).toMatchObject({ outcome: 'failure', reason: 'cloud_init_error' });
    expect(result.report!.timeToReadySeconds).toBeCloseTo(68, 2);
    expect(result.report!.failureDetail).toContain(CloudInitErrorText);
  });

  it('a probe that never passes: probe_timeout at the deadline, naming the probe', async () => {
    const p = plan({
      outcome: 'probe_timeout',
      bootSeconds: 90,
      reportedSeconds: 600,
      reportAtMs: LaunchMs + 600_000 - ProbeLeadMs,
    });
    const result = await runInstance(p, ctx);
    expect(result.report).toMatchObject({
      outcome: 'failure',
      reason: 'probe_timeout',
      timeToReadySeconds: 600,
    });
    expect(result.report!.failureDetail).toContain('app-ready');
  });

  it('a collector that refuses leaves the report in the spool and says why', async () => {
    collector.script(...Array.from({ length: 5 }, () => ({ status: 401 })));
    const result = await runInstance(plan({ instanceId: 'i-0badc0de000000008' }), ctx);
    expect(result.action).toBe('left_in_spool');
    expect(result.problem).toContain('not acknowledged');
  });
});
