import { readFileSync } from 'node:fs';
import { AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { BootReport } from '../../../shared/boot-report.js';
import { MetricName, ResourceAttr } from '../../../shared/conventions.js';
import { extractBoots } from '../../../collector/otlp/boot-extract.js';
import { decodeMetricsRequest } from '../../../collector/otlp/decode.js';
import {
  asJson,
  asProtobuf,
  bootAttributes,
  exportBoot,
  failedBoot,
  recordBoot,
  sdkSource,
  successfulBoot,
} from './sdk-export.js';

const JSON_TYPE = 'application/json';
const PROTOBUF_TYPE = 'application/x-protobuf';
/** Received an hour after the boots of sdk-export.ts, from a token caller (no identity). */
const received = { receivedAtMs: Date.parse('2026-03-02T12:00:00Z'), known: {} };
const fromJson = (body: Buffer, context = received) =>
  extractBoots(decodeMetricsRequest(body, JSON_TYPE), context);
const fromProtobuf = (body: Buffer, context = received) =>
  extractBoots(decodeMetricsRequest(body, PROTOBUF_TYPE), context);

describe('extractBoots: boots recorded by the OpenTelemetry SDK', () => {
  it.each([
    ['success with every field', successfulBoot],
    ['failure with a detail and a reboot', failedBoot],
  ])('rebuilds the exact report (%s) from JSON and from protobuf', async (_, boot) => {
    const { json, protobuf } = await exportBoot(boot);
    for (const result of [fromJson(json), fromProtobuf(protobuf)]) {
      expect(result).toEqual({
        boots: [boot],
        heartbeats: [],
        rejectedDataPoints: 0,
        errors: [],
        warnings: [],
      });
    }
  });

  it('rebuilds the same record from every cumulative export of the same boot', async () => {
    const source = sdkSource(bootAttributes(successfulBoot), AggregationTemporality.CUMULATIVE);
    recordBoot(source.meter, successfulBoot);
    const first = await source.collect();
    const second = await source.collect();
    await source.shutdown();
    const reports = [asJson(first), asJson(second)].map((b) => fromJson(b).boots);
    reports.push(...[asProtobuf(first), asProtobuf(second)].map((b) => fromProtobuf(b).boots));
    for (const boots of reports) expect(boots).toEqual([successfulBoot]);
  });

  it('finds no boot in a later delta export, and rejects nothing', async () => {
    const source = sdkSource(bootAttributes(successfulBoot), AggregationTemporality.DELTA);
    recordBoot(source.meter, successfulBoot);
    expect(fromJson(asJson(await source.collect())).boots).toEqual([successfulBoot]);
    const later = fromProtobuf(asProtobuf(await source.collect()));
    await source.shutdown();
    expect(later).toEqual({
      boots: [],
      heartbeats: [],
      rejectedDataPoints: 0,
      errors: [],
      warnings: [],
    });
  });

  it('agrees with what the agent module records', async () => {
    const { bootResourceAttributes, collectBootMetrics } =
      await import('../../../agent/otlp-report.js');
    const rm = await collectBootMetrics(
      successfulBoot,
      bootResourceAttributes(successfulBoot, {}, '0.1.0'),
    );
    expect(fromProtobuf(asProtobuf(rm)).boots).toEqual([successfulBoot]);
    expect(fromJson(asJson(rm)).boots).toEqual([successfulBoot]);
  });
});

describe('extractBoots: other resources and heartbeats', () => {
  it('accepts and ignores an application’s own metrics (the OTLP example request)', () => {
    const body = readFileSync(new URL('../../fixtures/real/otlp/metrics.json', import.meta.url));
    const req = decodeMetricsRequest(body, JSON_TYPE);
    expect(req.dataPointCount).toBe(3);
    expect(extractBoots(req, received)).toEqual({
      boots: [],
      heartbeats: [],
      rejectedDataPoints: 0,
      errors: [],
      warnings: [],
    });
  });

  it('turns a heartbeat gauge into a heartbeat at the point time', async () => {
    const attrs = bootAttributes(successfulBoot);
    const source = sdkSource(attrs);
    source.meter
      .createObservableGauge(MetricName.heartbeat, { unit: 's' })
      .addCallback((r) => r.observe(1_772_446_500));
    const before = Date.now();
    const result = fromProtobuf(asProtobuf(await source.collect()), {
      receivedAtMs: Date.now(),
      known: {},
    });
    await source.shutdown();
    // A boot id with no boot metrics yet (the agent waits for readiness): no boot, no rejection.
    expect(result.boots).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.heartbeats).toHaveLength(1);
    const beat = result.heartbeats[0]!;
    expect(beat).toMatchObject({
      instanceId: successfulBoot.instanceId,
      amiId: successfulBoot.amiId,
      amiVersion: successfulBoot.amiVersion,
      region: successfulBoot.region,
      asg: successfulBoot.asg,
    });
    expect(beat.atMs).toBeGreaterThanOrEqual(before - 1);
    expect(beat.atMs).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('rejects a heartbeat without host.id', async () => {
    const source = sdkSource({ [ResourceAttr.imageId]: 'ami-1' });
    source.meter.createGauge(MetricName.heartbeat).record(1);
    const result = fromJson(asJson(await source.collect()), {
      receivedAtMs: Date.now(),
      known: {},
    });
    await source.shutdown();
    expect(result.heartbeats).toEqual([]);
    expect(result.rejectedDataPoints).toBe(1);
    expect(result.errors).toEqual([
      `${MetricName.heartbeat} of an instance without host.id rejected (1 data points): resource attribute host.id is missing`,
    ]);
  });
});

/** A boot recorded by the SDK with its resource attributes changed, decoded from protobuf. */
async function extractWith(
  boot: BootReport,
  change: (attrs: Record<string, string | number | boolean>) => void,
  record: (source: ReturnType<typeof sdkSource>) => void = (s) => recordBoot(s.meter, boot),
) {
  const attrs = bootAttributes(boot);
  change(attrs);
  const source = sdkSource(attrs);
  record(source);
  const result = fromProtobuf(asProtobuf(await source.collect()));
  await source.shutdown();
  return result;
}

describe('extractBoots: invalid boots are rejected, never thrown', () => {
  const points = 2 + Object.keys(successfulBoot.phases).length;

  it('rejects a boot without host.id, counting its data points', async () => {
    const result = await extractWith(successfulBoot, (a) => delete a[ResourceAttr.hostId]);
    expect(result.boots).toEqual([]);
    expect(result.rejectedDataPoints).toBe(points);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toBe(
      `boot report of an instance without host.id (boot ${successfulBoot.bootId}) rejected (${points} data points): ` +
        'host.id (instanceId): Expected required property',
    );
  });

  it('names the instance and the attribute when launched_at is not RFC 3339', async () => {
    const result = await extractWith(successfulBoot, (a) => {
      a[ResourceAttr.bootLaunchedAt] = '02/03/2026 10:15';
    });
    expect(result.rejectedDataPoints).toBe(points);
    expect(result.errors[0]).toMatch(
      /^boot report of instance i-0abc123def4567890 \(boot 0f6b1c3e-[^)]+\) rejected \(10 data points\): bootwatch\.boot\.launched_at \(launchedAt\): .*date-time.* \(got "02\/03\/2026 10:15"\)$/,
    );
  });

  it('rejects a boot whose first-boot flag is not a boolean', async () => {
    const result = await extractWith(successfulBoot, (a) => {
      a[ResourceAttr.bootFirst] = 1;
    });
    expect(result.boots).toEqual([]);
    expect(result.errors[0]).toContain('bootwatch.boot.first: expected a boolean, got 1');
  });

  it('rejects a boot without the time_to_ready observation', async () => {
    const result = await extractWith(
      successfulBoot,
      () => {},
      (s) => {
        s.meter.createCounter(MetricName.outcome).add(1, { outcome: 'success', reason: 'none' });
      },
    );
    expect(result.rejectedDataPoints).toBe(1);
    expect(result.errors[0]).toContain(
      'bootwatch.boot.time_to_ready: expected one data point with one observation, got 0 data points',
    );
  });

  it('rejects a boot whose outcome counter disagrees with time_to_ready', async () => {
    const result = await extractWith(
      successfulBoot,
      () => {},
      (s) => {
        s.meter
          .createHistogram(MetricName.timeToReady)
          .record(30, { outcome: 'success', reason: 'none' });
        s.meter
          .createCounter(MetricName.outcome)
          .add(1, { outcome: 'failure', reason: 'probe_timeout' });
      },
    );
    expect(result.boots).toEqual([]);
    expect(result.errors[0]).toContain(
      'bootwatch.boot.outcome: outcome "failure" disagrees with bootwatch.boot.time_to_ready outcome "success"',
    );
  });

  it('rejects a time_to_ready recorded twice', async () => {
    const result = await extractWith(
      successfulBoot,
      () => {},
      (s) => {
        const h = s.meter.createHistogram(MetricName.timeToReady);
        h.record(30, { outcome: 'success', reason: 'none' });
        h.record(31, { outcome: 'success', reason: 'none' });
      },
    );
    expect(result.errors[0]).toContain(
      'bootwatch.boot.time_to_ready: expected one observation, got count 2',
    );
  });

  it('keeps the boot but rejects a point of an unknown phase', async () => {
    const result = await extractWith(
      successfulBoot,
      () => {},
      (s) => {
        recordBoot(s.meter, successfulBoot);
        s.meter.createHistogram(MetricName.phaseDuration).record(4, { phase: 'grub' });
      },
    );
    expect(result.boots).toEqual([successfulBoot]);
    expect(result.rejectedDataPoints).toBe(1);
    expect(result.errors).toEqual([
      `boot report of instance ${successfulBoot.instanceId} (boot ${successfulBoot.bootId}): ` +
        '1 bootwatch.boot.phase.duration data points rejected: unknown phase "grub"',
    ]);
  });

  it('rejects one boot of a request and keeps the other (partial success)', async () => {
    const good = await exportBoot(successfulBoot);
    const bad = await extractWith(failedBoot, (a) => delete a[ResourceAttr.bootId]);
    expect(bad.boots).toEqual([]);
    expect(bad.errors[0]).toContain('bootwatch.boot.id (bootId): Expected required property');
    const body = JSON.parse(good.json.toString()) as { resourceMetrics: unknown[] };
    const other = JSON.parse(
      (await exportBoot({ ...failedBoot, region: 'x'.repeat(40) })).json.toString(),
    ) as { resourceMetrics: unknown[] };
    body.resourceMetrics.push(...other.resourceMetrics);
    const result = fromJson(Buffer.from(JSON.stringify(body)));
    expect(result.boots).toEqual([successfulBoot]);
    expect(result.rejectedDataPoints).toBe(4);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(`instance ${failedBoot.instanceId}`);
    expect(result.errors[0]).toContain(
      'cloud.region (region): Expected string length less or equal to 32',
    );
  });
});
