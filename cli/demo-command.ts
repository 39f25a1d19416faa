// `bootwatch demo` (what `npm start` runs): the collector on a SQLite store of its own, a short
// simulated day against it (a simulated pipeline canaries a good AMI, promoted, and a worse one,
// rolled back, through the rollout API), the results and both verdicts, where to look next,
// then it keeps serving on real time until Ctrl-C. The rollout runs on compressed time that ends
// now, so that the collector, once live, sees a day that has just happened.
//
// The store is new for every run, in a temporary folder removed when the demo stops: a second run
// must show its own rollout (not both, added up), and simulated boots must never land in the
// store a real collector uses (BOOTWATCH_STORE, ./data/bootwatch.db).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseListen } from '../collector/config.js';
import { BootwatchError } from '../shared/errors.js';
import {
  fetchSloReport,
  fetchVersionStats,
  type CollectorTarget,
} from '../simulator/collector-client.js';
import {
  startInProcessCollector,
  type InProcessCollector,
} from '../simulator/in-process-collector.js';
import { runSimulation, timelineFor } from '../simulator/run-simulation.js';
import { loadScenario } from '../simulator/scenario.js';
import { resolveScenario } from '../simulator/scenario-files.js';
import { formatProgress, formatVersionStats } from '../simulator/summary.js';
import type { RolloutRun } from '../simulator/rollout-driver.js';
import { formatSloTable } from './slo-command.js';
import { formatVerdict } from './verdict-command.js';

const Help = `usage: bootwatch demo [--scenario FILE] [--exit-after-rollout]

Starts the collector (BOOTWATCH_LISTEN, default 127.0.0.1:4318) on a store of its own: a new
SQLite file in a temporary folder, printed at start and removed when the demo stops
(BOOTWATCH_STORE is not used: simulated boots stay out of a real store). Then it runs a short
simulated day against it (real agents, fake instances) in which a simulated pipeline canaries
two AMI versions through the rollout API: the good one is promoted, the worse one rolled back.
It prints the results, both verdicts with their checks and where to look next, and keeps
serving until Ctrl-C. On a loopback
address it accepts requests without a token; elsewhere it generates tokens and prints them (or
uses BOOTWATCH_TOKEN and BOOTWATCH_ADMIN_TOKEN).

  --scenario FILE        another scenario instead of the built-in demo
  --exit-after-rollout   stop after printing the results (for scripts and tests)
  -h, --help             this text`;

const Loopback = new Set(['127.0.0.1', '::1', 'localhost']);

interface Credentials {
  allowAnonymous: boolean;
  token: string | null;
  adminToken: string | null;
  /** Tokens made up here, to print. */
  generated: boolean;
}

/** Anonymous on loopback only; elsewhere the configured tokens, or new ones. */
export function demoCredentials(env: NodeJS.ProcessEnv): Credentials {
  const listen = parseListen(
    env.BOOTWATCH_LISTEN || '127.0.0.1:4318',
    'environment BOOTWATCH_LISTEN',
  );
  const token = env.BOOTWATCH_TOKEN || null;
  const adminToken = env.BOOTWATCH_ADMIN_TOKEN || null;
  if (Loopback.has(listen.host) && token === null && adminToken === null) {
    return { allowAnonymous: true, token, adminToken, generated: false };
  }
  const make = () => randomBytes(24).toString('base64url');
  return {
    allowAnonymous: false,
    token: token ?? make(),
    adminToken: adminToken ?? make(),
    generated: token === null || adminToken === null,
  };
}

