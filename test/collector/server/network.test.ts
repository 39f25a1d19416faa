// The collector on a real socket: the OpenTelemetry exporters against it, /metrics across a
// restart on the same SQLite file, the sweeper wired to /metrics, and a graceful shutdown that
// lets a request in flight finish.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCollector, type RunningCollector } from '../../../collector/run-collector.js';
import {
  MetricName,
  PhaseBuckets,
  PointAttr,
  TimeToReadyBuckets,
} from '../../../shared/conventions.js';
import { ManualClock } from '../../../shared/clock.js';
import {
  agentAuth,
  AgentToken,
  bootAttributes,
  ManualScheduler,
  otlpJson,
  testBoot,
  testConfig,
  type TestBoot,
} from './harness.js';

/** The proto exporter's options: its compression is an enum of a package we do not import. */
type ProtoOptions = NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>;

/**
 * Records one boot with the SDK, as DESIGN.md's mapping says, exports it through `exporter` and
 * returns the export's result code (0: the collector acknowledged it).
 */
async function exportBoot(boot: TestBoot, target: PushMetricExporter): Promise<number[]> {
  const codes: number[] = [];
  // The reader logs a failed export instead of rejecting forceFlush: listen to the results.
  const exporter: PushMetricExporter = {
    export: (metrics, done) => target.export(metrics, (r) => (codes.push(r.code), done(r))),
    forceFlush: () => target.forceFlush(),
    shutdown: () => target.shutdown(),
    selectAggregationTemporality: target.selectAggregationTemporality?.bind(target),
  };
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes(bootAttributes(boot)),
    readers: [reader],
  });
  const meter = provider.getMeter('bootwatch-agent');
  const outcome = { [PointAttr.outcome]: boot.outcome, [PointAttr.reason]: boot.reason };
  meter
    .createHistogram(MetricName.timeToReady, {
      unit: 's',
      advice: { explicitBucketBoundaries: [...TimeToReadyBuckets] },
    })
    .record(boot.timeToReadySeconds, outcome);
  meter.createCounter(MetricName.outcome).add(1, outcome);
  const phases = meter.createHistogram(MetricName.phaseDuration, {
    unit: 's',
    advice: { explicitBucketBoundaries: [...PhaseBuckets] },
  });
  for (const [phase, seconds] of Object.entries(boot.phases))
    phases.record(seconds, { [PointAttr.phase]: phase });
  try {
    await provider.forceFlush();
  } finally {
    await provider.shutdown();
  }
  return codes;
}

