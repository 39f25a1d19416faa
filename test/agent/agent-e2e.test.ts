// The whole agent over real loopback: a fake IMDS, a fake machine root (/proc, cloud-init,
// manifest) and a fake collector that captures the OTLP body, so that the assertions are on the
// exact attributes and time-to-ready value a collector receives.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../agent/config.js';
import { runAgent, type AgentRuntime } from '../../agent/run-agent.js';
import { ManualClock } from '../../shared/clock.js';
import { IdentityHeader } from '../../shared/conventions.js';
import { makeBootRoot, type BootRoot } from '../support/boot-root.js';
import {
  metricPoints,
  resourceAttributes,
  startFakeCollector,
  type FakeCollector,
} from '../support/fake-collector.js';
import {
  ExampleIdentity,
  imdsValuesFor,
  startFakeImds,
  type FakeImds,
} from '../support/fake-imds.js';

const run = promisify(execFile);
const NowMs = Date.parse('2026-11-25T12:01:00Z');

let work: string;
let boot: BootRoot;
let imds: FakeImds;
let collector: FakeCollector;
let logs: string[];

const identity = ExampleIdentity;

function runtime(clock = new ManualClock(NowMs)): AgentRuntime {
  return {
    clock,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    log: (m) => logs.push(m),
  };
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    BOOTWATCH_ROOT: boot.root,
    BOOTWATCH_IMDS_ENDPOINT: imds.url,
    BOOTWATCH_COLLECTOR_URL: collector.url,
    BOOTWATCH_SPOOL_DIR: join(work, 'spool'),
    ...extra,
  };
}

function configFile(yaml: string): string {
  const file = join(work, 'agent.yaml');
  writeFileSync(file, yaml);
  return file;
}

async function setup(options: Parameters<typeof makeBootRoot>[0] = {}) {
  boot = await makeBootRoot({
    nowMs: NowMs,
    launchedAgoSeconds: 60,
    kernelAfterLaunchSeconds: 20,
    image: { version: '2026.11.3', name: 'web-2026.11.3', build_id: 'b-77' },
    ...options,
  });
  imds = await startFakeImds({ values: imdsValuesFor(identity, { signature: 'c2lnbmF0dXJl\n' }) });
}

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'bw-agent-e2e-'));
  collector = await startFakeCollector();
  logs = [];
});