async function startCollector(
  env: NodeJS.ProcessEnv,
  creds: Credentials,
  store: string,
  startMs: number,
  reportDeadlineMs: number,
) {
  try {
    return await startInProcessCollector({
      store,
      listen: '127.0.0.1:4318',
      startMs,
      reportDeadlineMs,
      allowAnonymous: creds.allowAnonymous,
      token: creds.token,
      adminToken: creds.adminToken,
      // The environment wins, as for `bootwatch collector`; the credentials decided above stay.
      env: {
        ...env,
        BOOTWATCH_STORE: undefined,
        BOOTWATCH_TOKEN: undefined,
        BOOTWATCH_ADMIN_TOKEN: undefined,
        BOOTWATCH_ALLOW_ANONYMOUS: undefined,
      },
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new BootwatchError(
        'BW_CONFIG_INVALID',
        `environment BOOTWATCH_LISTEN: ${env.BOOTWATCH_LISTEN || '127.0.0.1:4318'} is in use (another collector?); ` +
          'set BOOTWATCH_LISTEN to a free host:port, such as 127.0.0.1:4319',
      );
    }
    throw e;
  }
}

export async function runDemoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      'exit-after-rollout': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(Help);
    return 0;
  }
  const env = process.env;
  const scenario = loadScenario(resolveScenario(values.scenario ?? 'demo'));
  const creds = demoCredentials(env);
  const timeline = timelineFor(scenario, Infinity, Date.now());
  const storeDir = mkdtempSync(join(tmpdir(), 'bootwatch-demo-'));
  const removeStore = () => rmSync(storeDir, { recursive: true, force: true });
  let collector: InProcessCollector;
  try {
    collector = await startCollector(
      env,
      creds,
      join(storeDir, 'bootwatch.db'),
      timeline.startMs,
      scenario.reportDeadlineMs,
    );
  } catch (e) {
    removeStore();
    throw e;
  }
  const url = collector.running.url;
  const target: CollectorTarget = { url, token: creds.token, adminToken: creds.adminToken };

  // Ctrl-C stops the rollout (if it still runs), then the collector; the process then ends.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    console.log(
      `bootwatch demo: collector on ${url}, store ${collector.config.store} ` +
        '(new for this demo, removed when it stops)',
    );
    if (creds.generated) {
      console.log(`  agent token: ${creds.token}\n  admin token: ${creds.adminToken}`);
    }
    console.log(`\nrollout "${scenario.name}": ${scenario.description}`);
    const tty = process.stdout.isTTY === true;
    const result = await runSimulation({
      scenario,
      target,
      timeline,
      inProcess: collector,
      speed: Infinity,
      signal: stop.signal,
      progressEveryMs: tty ? 200 : 2000,
      onProgress: (p) =>
        process.stdout.write(tty ? `\r  ${formatProgress(p)}   ` : `  ${formatProgress(p)}\n`),
    });
    if (tty) process.stdout.write('\n');
    collector.goLive();
    if (result.aborted) {
      console.log('\nstopped during the rollout');
      return 0;
    }
    const days = Math.ceil((timeline.endMs - timeline.startMs) / 86_400_000) + 1;
    console.log(`\n${await resultsTable(target, `${days}d`)}\n`);
    for (const run of result.rollouts) console.log(`${rolloutText(run)}\n`);
    console.log(lookNext(url, creds));
    if (values['exit-after-rollout']) return 0;
    console.log('\nServing until Ctrl-C.');
    if (!stop.signal.aborted) {
      await Promise.race([
        new Promise<void>((resolve) =>
          stop.signal.addEventListener('abort', () => resolve(), { once: true }),
        ),
        collector.running.closed,
      ]);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await collector.close();
    removeStore();
    console.log('collector stopped');
  }
}

/** A rollout the simulated pipeline drove: what it did, and the verdict it obeyed with its checks. */
export function rolloutText(run: RolloutRun): string {
  const did =
    run.state === 'promoted'
      ? 'promoted it'
      : run.state === 'rolled_back'
        ? 'rolled it back'
        : run.state === 'canary'
          ? 'was still waiting (hold) when the day ended'
          : 'never started it';
  const head = `rollout "${run.name}": the pipeline ${did}`;
  return run.answer === null ? head : `${head}, on this verdict:\n${formatVerdict(run.answer)}`;
}

/** The SLO table (GET /api/v1/slos), then the per-version statistics (GET /api/v1/images). */
async function resultsTable(target: CollectorTarget, since: string): Promise<string> {
  const slos = formatSloTable(await fetchSloReport(target));
  const stats = formatVersionStats(await fetchVersionStats(target, since));
  return `${slos}\n\nfirst boots by AMI version (last ${since}):\n${stats}`;
}

function lookNext(url: string, creds: Credentials): string {
  const auth = creds.adminToken ? `-H 'authorization: Bearer ${creds.adminToken}' ` : '';
  const rows: [string, string][] = [
    [
      `curl ${auth}${url}/api/v1/slos`,
      'SLO status: SLIs, error budgets, burn rates per AMI version',
    ],
    [
      `curl ${auth}${url}/api/v1/images`,
      'boots, failures by reason, time to ready per AMI version',
    ],
    [`curl ${auth}'${url}/api/v1/boots?reason=no_report'`, 'launches that never reported'],
    [`curl ${auth}${url}/api/v1/rollouts`, 'the rollouts, promoted and rolled back'],
    [
      `BOOTWATCH_URL=${url} npx bootwatch verdict --rollout 2${creds.adminToken ? ' --token <admin token>' : ''}`,
      'a verdict with every check',
    ],
    [`curl ${url}/metrics`, 'Prometheus exposition'],
    [
      `BOOTWATCH_URL=${url} npx bootwatch slo status${creds.adminToken ? ' --token <admin token>' : ''}`,
      'the SLO table again',
    ],
  ];
  const width = Math.max(...rows.map(([command]) => command.length));
  return [
    'Look next:',
    ...rows.map(([command, what]) => `  ${command.padEnd(width)}  ${what}`),
  ].join('\n');
}
