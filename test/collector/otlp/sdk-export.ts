// Export bodies made by the real OpenTelemetry JS SDK and serializers: a MeterProvider with a
// reader collected by hand, serialized by @opentelemetry/otlp-transformer as the OTLP/HTTP
// exporters do. A boot is recorded the way an agent records it: resource attributes and three
// metrics with one observation each.
import type { Meter } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import type { BootReport } from '../../../shared/boot-report.js';
import {
  MetricName,
  PhaseBuckets,
  PointAttr,
  ResourceAttr,
  TimeToReadyBuckets,
} from '../../../shared/conventions.js';

class ManualReader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface SdkSource {
  meter: Meter;
  /** One collection, as a periodic reader would make at each interval. */
  collect(): Promise<ResourceMetrics>;
  shutdown(): Promise<void>;
}

export function sdkSource(
  attributes: Record<string, string | number | boolean | string[]>,
  temporality = AggregationTemporality.CUMULATIVE,
  views: ViewOptions[] = [],
): SdkSource {
  const reader = new ManualReader(temporality);
  const provider = new MeterProvider({
    resource: resourceFromAttributes(attributes),
    readers: [reader],
    views,
  });
  return {
    meter: provider.getMeter('bootwatch-agent'),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics;
    },
    shutdown: () => provider.shutdown(),
  };
}

export const asJson = (rm: ResourceMetrics): Buffer =>
  Buffer.from(JsonMetricsSerializer.serializeRequest(rm) as Uint8Array);

export const asProtobuf = (rm: ResourceMetrics): Buffer =>
  Buffer.from(ProtobufMetricsSerializer.serializeRequest(rm) as Uint8Array);

/** The resource attributes an agent sends for a boot (DESIGN.md, OTLP mapping). */
export function bootAttributes(r: BootReport): Record<string, string | number | boolean> {
  const a: Record<string, string | number | boolean> = {
    'service.name': 'bootwatch-agent',
    'cloud.provider': 'aws',
    'cloud.platform': 'aws_ec2',
    'host.arch': 'amd64',
    [ResourceAttr.hostId]: r.instanceId,
    [ResourceAttr.bootId]: r.bootId,
    [ResourceAttr.bootFirst]: r.firstBoot,
    [ResourceAttr.bootLaunchedAt]: r.launchedAt,
    [ResourceAttr.imageId]: r.amiId,
    [ResourceAttr.imageVersion]: r.amiVersion,
    [ResourceAttr.cloudRegion]: r.region,
    [ResourceAttr.hostType]: r.instanceType,
  };
  const optional: [string, string | undefined][] = [
    [ResourceAttr.bootKernelStartedAt, r.kernelStartedAt],
    [ResourceAttr.imageName, r.amiName],
    [ResourceAttr.cloudAccount, r.accountId],
    [ResourceAttr.cloudZone, r.availabilityZone],
    [ResourceAttr.asgName, r.asg],
    [ResourceAttr.failureDetail, r.failureDetail],
  ];
  for (const [key, value] of optional) if (value !== undefined) a[key] = value;
  return a;
}

/** Records the three boot metrics of a report, one observation each. */
export function recordBoot(meter: Meter, r: BootReport): void {
  const labels = { [PointAttr.outcome]: r.outcome, [PointAttr.reason]: r.reason };
  meter
    .createHistogram(MetricName.timeToReady, {
      unit: 's',
      advice: { explicitBucketBoundaries: [...TimeToReadyBuckets] },
    })
    .record(r.timeToReadySeconds, labels);
  meter.createCounter(MetricName.outcome, { unit: '{boot}' }).add(1, labels);
  const phase = meter.createHistogram(MetricName.phaseDuration, {
    unit: 's',
    advice: { explicitBucketBoundaries: [...PhaseBuckets] },
  });
  for (const [name, seconds] of Object.entries(r.phases)) {
    if (seconds !== undefined) phase.record(seconds, { [PointAttr.phase]: name });
  }
}

export const successfulBoot: BootReport = {
  instanceId: 'i-0abc123def4567890',
  bootId: '0f6b1c3e-7b4a-4c1e-9d1e-2a3b4c5d6e7f',
  firstBoot: true,
  launchedAt: '2026-03-02T10:15:30.250Z',
  kernelStartedAt: '2026-03-02T10:15:41Z',
  amiId: 'ami-0123456789abcdef0',
  amiName: 'web-base-al2023',
  amiVersion: '2026.03.1',
  accountId: '123456789012',
  region: 'eu-west-1',
  availabilityZone: 'eu-west-1b',
  instanceType: 'm7g.large',
  asg: 'web-asg',
  outcome: 'success',
  reason: 'none',
  timeToReadySeconds: 47.318,
  phases: {
    provisioning: 10.75,
    kernel: 1.2,
    userspace: 3.5,
    cloud_init_init_local: 0.8,
    cloud_init_init: 6.25,
    cloud_init_modules_config: 2,
    cloud_init_modules_final: 12.5,
    probe_wait: 10.318,
  },
};

export const failedBoot: BootReport = {
  instanceId: 'i-0fedcba9876543210',
  bootId: '5d2f9a10-1111-4222-8333-944455556666',
  firstBoot: false,
  launchedAt: '2026-03-02T11:00:00Z',
  amiId: 'ami-0123456789abcdef0',
  amiVersion: '2026.03.1',
  region: 'eu-west-1',
  instanceType: 't4g.small',
  outcome: 'failure',
  reason: 'cloud_init_error',
  timeToReadySeconds: 95,
  phases: { provisioning: 8, kernel: 1 },
  failureDetail: "('modules-final', RuntimeError('scripts-user failed'))",
};

/** A boot exported once by a fresh SDK, as a request body of each encoding. */
export async function exportBoot(r: BootReport): Promise<{ json: Buffer; protobuf: Buffer }> {
  const source = sdkSource(bootAttributes(r));
  recordBoot(source.meter, r);
  const rm = await source.collect();
  await source.shutdown();
  return { json: asJson(rm), protobuf: asProtobuf(rm) };
}
