// A small rollout end to end: the real agents, fake IMDS and machines, EventBridge launch events
// and image registrations, against the real collector in this process on compressed time. What
// the collector stored is compared with what the simulation planned, boot by boot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredBoot } from '../../collector/model.js';
import { fetchVersionStats } from '../../simulator/collector-client.js';
import { tallyPlan, type InstancePlan } from '../../simulator/fleet-plan.js';
import {
  startInProcessCollector,
  type InProcessCollector,
} from '../../simulator/in-process-collector.js';
import {
  runSimulation,
  timelineFor,
  type SimulationResult,
} from '../../simulator/run-simulation.js';
import { parseScenario } from '../../simulator/scenario.js';
import { comparePlanWithStored } from '../../simulator/summary.js';

const scenario = parseScenario(
  `
name: e2e
seed: 21
duration: 3h
start: 2026-11-01T00:00:00Z
images:
  - version: '1.0'
    boot_time: { median: 60s, p95: 90s }
  - version: '2.0'
    boot_time: { median: 80s, p95: 150s }
    failures: { cloud_init_error: 0.2, probe_timeout: 0.2, no_report: 0.2 }
traffic:
  - per_hour: 6
    to: 1h
    versions: { '1.0': 1 }
  - per_hour: 8
    from: 1h
    versions: { '1.0': 1, '2.0': 3 }
`,
  'e2e.yaml',
);

let dir: string;
let collector: InProcessCollector;
let result: SimulationResult;
let boots: Map<string, StoredBoot>;
const progress: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-sim-e2e-'));
  const timeline = timelineFor(scenario, Infinity, Date.now());
  collector = await startInProcessCollector({
    store: join(dir, 'bootwatch.db'),
    startMs: timeline.startMs,
    reportDeadlineMs: scenario.reportDeadlineMs,
    token: 'agent-token',
    adminToken: 'admin-token',
    logLevel: 'silent',
  });
  result = await runSimulation({
    scenario,
    target: { url: collector.running.url, token: 'agent-token', adminToken: 'admin-token' },
    timeline,
    inProcess: collector,
    speed: Infinity,
    concurrency: 4,
    onProgress: (p) => progress.push(p.simNowMs),
  });
  const page = await collector.running.store.queryBoots({ limit: 1000 });
  boots = new Map(page.boots.map((b) => [b.instanceId, b]));
}, 120_000);

afterAll(async () => {
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

const byOutcome = (outcome: InstancePlan['outcome']) =>
  result.plans.filter((p) => p.outcome === outcome);

describe('a simulated rollout against an in-process collector', () => {
  it('plans every fate for the bad version (else this test would prove little)', () => {
    const bad = tallyPlan(result.plans).get('2.0')!;
    expect(bad.success).toBeGreaterThan(0);
    expect(bad.cloud_init_error).toBeGreaterThan(0);
    expect(bad.probe_timeout).toBeGreaterThan(0);
    expect(bad.no_report).toBeGreaterThan(0);
    expect(tallyPlan(result.plans).get('1.0')!.success).toBeGreaterThan(0);
  });

  it('launched every instance and delivered every agent report', () => {
    expect(result.aborted).toBe(false);
    expect(result.launched).toBe(result.plans.length);
    // RunInstances and Auto Scaling for each launch, both new to the collector.
    expect(result.eventsAccepted).toBe(2 * result.plans.length);
    expect(result.reported).toBe(result.plans.filter((p) => p.reportAtMs !== null).length);
    expect(result.notDelivered).toBe(0);
    expect(result.problems).toEqual([]);
  });

  it('stored one first boot per launch, each with the planned outcome and time to ready', () => {
    expect(boots.size).toBe(result.plans.length);
    for (const p of result.plans) {
      const boot = boots.get(p.instanceId)!;
      expect(boot, p.instanceId).toBeDefined();
      expect(boot).toMatchObject({
        firstBoot: true,
        amiId: p.amiId,
        amiVersion: p.version,
        region: p.region,
        availabilityZone: p.zone,
        asg: p.asg,
        launchedAt: new Date(p.launchMs).toISOString(),
        outcome: p.outcome === 'success' ? 'success' : 'failure',
        reason: p.outcome === 'success' ? 'none' : p.outcome,
        source: p.outcome === 'no_report' ? 'collector' : 'agent',
      });
      if (p.reportedSeconds !== null)
        expect(boot.timeToReadySeconds).toBeCloseTo(p.reportedSeconds, 2);
    }
  });

  it('the sweeper decided no_report on the compressed clock, within a tick of each deadline', () => {
    const silent = byOutcome('no_report');
    for (const p of silent) {
      const boot = boots.get(p.instanceId)!;
      const deadlineAt = p.launchMs + scenario.reportDeadlineMs;
      expect(boot.outcomeAtMs).toBe(deadlineAt);
      // Decided in simulated time by the sweeper's own timer, not by the drain at the end.
      expect(boot.receivedAtMs).toBeGreaterThanOrEqual(deadlineAt);
      expect(boot.receivedAtMs).toBeLessThanOrEqual(deadlineAt + 2 * 60_000);
      // charged to its version through RunInstances' AMI id and the image registry
      expect(boot.amiVersion).toBe('2.0');
    }
  });

  it('agent reports arrived in simulated time, no earlier than the boot ended', () => {
    for (const p of result.plans.filter((x) => x.reportAtMs !== null)) {
      const boot = boots.get(p.instanceId)!;
      expect(boot.receivedAtMs).toBeGreaterThanOrEqual(p.reportAtMs!);
      expect(boot.receivedAtMs).toBeLessThanOrEqual(result.timeline.endMs);
    }
  });

  it('GET /api/v1/images shows the failure mix by version, as planned', async () => {
    const stats = await fetchVersionStats(
      { url: collector.running.url, token: null, adminToken: 'admin-token' },
      '2d',
    );
    expect(comparePlanWithStored(result.plans, stats)).toEqual([]);
    const bad = stats.find((s) => s.amiVersion === '2.0')!;
    expect(Object.keys(bad.failures).sort()).toEqual([
      'cloud_init_error',
      'no_report',
      'probe_timeout',
    ]);
    expect(bad.images.map((i) => i.source)).toEqual(['registry']);
  });

  it('reported progress in simulated time, ending at the end of the timeline', () => {
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toBe(result.timeline.endMs);
  });
});
