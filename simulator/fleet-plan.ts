// Plans a simulated fleet: every launch of a scenario, in time order, with its identity (instance,
// AMI, region, zone, Auto Scaling group, type) and its fate (how long it takes to boot, whether
// and how it fails, when its agent reports). Pure and seeded: the same scenario, start and salt
// give the same plan, so a run can be repeated and compared with what the collector stored.
import { createHash } from 'node:crypto';
import { exponential, logNormal, seededRandom, weightedPick, type Random } from './random.js';
import type { Scenario, SimFailure, Traffic } from './scenario-schema.js';

export type PlannedOutcome = 'success' | SimFailure;

export interface InstancePlan {
  index: number;
  instanceId: string;
  amiId: string;
  version: string;
  imageName: string;
  account: string;
  region: string;
  zone: string;
  instanceType: string;
  asg: string;
  /** The traffic entry that launched it. */
  traffic: string;
  /** pendingTime, epoch ms (whole seconds, as EC2 writes it). */
  launchMs: number;
  /** The time to ready this boot would have had, seconds: the phases are laid out from it. */
  bootSeconds: number;
  outcome: PlannedOutcome;
  /**
   * Seconds from launch to ready (a success) or to the moment the agent decides the failure: what
   * the report's time to ready will say. null for no_report: the collector decides that one.
   */
  reportedSeconds: number | null;
  /** When the agent runs and reports (epoch ms); null when it never does. */
  reportAtMs: number | null;
}

export interface PlanOptions {
  /** Epoch ms of the scenario's start. */
  startMs: number;
  /** 8 hex digits in every instance id, so that two runs into one store do not collide. */
  salt: string;
  /** How long before the deadline an agent whose probe never passes starts probing (ms). */
  probeLeadMs: number;
}

/** The part of a cloud-init run in a boot: cloud-init ends here, readiness probes take the rest. */
export const CloudInitShare = 0.85;

/** A stable AMI id for a version in a region (AMI ids are regional). */
export function amiIdFor(version: string, region: string): string {
  return `ami-${createHash('sha256').update(`${region}/${version}`).digest('hex').slice(0, 17)}`;
}

/** The default salt: stable for a scenario and seed. */
export function defaultSalt(scenario: Pick<Scenario, 'name' | 'seed'>): string {
  return createHash('sha256').update(`${scenario.name}/${scenario.seed}`).digest('hex').slice(0, 8);
}

/** A boot id in the shape of /proc/sys/kernel/random/boot_id, stable for an instance. */
export function bootIdFor(instanceId: string): string {
  const h = createHash('sha256').update(instanceId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Launch offsets (ms from the start) of one traffic entry. */
function arrivals(t: Traffic, random: Random): number[] {
  const out: number[] = [];
  if (t.kind === 'burst') {
    for (let k = 0; k < t.count; k++) out.push(t.atMs + Math.floor((k * t.withinMs) / t.count));
    return out;
  }
  const ratePerMs = t.perHour / 3_600_000;
  for (
    let at = t.fromMs + exponential(random, ratePerMs);
    at < t.toMs;
    at += exponential(random, ratePerMs)
  ) {
    out.push(at);
  }
  return out;
}

export function planFleet(scenario: Scenario, options: PlanOptions): InstancePlan[] {
  if (!/^[0-9a-f]{8}$/.test(options.salt)) {
    throw new Error(`planFleet: salt must be 8 hex digits, got '${options.salt}'`);
  }
  const random = seededRandom(scenario.seed);
  const launches: { offsetMs: number; traffic: Traffic }[] = [];
  for (const traffic of scenario.traffic) {
    for (const offsetMs of arrivals(traffic, random)) launches.push({ offsetMs, traffic });
  }
  // Stable: launches at the same second keep their traffic entry's order.
  launches.sort((a, b) => a.offsetMs - b.offsetMs);
  const images = new Map(scenario.images.map((i) => [i.version, i]));
  const regions = scenario.fleet.regions.map(([region]) => [region, 1] as const);
  const zonesOf = new Map(scenario.fleet.regions);

  return launches.map(({ offsetMs, traffic }, index) => {
    const version = weightedPick(random, traffic.versions);
    const image = images.get(version)!;
    const region = weightedPick(random, regions);
    const zones = zonesOf.get(region)!;
    const zone = zones[Math.floor(random() * zones.length)]!;
    const instanceType = weightedPick(random, scenario.fleet.instanceTypes);
    const launchMs = Math.floor((options.startMs + offsetMs) / 1000) * 1000;
    const bootSeconds = round3(
      Math.max(10, logNormal(random, image.bootTime.medianSeconds, image.bootTime.p95Seconds)),
    );
    const fate = fateOf(random(), image.failures, bootSeconds, scenario.deadlineMs / 1000);
    const reportAtMs =
      fate.outcome === 'no_report'
        ? null
        : fate.outcome === 'probe_timeout'
          ? launchMs + scenario.deadlineMs - options.probeLeadMs
          : launchMs + Math.round(fate.reportedSeconds! * 1000);
    return {
      index,
      instanceId: `i-${options.salt}${index.toString(16).padStart(9, '0')}`,
      amiId: amiIdFor(version, region),
      version,
      imageName: image.name,
      account: scenario.fleet.account,
      region,
      zone,
      instanceType,
      asg: traffic.asg,
      traffic: traffic.name,
      launchMs,
      bootSeconds,
      outcome: fate.outcome,
      reportedSeconds: fate.reportedSeconds,
      reportAtMs,
    };
  });
}

/**
 * How one boot ends, from a uniform draw `u`: the failure shares are stacked in SimFailures order
 * and the rest is success. A success slower than the deadline is a probe_timeout, as the agent
 * would judge it.
 */
function fateOf(
  u: number,
  failures: Record<SimFailure, number>,
  bootSeconds: number,
  deadlineSeconds: number,
): { outcome: PlannedOutcome; reportedSeconds: number | null } {
  let below = 0;
  let outcome: PlannedOutcome = 'success';
  for (const failure of ['cloud_init_error', 'probe_timeout', 'no_report'] as const) {
    below += failures[failure];
    if (u < below) {
      outcome = failure;
      break;
    }
  }
  if (outcome === 'success' && bootSeconds >= deadlineSeconds) outcome = 'probe_timeout';
  switch (outcome) {
    case 'success':
      return { outcome, reportedSeconds: bootSeconds };
    case 'cloud_init_error':
      return { outcome, reportedSeconds: round3(bootSeconds * CloudInitShare) };
    case 'probe_timeout':
      return { outcome, reportedSeconds: deadlineSeconds };
    case 'no_report':
      return { outcome, reportedSeconds: null };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Planned launches per version and outcome: what the collector should end up with. */
export function tallyPlan(
  plans: readonly InstancePlan[],
): Map<string, Record<PlannedOutcome, number>> {
  const out = new Map<string, Record<PlannedOutcome, number>>();
  for (const p of plans) {
    let row = out.get(p.version);
    if (!row) {
      row = { success: 0, cloud_init_error: 0, probe_timeout: 0, no_report: 0 };
      out.set(p.version, row);
    }
    row[p.outcome] += 1;
  }
  return out;
}
