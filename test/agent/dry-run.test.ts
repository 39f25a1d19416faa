// `bootwatch agent --dry-run` where people try it: a laptop, a container, an EC2 instance. Each is a
// fake machine root, a fake IMDS (answering, or refusing connections as off EC2) and a systemctl
// on PATH that answers as that machine's would. The run is in-process on a simulated clock: the
// IMDS retry budget passes in simulated time.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../agent/config.js';
import { dryRun } from '../../agent/dry-run.js';
import type { AgentRuntime } from '../../agent/run-agent.js';
import { ManualClock } from '../../shared/clock.js';
import { installFakeSystemctl } from '../../simulator/fake-systemctl.js';
import { makeBootRoot, type BootRoot } from '../support/boot-root.js';
import { metricPoints, resourceAttributes } from '../support/fake-collector.js';
import {
  ExampleIdentity,
  imdsValuesFor,
  startFakeImds,
  type FakeImds,
} from '../support/fake-imds.js';

const NowMs = Date.parse('2026-11-25T12:01:00Z');
const ThreeDays = 3 * 86_400;

let work: string;
let boot: BootRoot | undefined;
let imds: FakeImds | undefined;
let restorePath: () => void;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'bw-dry-run-'));
});
afterEach(async () => {
  restorePath?.();
  await imds?.close();
  await boot?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** A systemctl that answers as systemd with no failed unit (an EC2 instance, a laptop). */
function healthySystemctl(): () => void {
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'systemctl'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(bin, 'systemctl'), 0o755);
  const before = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${before ?? ''}`;
  return () => {
    process.env.PATH = before;
  };
}

interface DryRunOutput {
  code: number;
  body: unknown;
  stderr: string[];
}

async function dryRunOn(root: BootRoot, imdsUrl: string): Promise<DryRunOutput> {
  const clock = new ManualClock(NowMs);
  const stderr: string[] = [];
  const rt: AgentRuntime = {
    clock,
    sleep: async (ms) => clock.advance(ms),
    log: (m, level) => stderr.push(level ? `${level}: ${m}` : m),
  };
  const config = loadAgentConfig({
    env: {
      BOOTWATCH_ROOT: root.root,
      BOOTWATCH_IMDS_ENDPOINT: imdsUrl,
      BOOTWATCH_SPOOL_DIR: join(work, 'spool'),
    },
  });
  let out = '';
  const code = await dryRun(config, rt, (text) => (out += text));
  return { code, body: JSON.parse(out), stderr };
}

function outcomeOf(body: unknown): Record<string, string> {
  const point = metricPoints(body, 'bootwatch.boot.outcome')[0]!;
  const attrs = point.attributes as { key: string; value: { stringValue: string } }[];
  return Object.fromEntries(attrs.map((a) => [a.key, a.value.stringValue]));
}

/** IMDS as seen off EC2: nothing listens, connections are refused. */
async function noImds(): Promise<string> {
  imds = await startFakeImds({ deferListen: true });
  return imds.url;
}

describe('bootwatch agent --dry-run', () => {
  it('on a laptop: says IMDS and cloud-init were not observed, and invents no timeout', async () => {
    restorePath = healthySystemctl();
    boot = await makeBootRoot({
      nowMs: NowMs,
      launchedAgoSeconds: ThreeDays,
      cloudInit: { state: 'not_installed' },
    });
    const { code, body, stderr } = await dryRunOn(boot, await noImds());

    expect(code).toBe(0);
    expect(resourceAttributes(body)['bootwatch.boot.id']).toBe(boot.bootId);
    expect(outcomeOf(body)).toEqual({ outcome: 'failure', reason: 'agent_error' });
    expect(stderr.filter((l) => l.includes('not observed'))).toEqual([
      expect.stringMatching(/^warning: dry run: not observed: IMDS \(BW_IMDS_UNREACHABLE: /),
      'warning: dry run: not observed: cloud-init: not installed',
    ]);
    const summary = stderr.find((l) => l.startsWith('dry run: would report'))!;
    expect(summary).toContain('as failure (agent_error)');
    expect(summary).toContain(
      'nothing tells when this boot became ready (cloud-init not installed, no readiness probes)',
    );
    expect(summary).not.toContain('probe_timeout');
    expect(stderr.some((l) => l.includes('every probe passed'))).toBe(false);
    expect(existsSync(join(work, 'spool'))).toBe(false);
  });

  it('in a container: systemd is not observed either', async () => {
    restorePath = installFakeSystemctl(work);
    boot = await makeBootRoot({
      nowMs: NowMs,
      launchedAgoSeconds: ThreeDays,
      pid1Comm: 'sh',
      cloudInit: { state: 'not_installed' },
    });
    const { code, body, stderr } = await dryRunOn(boot, await noImds());

    expect(code).toBe(0);
    expect(outcomeOf(body)).toEqual({ outcome: 'failure', reason: 'agent_error' });
    expect(stderr).toContain(
      "warning: dry run: not observed: systemd (System has not been booted with systemd as init system (PID 1). Can't operate.): failed units not checked",
    );
    expect(stderr.some((l) => l.includes('not observed: cloud-init: not installed'))).toBe(true);
  });

  describe('on an EC2 instance', () => {
    async function instance(launchedAgoSeconds: number) {
      restorePath = healthySystemctl();
      boot = await makeBootRoot({
        nowMs: NowMs,
        launchedAgoSeconds,
        kernelAfterLaunchSeconds: 20,
        image: { version: '2026.11.3', name: 'web-2026.11.3' },
      });
      const pendingTime = new Date(boot.launchedAtMs).toISOString().replace('.000Z', 'Z');
      const identity = { ...ExampleIdentity, pendingTime };
      imds = await startFakeImds({ values: imdsValuesFor(identity, { signature: 'c2ln\n' }) });
      return dryRunOn(boot, imds.url);
    }

    it('soon after launch: the report the agent would send, and nothing unobserved', async () => {
      const { code, body, stderr } = await instance(60);
      expect(code).toBe(0);
      expect(resourceAttributes(body)).toMatchObject({
        'host.id': 'i-0123456789abcdef0',
        'host.image.id': 'ami-0fedcba9876543210',
        'cloud.region': 'eu-west-1',
      });
      expect(outcomeOf(body)).toEqual({ outcome: 'success', reason: 'none' });
      // cloud-init finished 40 s after launch; the dry run looked at 60 s.
      expect(metricPoints(body, 'bootwatch.boot.time_to_ready')[0]!.sum).toBe(40);
      expect(stderr.filter((l) => l.includes('not observed'))).toEqual([]);
      expect(stderr).toContain(
        `dry run: would report boot ${boot!.bootId} of i-0123456789abcdef0 as success (none), ` +
          'time to ready 40 s; nothing written, nothing sent',
      );
    });

    it("hours after launch: judged from cloud-init's own record, still a success", async () => {
      const { body } = await instance(3 * 3600);
      expect(outcomeOf(body)).toEqual({ outcome: 'success', reason: 'none' });
      expect(metricPoints(body, 'bootwatch.boot.time_to_ready')[0]!.sum).toBe(40);
    });
  });
});
