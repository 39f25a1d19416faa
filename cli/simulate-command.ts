// `bootwatch simulate`: a simulated fleet against a collector, the one given (--collector) or one
// in this process on compressed time. Progress goes to stderr, the result to stdout.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration } from '../shared/duration.js';
import { BootwatchError } from '../shared/errors.js';
import {
  fetchSloReport,
  fetchVersionStats,
  type CollectorTarget,
} from '../simulator/collector-client.js';
import { rolloutText } from './demo-command.js';
import { formatSloTable } from './slo-command.js';
import {
  startInProcessCollector,
  type InProcessCollector,
} from '../simulator/in-process-collector.js';
import { runSimulation, timelineFor, type SimulationResult } from '../simulator/run-simulation.js';
import { loadScenario } from '../simulator/scenario.js';
import { builtInScenarios, resolveScenario } from '../simulator/scenario-files.js';
import { comparePlanWithStored, formatProgress, formatVersionStats } from '../simulator/summary.js';

const Help = `usage: bootwatch simulate --scenario FILE [--collector URL] [--speed N] [options]

Runs a simulated fleet: every instance has its own identity (a fake IMDS: instance id, AMI id
and version, region, zone, Auto Scaling group) and its own machine root (/proc, cloud-init
status, image manifest); the real agent observes and reports each boot, and the EventBridge
launch events (CloudTrail RunInstances, Auto Scaling launch successful) are sent with it.

Without --collector, a collector runs in this process on compressed time (thirty days in
minutes): its clock and its sweeper follow the simulation, so instances that never report
become no_report failures; the result is compared with the plan.

  --scenario FILE      a scenario file, or a built-in one: ${builtInScenarios().join(', ')}
  --collector URL      a running collector (its clock is real: the timeline ends now)
  --store PATH|URL     the in-process collector's store (default: a temporary SQLite file)
  --speed N            simulated seconds per real second (default: as fast as possible)
  --seed N             replaces the scenario's seed
  --concurrency N      agents running at once (default 8)
  --token TOKEN        agent token (default $BOOTWATCH_TOKEN)
  --admin-token TOKEN  admin token, to register images (default $BOOTWATCH_ADMIN_TOKEN)
  --json               print the result as JSON
  -h, --help           this text

Exit codes: 0 done (and, in-process, the collector stored what was planned), 1 an error or a
difference between planned and stored outcomes, 2 usage.`;

function positive(
  name: string,
  text: string | undefined,
  fallback: number,
  integer = false,
): number {
  if (text === undefined) return fallback;
  if (name === '--speed' && text === 'max') return Infinity;
  const n = Number(text);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    const what = integer ? 'a whole number above 0' : 'a number above 0';
    throw new BootwatchError('BW_CONFIG_INVALID', `${name}: expected ${what}, got '${text}'`);
  }
  return n;
}

export async function runSimulateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      collector: { type: 'string' },
      store: { type: 'string' },
      speed: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      token: { type: 'string' },
      'admin-token': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(Help);
    return 0;
  }
  if (values.scenario === undefined) {
    console.error(`bootwatch simulate: --scenario is required\n\n${Help}`);
    return 2;
  }
  if (values.collector !== undefined && values.store !== undefined) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      '--store: only for the in-process collector; a --collector has its own store',
    );
  }
  const loaded = loadScenario(resolveScenario(values.scenario));
  const seed = values.seed === undefined ? loaded.seed : positive('--seed', values.seed, 1, true);
  const scenario = { ...loaded, seed };
  const speed = positive('--speed', values.speed, Infinity);
  const concurrency = positive('--concurrency', values.concurrency, 8, true);
  const token = values.token ?? process.env.BOOTWATCH_TOKEN ?? null;
  const adminToken = values['admin-token'] ?? process.env.BOOTWATCH_ADMIN_TOKEN ?? null;
  const timeline = timelineFor(scenario, speed, Date.now());

  let inProcess: InProcessCollector | null = null;
  let tempDir: string | null = null;
  let target: CollectorTarget;
  if (values.collector !== undefined) {
    target = { url: values.collector, token, adminToken };
  } else {
    tempDir =
      values.store === undefined ? mkdtempSync(join(tmpdir(), 'bootwatch-simulate-')) : null;
    inProcess = await startInProcessCollector({
      store: values.store ?? join(tempDir!, 'bootwatch.db'),
      startMs: timeline.startMs,
      reportDeadlineMs: scenario.reportDeadlineMs,
      // Loopback only, and nobody else's data: the simulation is the only client.
      allowAnonymous: true,
    });
    target = { url: inProcess.running.url, token: null, adminToken: null };
  }
  // The plan can be compared with what was stored only when nothing else is in the store.
  const compare =
    inProcess !== null &&
    (await inProcess.running.store.queryBoots({ limit: 1 })).boots.length === 0;
  const tty = process.stderr.isTTY === true;
  try {
    console.error(
      `simulating ${scenario.name} (${scenario.source}): ${formatDuration(scenario.durationMs)} from ` +
        `${new Date(timeline.startMs).toISOString()} against ${target.url}`,
    );
    const result = await runSimulation({
      scenario,
      target,
      timeline,
      inProcess,
      speed,
      concurrency,
      // Another run into the same --store gets instances of its own.
      ...(values.store !== undefined ? { salt: randomBytes(4).toString('hex') } : {}),
      progressEveryMs: tty ? 200 : 2000,
      onProgress: (p) =>
        process.stderr.write(tty ? `\r${formatProgress(p)}   ` : `${formatProgress(p)}\n`),
    });
    if (tty) process.stderr.write('\n');
    return await report(
      result,
      target,
      compare ? 'compare' : inProcess ? 'earlier' : 'remote',
      values.json,
    );
  } finally {
    await inProcess?.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

/** compare: plan against store; earlier: a store with earlier boots; remote: its own sweeper. */
type Check = 'compare' | 'earlier' | 'remote';

async function report(
  result: SimulationResult,
  target: CollectorTarget,
  check: Check,
  json: boolean,
): Promise<number> {
  const since = `${Math.ceil((result.timeline.endMs - result.timeline.startMs) / 86_400_000) + 1}d`;
  const stats = await fetchVersionStats(target, since);
  const differences = check === 'compare' ? comparePlanWithStored(result.plans, stats) : [];
  if (json) {
    const { plans, ...rest } = result;
    console.log(
      JSON.stringify({ ...rest, planned: plans.length, versions: stats, differences }, null, 2),
    );
  } else {
    console.log(
      `${result.launched} launches, ${result.reported} reports acknowledged, ` +
        `${result.notDelivered} not delivered; ${(result.wallMs / 1000).toFixed(1)} s\n`,
    );
    console.log(formatVersionStats(stats));
    console.log(`\n${formatSloTable(await fetchSloReport(target))}\n`);
    for (const run of result.rollouts) console.log(`${rolloutText(run)}\n`);
    if (check === 'remote') {
      console.log(
        "no_report decisions are the collector's: its sweeper makes them at its next sweep.",
      );
    } else if (check === 'earlier') {
      console.log(
        'the store had boots before this run: planned and stored outcomes are not compared',
      );
    } else if (differences.length === 0) {
      console.log(
        `the collector stored the planned outcome of all ${result.plans.length} launches`,
      );
    } else {
      console.log(`planned and stored outcomes differ:\n  ${differences.join('\n  ')}`);
    }
    if (result.problems.length > 0) console.log(`\nproblems:\n  ${result.problems.join('\n  ')}`);
  }
  return differences.length > 0 || result.notDelivered > 0 || result.aborted ? 1 : 0;
}
