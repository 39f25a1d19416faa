// The simulation loop: the scenario's timeline in one-minute ticks, skipping ticks where nothing
// happens. At each tick, in this order: agents too far behind are waited for (agent-pipeline.ts),
// simulated time moves (the in-process collector's clock), the launch events of the tick are sent,
// the agents whose boots ended in the tick start, the collector's timers (sweeper, SLO engine)
// fire if due. Launch and report times come from the plan, not from the tick, so the tick size
// only decides how late the collector hears of them (at most a minute, plus the agents' lag).
//
// The timeline ends at the real present (or `speed` later than the run started): against a
// remote collector the simulated clock must never run ahead of its real one, and an in-process
// collector that goes live afterwards (the demo) must not see time jump backwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BootwatchError } from '../shared/errors.js';
import { writeAgentConfig, ProbeLeadMs } from './agent-config.js';
import { postEvents, registerImages, type CollectorTarget } from './collector-client.js';
import { installFakeSystemctl } from './fake-systemctl.js';
import { amiIdFor, defaultSalt, planFleet, type InstancePlan } from './fleet-plan.js';
import { AgentPipeline } from './agent-pipeline.js';
import { ImdsPool } from './imds-pool.js';
import type { InProcessCollector } from './in-process-collector.js';
import { runInstance, type InstanceRunResult } from './instance-run.js';
import { launchEvents } from './launch-events.js';
import { RolloutDriver, type RolloutRun } from './rollout-driver.js';
import type { Scenario } from './scenario-schema.js';

export const TickMs = 60_000;

export interface Timeline {
  startMs: number;
  /** Every report and no_report decision has happened by then: the last launch + report deadline. */
  endMs: number;
}

/**
 * Where the simulated timeline lies: the scenario's start if it has one, else placed so that at
 * `speed` simulated ms per real ms it ends when the run ends (Infinity: it ends now).
 */
export function timelineFor(scenario: Scenario, speed: number, nowMs: number): Timeline {
  const horizon = scenario.durationMs + scenario.reportDeadlineMs + TickMs;
  const startMs =
    scenario.startMs ??
    Math.floor((nowMs + (Number.isFinite(speed) ? horizon / speed : 0) - horizon) / 1000) * 1000;
  return { startMs, endMs: startMs + horizon };
}

export interface SimulationProgress {
  simNowMs: number;
  timeline: Timeline;
  planned: number;
  launched: number;
  reported: number;
  /** Agents that ran but whose report was not acknowledged (still in their spool). */
  notDelivered: number;
}

export interface SimulationOptions {
  scenario: Scenario;
  target: CollectorTarget;
  timeline: Timeline;
  /** The in-process collector whose time the simulation moves; null for a remote collector. */
  inProcess: InProcessCollector | null;
  /** Simulated ms per real ms; Infinity: as fast as the agents run. */
  speed: number;
  /** 8 hex digits in instance ids; default stable for the scenario and seed. */
  salt?: string;
  /** Agents running at once (and fake IMDS servers). Default 8. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: SimulationProgress) => void;
  /** Least real time between two progress calls (the last one always comes). Default 200 ms. */
  progressEveryMs?: number;
}

export interface SimulationResult {
  timeline: Timeline;
  plans: InstancePlan[];
  launched: number;
  eventsAccepted: number;
  reported: number;
  notDelivered: number;
  /** Up to 20 problems, `instance: message`. */
  problems: string[];
  /** The scenario's rollouts as the simulated pipeline drove them (rollout-driver.ts). */
  rollouts: RolloutRun[];
  aborted: boolean;
  wallMs: number;
}

interface Moment {
  launches: InstancePlan[];
  reports: InstancePlan[];
}

