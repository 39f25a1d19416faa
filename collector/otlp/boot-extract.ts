// What bootwatch takes from a metrics export: boot reports and agent heartbeats. Resources that
// carry neither (an application's own metrics sent to the same endpoint) are accepted and ignored.
// A boot that does not rebuild into a valid report is rejected as a whole (its data points are
// counted in rejectedDataPoints, and a message names the instance and the problem): OTLP's partial
// success. Nothing here throws.
import type { BootReport } from '../../shared/boot-report.js';
import { MetricName, ResourceAttr, UnknownVersion } from '../../shared/conventions.js';
import type { Heartbeat } from '../model.js';
import { rebuildBoot, type BootMetrics } from './boot-rebuild.js';
import type { AttributeMap, MetricsRequest, OtlpMetric, OtlpResource } from './otlp-model.js';

export interface BootExtraction {
  boots: BootReport[];
  heartbeats: Heartbeat[];
  /** Data points of this request that were rejected (OTLP partial success rejected_data_points). */
  rejectedDataPoints: number;
  /** One message per rejected boot, heartbeat or phase point. */
  errors: string[];
}

export function extractBoots(req: MetricsRequest): BootExtraction {
  const out: BootExtraction = { boots: [], heartbeats: [], rejectedDataPoints: 0, errors: [] };
  for (const resource of req.resources) extractResource(resource, out);
  return out;
}

function extractResource(resource: OtlpResource, out: BootExtraction): void {
  const boot: BootMetrics = { timeToReady: [], outcome: [], phaseDuration: [] };
  const beats: OtlpMetric[] = [];
  let bootPoints = 0;
  let recorded = false;
  for (const m of resource.metrics) {
    if (m.name === MetricName.heartbeat) {
      beats.push(m);
      continue;
    }
    if (m.name === MetricName.timeToReady) boot.timeToReady.push(m);
    else if (m.name === MetricName.outcome) boot.outcome.push(m);
    else if (m.name === MetricName.phaseDuration) boot.phaseDuration.push(m);
    else continue;
    bootPoints += m.points.length;
    recorded ||= hasRecording(m);
  }
  // A resource with a boot id but no boot metrics yet (an agent heartbeating while it waits for
  // readiness, or a delta export after the boot was sent) is not an incomplete boot: there is none.
  if (recorded) extractBoot(resource.attributes, boot, bootPoints, out);
  if (beats.length > 0) extractHeartbeat(resource.attributes, beats, out);
}

/** Whether a boot metric recorded anything: delta exports repeat streams as empty points. */
function hasRecording(m: OtlpMetric): boolean {
  switch (m.type) {
    case 'gauge':
    case 'sum':
      return m.points.some((p) => p.value !== null && p.value !== 0);
    default:
      return m.points.some((p) => p.count > 0);
  }
}

function extractBoot(
  attrs: AttributeMap,
  metrics: BootMetrics,
  points: number,
  out: BootExtraction,
): void {
  const { report, problems, rejectedPhases } = rebuildBoot(attrs, metrics);
  if (report === undefined) {
    out.rejectedDataPoints += points;
    out.errors.push(
      `boot report of ${instanceLabel(attrs)} rejected (${points} data points): ${problems.join('; ')}`,
    );
    return;
  }
  out.boots.push(report);
  if (rejectedPhases.length > 0) {
    out.rejectedDataPoints += rejectedPhases.length;
    out.errors.push(
      `boot report of ${instanceLabel(attrs)}: ${rejectedPhases.length} ${MetricName.phaseDuration} data points rejected: ${rejectedPhases.join('; ')}`,
    );
  }
}

/** One heartbeat per resource, at the latest point time (the gauge value, unix seconds, if unset). */
function extractHeartbeat(attrs: AttributeMap, metrics: OtlpMetric[], out: BootExtraction): void {
  const problems: string[] = [];
  let points = 0;
  let atMs = 0;
  for (const m of metrics) {
    points += m.points.length;
    if (m.type !== 'gauge' && m.type !== 'sum') {
      problems.push(`expected a gauge, got a ${m.type}`);
      continue;
    }
    for (const p of m.points) {
      const t = p.timeMs > 0 ? p.timeMs : p.value !== null ? Math.round(p.value * 1000) : 0;
      if (t > atMs) atMs = t;
    }
  }
  if (points === 0) return;
  const instanceId = text(attrs, ResourceAttr.hostId);
  if (instanceId === undefined)
    problems.push(`resource attribute ${ResourceAttr.hostId} is missing`);
  if (atMs <= 0) problems.push('no data point carries a time');
  if (instanceId === undefined || problems.length > 0) {
    out.rejectedDataPoints += points;
    out.errors.push(
      `${MetricName.heartbeat} of ${instanceLabel(attrs)} rejected (${points} data points): ${problems.join('; ')}`,
    );
    return;
  }
  out.heartbeats.push({
    instanceId,
    amiId: text(attrs, ResourceAttr.imageId) ?? '',
    amiVersion: text(attrs, ResourceAttr.imageVersion) ?? UnknownVersion,
    region: text(attrs, ResourceAttr.cloudRegion) ?? '',
    asg: text(attrs, ResourceAttr.asgName) ?? '',
    atMs,
  });
}

function text(attrs: AttributeMap, key: string): string | undefined {
  const v = attrs[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function instanceLabel(attrs: AttributeMap): string {
  const id = text(attrs, ResourceAttr.hostId);
  const boot = text(attrs, ResourceAttr.bootId);
  const who = id === undefined ? `an instance without ${ResourceAttr.hostId}` : `instance ${id}`;
  return boot === undefined ? who : `${who} (boot ${boot})`;
}