const metricLine = async (url: string, pattern: RegExp): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => pattern.test(l));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('the collector on the network', () => {
  let dir: string;
  let running: RunningCollector | null = null;
  const start = async () => {
    running = await runCollector(
      testConfig({
        listen: '127.0.0.1:0',
        store: join(dir, 'bootwatch.db'),
        replica_id: 'replica-a',
      }),
      { handleSignals: false },
    );
    return running;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bw-net-'));
  });
  afterEach(async () => {
    await running?.close();
    running = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts boots from the real OTLP/HTTP JSON and protobuf (gzip) exporters', async () => {
    const c = await start();
    const headers = { authorization: `Bearer ${AgentToken}` };
    const json = await exportBoot(
      testBoot({ instanceId: 'i-00000000000000json' }),
      new JsonExporter({ url: `${c.url}/v1/metrics`, headers }),
    );
    const proto = await exportBoot(
      testBoot({ instanceId: 'i-0000000000000proto', timeToReadySeconds: 61 }),
      new ProtoExporter({
        url: `${c.url}/v1/metrics`,
        headers,
        compression: 'gzip' as ProtoOptions['compression'],
      }),
    );
    // forceFlush and shutdown each export (a cumulative reader repeats the boot): all acknowledged.
    expect([new Set(json), new Set(proto)]).toEqual([new Set([0]), new Set([0])]);
    const [fromJson] = await c.store.getBoots('i-00000000000000json');
    const [fromProto] = await c.store.getBoots('i-0000000000000proto');
    expect(fromJson).toMatchObject({
      outcome: 'success',
      timeToReadySeconds: 42.5,
      amiVersion: '2024.05.1',
    });
    expect(fromJson!.phases).toEqual(testBoot().phases);
    expect(fromProto).toMatchObject({
      timeToReadySeconds: 61,
      asg: 'web-asg',
      accountId: '123456789012',
    });
  });

  it('reports an exporter failure for a rejected request', async () => {
    const c = await start();
    const exporter = new JsonExporter({
      url: `${c.url}/v1/metrics`,
      headers: { authorization: 'Bearer wrong' },
    });
    expect(new Set(await exportBoot(testBoot(), exporter))).toEqual(new Set([1]));
    expect(await c.store.getBoots(testBoot().instanceId)).toEqual([]);
  });

  it('continues its counters after a restart on the same file and replica id', async () => {
    let c = await start();
    const post = (boots: TestBoot[]) =>
      fetch(`${c.url}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...agentAuth },
        body: otlpJson(boots),
      });
    expect(
      (
        await post([
          testBoot({ instanceId: 'i-0000000000000001' }),
          testBoot({ instanceId: 'i-0000000000000002' }),
        ])
      ).status,
    ).toBe(200);
    const total = /^bootwatch_boots_total\{.*ami_version="2024\.05\.1"/;
    const bucket = /^bootwatch_time_to_ready_seconds_bucket\{.*ami_version="2024\.05\.1".*le="45"/;
    expect(await metricLine(c.url, total)).toBe(2);
    expect(await metricLine(c.url, bucket)).toBe(2);
    await c.close();

    c = await start();
    expect(await metricLine(c.url, total)).toBe(2);
    expect(await metricLine(c.url, bucket)).toBe(2);
    expect((await post([testBoot({ instanceId: 'i-0000000000000003' })])).status).toBe(200);
    expect(await metricLine(c.url, total)).toBe(3);
  });

  it('runs the sweeper: a silent launch becomes a no_report failure on /metrics', async () => {
    const clock = new ManualClock(Date.parse('2024-05-01T10:00:00Z'));
    const scheduler = new ManualScheduler();
    const c = (running = await runCollector(
      testConfig({
        listen: '127.0.0.1:0',
        store: join(dir, 'bootwatch.db'),
        report_deadline: '15m',
        sweep_interval: '30s',
      }),
      { handleSignals: false, clock, scheduler },
    ));
    const event = {
      version: '0',
      id: '0b6d4c1e-5f43-4a3b-9f0e-1c2d3e4f5a6b',
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: '2024-05-01T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: { 'instance-id': 'i-0000000000000silent', state: 'pending' },
    };
    const res = await fetch(`${c.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...agentAuth },
      body: JSON.stringify(event),
    });
    expect(res.status).toBe(200);
    const noReport = /^bootwatch_boots_total\{.*reason="no_report"/;
    clock.advance(16 * 60_000);
    scheduler.fire(30_000);
    // The sweep runs in the background: poll /metrics, a bounded number of times.
    let value = 0;
    for (let i = 0; i < 50 && value === 0; i += 1) {
      value = await metricLine(c.url, noReport);
      if (value === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(value).toBe(1);
    expect(await c.store.getBoots('i-0000000000000silent')).toMatchObject([
      { reason: 'no_report', source: 'collector' },
    ]);
  });

  it('lets a request in flight finish when it shuts down, then refuses connections', async () => {
    const c = await start();
    const body = Buffer.from(otlpJson([testBoot()]));
    const { port } = new URL(c.url);
    // Half the body now, the rest once shutdown has begun.
    let answered: (v: { status: number; body: string }) => void = () => undefined;
    const answer = new Promise<{ status: number; body: string }>((r) => (answered = r));
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(port),
        method: 'POST',
        path: '/v1/metrics',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          ...agentAuth,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => answered({ status: res.statusCode ?? 0, body: text }));
      },
    );
    // The server has the request's headers (not only a connection, which close() would drop as
    // idle) before shutdown begins: waiting on that, not on a delay, holds on a busy machine.
    const received = new Promise((r) => c.app.server.once('request', r));
    req.write(body.subarray(0, 100));
    await received;
    let closed = false;
    const closing = c.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    await expect(fetch(`${c.url}/healthz`)).rejects.toThrow();
    req.end(body.subarray(100));
    expect(await answer).toEqual({ status: 200, body: '{}' });
    await closing;
    running = null;
    // The store was closed after the request was written: reopen the file and look.
    const again = await start();
    expect(await again.store.getBoots(testBoot().instanceId)).toHaveLength(1);
  });
});
