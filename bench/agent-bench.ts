// The agent's cost to a boot: the bundled agent (dist/bootwatch-agent.mjs) from process start to
// acknowledged report, against a local fake IMDS and fake collector, beside bare `node -e 0` in the
// same run. Each agent run gets a fresh machine root and spool, as a real first boot would.
// Targets (issue 2): own work (agent - bare) at most 2x bare node's wall time; peak RSS <= 60 MB;
// bundle <= 2 MB.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBootRoot } from '../test/support/boot-root.js';
import { startFakeCollector } from '../test/support/fake-collector.js';
import { imdsValuesFor, startFakeImds } from '../test/support/fake-imds.js';
import { summarize, type Summary } from './stats.js';

const Bundle = 'dist/bootwatch-agent.mjs';
const Preload = new URL('./rusage-preload.mjs', import.meta.url).href;

interface Sample {
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
}

function measure(args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', Preload, ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let usage = '';
    let stderr = '';
    child.stdio[3]!.on('data', (c: Buffer) => (usage += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`exit ${code}: ${stderr}`));
      const u = JSON.parse(usage) as { userUs: number; systemUs: number; maxRssKb: number };
      resolve({ wallMs, cpuMs: (u.userUs + u.systemUs) / 1000, maxRssMb: u.maxRssKb / 1024 });
    });
  });
}

export interface AgentBenchResult {
  runs: number;
  bundleBytes: number;
  bare: { wallMs: Summary; cpuMs: Summary; maxRssMb: Summary };
  agent: { wallMs: Summary; cpuMs: Summary; maxRssMb: Summary };
  /** (agent - bare) / bare, on medians of wall time. Target <= 2. */
  ownWorkRatio: number;
  reports: number;
}

export async function benchAgent(runs = 15): Promise<AgentBenchResult> {
  const bundleBytes = statSync(Bundle).size;
  const collector = await startFakeCollector();
  const identity = {
    instanceId: 'i-0bench000000000001',
    imageId: 'ami-0bench00000000001',
    region: 'eu-west-1',
    availabilityZone: 'eu-west-1a',
    accountId: '123456789012',
    instanceType: 'm7i.large',
    pendingTime: new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000)
      .toISOString()
      .replace('.000', ''),
  };
  const imds = await startFakeImds({ values: imdsValuesFor(identity, { signature: 'c2ln' }) });
  const bare: Sample[] = [];
  const agent: Sample[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      // Interleave baseline and agent so that both see the same machine load.
      bare.push(await measure(['-e', '0'], process.env));
      const boot = await makeBootRoot({ launchedAgoSeconds: 60, image: { version: 'bench-1' } });
      const spool = mkdtempSync(join(tmpdir(), 'bw-bench-spool-'));
      try {
        agent.push(
          await measure([Bundle], {
            ...process.env,
            BOOTWATCH_ROOT: boot.root,
            BOOTWATCH_IMDS_ENDPOINT: imds.url,
            BOOTWATCH_COLLECTOR_URL: collector.url,
            BOOTWATCH_SPOOL_DIR: spool,
          }),
        );
      } finally {
        await boot.cleanup();
        rmSync(spool, { recursive: true, force: true });
      }
    }
  } finally {
    await imds.close();
    await collector.close();
  }
  const pick = (xs: Sample[]) => ({
    wallMs: summarize(xs.map((x) => x.wallMs)),
    cpuMs: summarize(xs.map((x) => x.cpuMs)),
    maxRssMb: summarize(xs.map((x) => x.maxRssMb)),
  });
  const b = pick(bare);
  const a = pick(agent);
  return {
    runs,
    bundleBytes,
    bare: b,
    agent: a,
    ownWorkRatio: (a.wallMs.median - b.wallMs.median) / b.wallMs.median,
    reports: collector.requests.length,
  };
}