/** Groups the plan by the tick at whose end each launch, report and no_report deadline falls. */
function momentsOf(
  plans: InstancePlan[],
  timeline: Timeline,
  reportDeadlineMs: number | null,
): Map<number, Moment> {
  const moments = new Map<number, Moment>();
  const at = (ms: number) => {
    const k = Math.max(0, Math.ceil((ms - timeline.startMs) / TickMs));
    let m = moments.get(k);
    if (!m) moments.set(k, (m = { launches: [], reports: [] }));
    return m;
  };
  for (const p of plans) {
    at(p.launchMs).launches.push(p);
    if (p.reportAtMs !== null) at(p.reportAtMs).reports.push(p);
    // The sweeper must look once the deadline has passed (a tick with nothing else to do).
    if (reportDeadlineMs !== null) at(p.launchMs + reportDeadlineMs + 1);
  }
  at(timeline.endMs);
  return moments;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const { scenario, target, timeline, inProcess } = o;
  const wallStart = Date.now();
  if (!inProcess && timeline.startMs > wallStart) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      `${scenario.source}: start: a remote collector keeps real time; expected a start in the past, got ${new Date(timeline.startMs).toISOString()}`,
    );
  }
  const plans = planFleet(scenario, {
    startMs: timeline.startMs,
    salt: o.salt ?? defaultSalt(scenario),
    probeLeadMs: ProbeLeadMs,
  });
  const work = mkdtempSync(join(tmpdir(), 'bootwatch-sim-'));
  const restorePath = installFakeSystemctl(work);
  const concurrency = o.concurrency ?? 8;
  const imds = await ImdsPool.start(concurrency);
  const result: SimulationResult = {
    timeline,
    plans,
    launched: 0,
    eventsAccepted: 0,
    reported: 0,
    notDelivered: 0,
    problems: [],
    rollouts: [],
    aborted: false,
    wallMs: 0,
  };
  let lastProgress = 0;
  const progress = (simNowMs: number, force = false) => {
    if (!o.onProgress || (!force && Date.now() - lastProgress < (o.progressEveryMs ?? 200))) return;
    lastProgress = Date.now();
    o.onProgress({
      simNowMs,
      timeline,
      planned: plans.length,
      launched: result.launched,
      reported: result.reported,
      notDelivered: result.notDelivered,
    });
  };
  try {
    await registerImages(target, imagesOf(scenario));
    const ctx = {
      imds,
      collectorUrl: target.url,
      token: target.token,
      agentConfigFile: writeAgentConfig(work, scenario.deadlineMs),
    };
    const agents = new AgentPipeline(
      concurrency,
      maxLagMs(scenario),
      (p) => runInstance(p, ctx),
      (r) => record(result, r),
    );
    const moments = momentsOf(plans, timeline, inProcess ? scenario.reportDeadlineMs : null);
    const pipeline = new RolloutDriver(target, scenario.rollouts, timeline.startMs);
    result.rollouts = pipeline.runs;
    for (const t of pipeline.ticks(timeline.endMs, TickMs)) {
      const k = Math.ceil((t - timeline.startMs) / TickMs);
      if (!moments.has(k)) moments.set(k, { launches: [], reports: [] });
    }
    for (const k of [...moments.keys()].sort((a, b) => a - b)) {
      if (o.signal?.aborted) {
        result.aborted = true;
        break;
      }
      const moment = moments.get(k)!;
      const t = Math.min(timeline.startMs + k * TickMs, timeline.endMs);
      await pace(t, timeline.startMs, wallStart, o.speed, inProcess === null, o.signal);
      await agents.catchUp(t);
      inProcess?.clock.advanceTo(t);
      if (moment.launches.length > 0) {
        result.eventsAccepted += await postEvents(target, moment.launches.flatMap(launchEvents));
        result.launched += moment.launches.length;
      }
      for (const plan of moment.reports) await agents.start(plan);
      if (inProcess) {
        inProcess.scheduler.fireDue();
        await settle();
      }
      await pipeline.tick(t);
      progress(t);
    }
    await agents.drain();
    if (inProcess && !result.aborted) {
      // The sweeper fired at the last ticks; sweep until nothing is left (a sweep decides at most
      // a batch), awaited, so that the result counts every no_report.
      let decided = 1;
      for (let i = 0; i < 1000 && decided > 0; i++) decided = await inProcess.sweepNow();
    }
    progress(inProcess?.clock.now() ?? Date.now(), true);
  } finally {
    restorePath();
    await imds.close();
    rmSync(work, { recursive: true, force: true });
  }
  result.wallMs = Date.now() - wallStart;
  return result;
}

function record(result: SimulationResult, run: InstanceRunResult): void {
  if (run.action === 'reported' || run.action === 'resent') result.reported += 1;
  else result.notDelivered += 1;
  if (run.problem !== null && result.problems.length < 20)
    result.problems.push(`${run.instanceId}: ${run.problem}`);
}

/**
 * How far agents may lag behind simulated time: half the gap between the agents' deadline (the
 * latest a boot ends) and the report deadline (when the sweeper charges silence), at most 5 min.
 * Default: (15m - 600s) / 2 = 150 s.
 */
export function maxLagMs(scenario: Pick<Scenario, 'deadlineMs' | 'reportDeadlineMs'>): number {
  return Math.max(0, Math.min(300_000, (scenario.reportDeadlineMs - scenario.deadlineMs) / 2));
}

/** Waits until the wall clock allows simulated time `t`. */
async function pace(
  t: number,
  startMs: number,
  wallStart: number,
  speed: number,
  remote: boolean,
  signal: AbortSignal | undefined,
): Promise<void> {
  let until = Number.isFinite(speed) ? wallStart + (t - startMs) / speed : 0;
  // A remote collector's clock is real: what happens at t is sent no earlier than t.
  if (remote) until = Math.max(until, t);
  const wait = until - Date.now();
  if (wait > 0) await delay(wait, undefined, signal ? { signal } : {}).catch(() => undefined);
}

/** One registration per version and region: AMI ids are regional. */
export function imagesOf(scenario: Scenario) {
  return scenario.images.flatMap((image) =>
    scenario.fleet.regions.map(([region]) => ({
      amiId: amiIdFor(image.version, region),
      region,
      name: image.name,
      version: image.version,
      build: { build_id: `sim-${image.version}`, source: 'bootwatch simulate' },
    })),
  );
}
