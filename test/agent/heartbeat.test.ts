import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../agent/config.js';
import { runHeartbeats } from '../../agent/heartbeat.js';
import { ManualClock } from '../../shared/clock.js';
import { makeBootRoot, type BootRoot } from '../support/boot-root.js';
import {
  metricPoints,
  resourceAttributes,
  startFakeCollector,
  type FakeCollector,
} from '../support/fake-collector.js';
import { imdsValuesFor, startFakeImds, type FakeImds } from '../support/fake-imds.js';

let work: string;
let boot: BootRoot;
let imds: FakeImds;
let collector: FakeCollector;

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'bw-heartbeat-'));
  boot = await makeBootRoot({ image: { version: '7.1.0' } });
  imds = await startFakeImds({
    values: imdsValuesFor({
      instanceId: 'i-0123456789abcdef0',
      imageId: 'ami-0123456789abcdef0',
      region: 'us-east-1',
      availabilityZone: 'us-east-1c',
      accountId: '123456789012',
      instanceType: 't3.micro',
      pendingTime: '2026-11-25T12:00:00Z',
      tags: { 'aws:autoscaling:groupName': 'api' },
    }),
  });
  collector = await startFakeCollector();
});

afterEach(async () => {
  await collector.close();
  await imds.close();
  await boot.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('heartbeats', () => {
  it('sends a gauge per interval with the instance identity and no boot id', async () => {
    const config = loadAgentConfig({
      env: {
        BOOTWATCH_ROOT: boot.root,
        BOOTWATCH_IMDS_ENDPOINT: imds.url,
        BOOTWATCH_SPOOL_DIR: join(work, 'spool'),
        BOOTWATCH_HEARTBEAT_INTERVAL: '30s',
      },
    });
    expect(config.heartbeat).toEqual({ enabled: true, interval: 30_000 });
    const clock = new ManualClock(Date.parse('2026-11-25T12:30:00Z'));
    const slept: number[] = [];
    const rt = {
      clock,
      sleep: async (ms: number) => {
        slept.push(ms);
        clock.advance(ms);
      },
      log: () => {},
    };
    await runHeartbeats(config, collector.url, rt, 'boot-1', 2);
    expect(collector.requests).toHaveLength(2);
    expect(slept).toEqual([30_000]);
    const attrs = resourceAttributes(collector.requests[1]!.body);
    expect(attrs).toMatchObject({
      'host.id': 'i-0123456789abcdef0',
      'host.image.version': '7.1.0',
      'aws.autoscaling.group.name': 'api',
    });
    expect(attrs['bootwatch.boot.id']).toBeUndefined();
    const [beat] = metricPoints(collector.requests[1]!.body, 'bootwatch.agent.heartbeat');
    expect(beat!.asInt ?? beat!.asDouble).toBe(Date.parse('2026-11-25T12:30:30Z') / 1000);
  });
});