afterEach(async () => {
  await collector.close();
  await imds?.close();
  await boot?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('agent end to end', () => {
  it('reports a clean first boot with the exact identity, version and time to ready', async () => {
    await setup();
    const config = loadAgentConfig({ env: env() });
    const result = await runAgent(config, collector.url, runtime());
    expect(result.action).toBe('reported');
    expect(collector.requests).toHaveLength(1);

    const req = collector.requests[0]!;
    expect(
      Buffer.from(String(req.headers[IdentityHeader.document]), 'base64').toString(),
    ).toContain('"instanceId" : "i-0123456789abcdef0"');
    expect(req.headers[IdentityHeader.signature]).toBe('c2lnbmF0dXJl');
    expect(resourceAttributes(req.body)).toMatchObject({
      'service.name': 'bootwatch-agent',
      'cloud.provider': 'aws',
      'cloud.platform': 'aws_ec2',
      'cloud.region': 'eu-west-1',
      'cloud.availability_zone': 'eu-west-1b',
      'cloud.account.id': '123456789012',
      'host.id': 'i-0123456789abcdef0',
      'host.type': 'm7i.large',
      'host.image.id': 'ami-0fedcba9876543210',
      'host.image.name': 'web-2026.11.3',
      // the manifest wins over the tag
      'host.image.version': '2026.11.3',
      'aws.autoscaling.group.name': 'web-asg',
      'bootwatch.boot.id': boot.bootId,
      'bootwatch.boot.first': true,
      'bootwatch.boot.launched_at': '2026-11-25T12:00:00.000Z',
    });
    // No probes: ready when cloud-init finished (kernel 20 s after launch, modules-final done 20 s
    // later), not when the agent looked (60 s after launch, 20 s after cloud-init finished).
    const [ttr] = metricPoints(req.body, 'bootwatch.boot.time_to_ready');
    expect(ttr!.sum).toBe(40);
    const outcome = metricPoints(req.body, 'bootwatch.boot.outcome')[0]!;
    expect(outcome.attributes).toEqual(
      expect.arrayContaining([
        { key: 'outcome', value: { stringValue: 'success' } },
        { key: 'reason', value: { stringValue: 'none' } },
      ]),
    );
    const phases = Object.fromEntries(
      metricPoints(req.body, 'bootwatch.boot.phase.duration').map((p) => [
        (p.attributes as { value: { stringValue: string } }[])[0]!.value.stringValue,
        p.sum,
      ]),
    );
    expect(phases.provisioning).toBe(20);
    expect(phases.kernel).toBe(1.5);
    expect(Object.keys(phases)).toContain('cloud_init_modules_final');
  });

  it('a cloud-init error is reported as cloud_init_error', async () => {
    await setup({
      cloudInit: { state: 'error', errors: [{ stage: 'init', message: 'no datasource found' }] },
    });
    const result = await runAgent(loadAgentConfig({ env: env() }), collector.url, runtime());
    expect(result.report).toMatchObject({ outcome: 'failure', reason: 'cloud_init_error' });
    expect(result.report!.failureDetail).toContain('no datasource found');
    const outcome = metricPoints(collector.requests[0]!.body, 'bootwatch.boot.outcome')[0]!;
    expect(outcome.attributes).toContainEqual({
      key: 'reason',
      value: { stringValue: 'cloud_init_error' },
    });
  });

  it('a probe failing until the deadline gives probe_timeout at 600 s', async () => {
    // A reboot (pendingTime is before btime) whose 600 s deadline comes 1 s after "now".
    await setup({ launchedAgoSeconds: 619 });
    const file = configFile(
      'probes:\n  - name: app-ready\n    type: file\n    path: /run/app/ready\n    interval: 10ms\n    timeout: 10ms\n',
    );
    const result = await runAgent(loadAgentConfig({ file, env: env() }), collector.url, runtime());
    expect(result.report).toMatchObject({
      outcome: 'failure',
      reason: 'probe_timeout',
      timeToReadySeconds: 600,
    });
    expect(result.report!.failureDetail).toContain('app-ready');
    expect(metricPoints(collector.requests[0]!.body, 'bootwatch.boot.time_to_ready')[0]!.sum).toBe(
      600,
    );
  });

  it('an agent that starts after the deadline does not invent a probe timeout', async () => {
    await setup({ launchedAgoSeconds: 700 });
    const file = configFile(
      'probes:\n  - name: app-ready\n    type: file\n    path: /run/app/ready\n    interval: 10ms\n    timeout: 10ms\n',
    );
    const result = await runAgent(loadAgentConfig({ file, env: env() }), collector.url, runtime());
    expect(result.report).toMatchObject({ outcome: 'failure', reason: 'agent_error' });
    expect(result.report!.failureDetail).toBe(
      "the agent started 1m20s after the boot's deadline: the readiness probes were not tried, " +
        'so when this boot became ready is unknown',
    );
  });

  it('spools while the collector is down, sends the same report when it is back, and never again', async () => {
    await setup();
    const file = configFile('retry:\n  max_attempts_per_run: 1\ncollector:\n  timeout: 1s\n');
    const config = loadAgentConfig({ file, env: env() });
    const upUrl = collector.url;
    await collector.close();

    const first = await runAgent(config, upUrl, runtime());
    expect(first.action).toBe('left_in_spool');
    const spooled = JSON.parse(
      readFileSync(join(work, 'spool', 'pending', `${boot.bootId}.json`), 'utf8'),
    );

    collector = await startFakeCollector();
    // A restarted agent (systemd) with the collector back: it resends, it does not re-observe.
    const second = await runAgent(
      config,
      collector.url,
      runtime(new ManualClock(NowMs + 3_600_000)),
    );
    expect(second.action).toBe('resent');
    expect(collector.requests).toHaveLength(1);
    expect(resourceAttributes(collector.requests[0]!.body)['bootwatch.boot.id']).toBe(boot.bootId);
    expect(metricPoints(collector.requests[0]!.body, 'bootwatch.boot.time_to_ready')[0]!.sum).toBe(
      spooled.report.timeToReadySeconds,
    );

    const third = await runAgent(config, collector.url, runtime());
    expect(third.action).toBe('already_reported');
    expect(collector.requests).toHaveLength(1);
  });

  it('retries through 503s with Retry-After and reports once', async () => {
    await setup();
    collector.script({ status: 503, retryAfter: 0 }, { status: 429, retryAfter: 0 });
    const result = await runAgent(loadAgentConfig({ env: env() }), collector.url, runtime());
    expect(result.action).toBe('reported');
    expect(collector.requests).toHaveLength(3);
  });

  it('a reboot of the same instance is not a first boot and is measured from the kernel', async () => {
    await setup();
    const config = loadAgentConfig({ env: env() });
    await runAgent(config, collector.url, runtime());
    await boot.cleanup();
    boot = await makeBootRoot({ nowMs: NowMs + 86_400_000, launchedAgoSeconds: 60 });
    const second = await runAgent(
      loadAgentConfig({ env: env() }),
      collector.url,
      runtime(new ManualClock(NowMs + 86_400_000)),
    );
    expect(second.report).toMatchObject({
      firstBoot: false,
      launchedAt: new Date(boot.kernelBootMs).toISOString(),
    });
    expect(second.report!.phases.provisioning).toBeUndefined();
  });

  it('reports without IMDS when it is disabled (403), from cloud-init instance id and the manifest', async () => {
    await setup();
    imds.setDisabled(true);
    await boot.writeFile('/var/lib/cloud/data/instance-id', 'i-0aaaabbbbccccdddd\n');
    const result = await runAgent(loadAgentConfig({ env: env() }), collector.url, runtime());
    expect(result.report).toMatchObject({
      instanceId: 'i-0aaaabbbbccccdddd',
      amiVersion: '2026.11.3',
      outcome: 'success',
      launchedAt: new Date(boot.kernelBootMs).toISOString(),
    });
    expect(logs.some((l) => l.startsWith('not observed: IMDS (BW_IMDS_DISABLED'))).toBe(true);
    expect(collector.requests[0]!.headers[IdentityHeader.document]).toBeUndefined();
  });
  it('probes that pass at once, long after cloud-init finished, are reported as an upper bound', async () => {
    await setup();
    await boot.writeFile('/run/app/ready', '');
    const file = configFile(
      'probes:\n  - name: app-ready\n    type: file\n    path: /run/app/ready\n',
    );
    const result = await runAgent(loadAgentConfig({ file, env: env() }), collector.url, runtime());
    // The agent cannot know whether the app was ready before it first looked (60 s after launch).
    expect(result.report).toMatchObject({ outcome: 'success', timeToReadySeconds: 60 });
    expect(logs).toContain(
      'every probe passed at its first attempt, 20s after cloud-init finished: the boot may have ' +
        'been ready earlier (its time to ready is an upper bound)',
    );
  });

  it('a report the collector refused is kept in rejected/ and not sent by a restarted agent', async () => {
    await setup();
    collector.script({
      status: 200,
      body: '{"partialSuccess":{"rejectedDataPoints":"11","errorMessage":"boot rejected"}}',
    });
    const config = loadAgentConfig({ env: env() });
    const first = await runAgent(config, collector.url, runtime());
    expect(first.action).toBe('rejected');
    expect(first.delivery.rejected).toEqual([boot.bootId]);
    const kept = JSON.parse(
      readFileSync(join(work, 'spool', 'rejected', `${boot.bootId}.json`), 'utf8'),
    );
    expect(kept.rejection).toMatchObject({ message: 'boot rejected', rejectedDataPoints: 11 });

    const second = await runAgent(config, collector.url, runtime());
    expect(second.action).toBe('rejected');
    expect(collector.requests).toHaveLength(1);
  });
});

describe('bootwatch agent (CLI)', () => {
  const cli = ['--import', 'tsx', 'cli/run.ts', 'agent'];

  it('--dry-run prints the OTLP JSON body it would send and writes nothing', async () => {
    await setup();
    const { stdout } = await run(process.execPath, [...cli, '--dry-run'], {
      env: { ...process.env, ...env(), BOOTWATCH_COLLECTOR_URL: '' },
    });
    const body = JSON.parse(stdout);
    expect(resourceAttributes(body)).toMatchObject({
      'host.id': identity.instanceId,
      'bootwatch.boot.id': boot.bootId,
    });
    expect(metricPoints(body, 'bootwatch.boot.time_to_ready')).toHaveLength(1);
    expect(collector.requests).toHaveLength(0);
    expect(() => readFileSync(join(work, 'spool', 'pending', `${boot.bootId}.json`))).toThrow();
  });

  it('exits 65 when the collector refused the report, with its message as an error', async () => {
    await setup();
    collector.script({
      status: 200,
      body: '{"partialSuccess":{"rejectedDataPoints":"11","errorMessage":"host.image.id (amiId): Expected required property"}}',
    });
    const err = await run(process.execPath, [...cli], { env: { ...process.env, ...env() } }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(65);
    expect(err?.stderr).toMatch(
      /bootwatch-agent: error: BW_REPORT_REJECTED: the collector refused the report of boot \S+: 11 of \d+ data points rejected: host\.image\.id \(amiId\): Expected required property/,
    );
    expect(err?.stderr).not.toContain('reported (');
  });

  it('an invalid config stops the agent with a message naming the field', async () => {
    await setup();
    const file = configFile('deadline: soon\n');
    const err = await run(process.execPath, [...cli, '--config', file], {
      env: { ...process.env, ...env() },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('BW_CONFIG_INVALID');
    expect(err?.stderr).toContain('deadline');
    expect(err?.stderr).toContain("'soon'");
  });
});
