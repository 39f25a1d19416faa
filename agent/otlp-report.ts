// A boot report as OpenTelemetry metrics: one resource (the boot's identity, DESIGN.md's OTLP
// mapping) and three metrics with one observation each. Built with the OpenTelemetry metrics SDK
// and sent with its OTLP/HTTP exporter, so the collector receives exactly what any OTLP source
// sends. (We use @opentelemetry/sdk-metrics, the metrics half of @opentelemetry/sdk-node, directly:
// sdk-node's tracing, logging and gRPC parts would add 1.1 MB and ~50 ms to every boot for nothing.)
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { BootReport } from '../shared/boot-report.js';
import {
  CloudPlatform,
  CloudProvider,
  MetricName,
  PhaseBuckets,
  PointAttr,
  ResourceAttr,
  ServiceName,
  TimeToReadyBuckets,
} from '../shared/conventions.js';

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

/** The resource attributes of a boot: its identity plus host facts (which never override it). */
export function bootResourceAttributes(
  report: BootReport,
  extra: Attributes,
  agentVersion: string,
): Attributes {
  const a: Attributes = { ...extra };
  const set = (key: string, value: AttributeValue | undefined) => {
    if (value !== undefined && value !== '') a[key] = value;
  };
  set(ResourceAttr.serviceName, ServiceName);
  set(ResourceAttr.serviceVersion, agentVersion);
  set(ResourceAttr.cloudProvider, CloudProvider);
  set(ResourceAttr.cloudPlatform, CloudPlatform);
  set(ResourceAttr.cloudRegion, report.region);
  set(ResourceAttr.cloudZone, report.availabilityZone);
  set(ResourceAttr.cloudAccount, report.accountId);
  set(ResourceAttr.hostId, report.instanceId);
  set(ResourceAttr.hostType, report.instanceType);
  set(ResourceAttr.imageId, report.amiId);
  set(ResourceAttr.imageName, report.amiName);
  set(ResourceAttr.imageVersion, report.amiVersion);
  set(ResourceAttr.asgName, report.asg);
  set(ResourceAttr.bootId, report.bootId);
  set(ResourceAttr.bootFirst, report.firstBoot);
  set(ResourceAttr.bootLaunchedAt, report.launchedAt);
  set(ResourceAttr.bootKernelStartedAt, report.kernelStartedAt);
  set(ResourceAttr.failureDetail, report.failureDetail);
  return a;
}

/** A reader that only collects when asked: the agent decides when to export. */
class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function collectOnce(
  attributes: Attributes,
  record: (provider: MeterProvider) => void,
): Promise<ResourceMetrics> {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes(attributes),
    readers: [reader],
  });
  record(provider);
  const { resourceMetrics, errors } = await reader.collect();
  await provider.shutdown();
  if (errors.length > 0) throw errors[0];
  return resourceMetrics;
}

/** The boot report's metrics: time to ready, outcome, and one phase observation per phase. */
export function collectBootMetrics(
  report: BootReport,
  attributes: Attributes,
): Promise<ResourceMetrics> {
  return collectOnce(attributes, (provider) => {
    const meter = provider.getMeter(ServiceName);
    const labels = { [PointAttr.outcome]: report.outcome, [PointAttr.reason]: report.reason };
    meter
      .createHistogram(MetricName.timeToReady, {
        unit: 's',
        description: 'Seconds from launch to ready (or to the failure decision), one per boot',
        advice: { explicitBucketBoundaries: [...TimeToReadyBuckets] },
      })
      .record(report.timeToReadySeconds, labels);
    meter
      .createCounter(MetricName.outcome, {
        unit: '{boot}',
        description: 'Boots by outcome and reason',
      })
      .add(1, labels);
    const phase = meter.createHistogram(MetricName.phaseDuration, {
      unit: 's',
      description: 'Seconds spent in each boot phase',
      advice: { explicitBucketBoundaries: [...PhaseBuckets] },
    });
    for (const [name, seconds] of Object.entries(report.phases)) {
      if (seconds !== undefined) phase.record(seconds, { [PointAttr.phase]: name });
    }
  });
}

/** One heartbeat gauge point (agent coverage). */
export function collectHeartbeat(attributes: Attributes, atMs: number): Promise<ResourceMetrics> {
  return collectOnce(attributes, (provider) => {
    provider
      .getMeter(ServiceName)
      .createObservableGauge(MetricName.heartbeat, {
        unit: 's',
        description: 'Unix time of the agent heartbeat',
      })
      .addCallback((result) => result.observe(Math.floor(atMs / 1000)));
  });
}

/** Data points in a boot's metrics: all of them, and those of the phase histogram. */
export function bootPointCounts(metrics: ResourceMetrics): { total: number; phases: number } {
  let total = 0;
  let phases = 0;
  for (const scope of metrics.scopeMetrics)
    for (const metric of scope.metrics) {
      total += metric.dataPoints.length;
      if (metric.descriptor.name === MetricName.phaseDuration) phases += metric.dataPoints.length;
    }
  return { total, phases };
}
