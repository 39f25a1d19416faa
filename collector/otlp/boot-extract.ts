// What bootwatch takes from a metrics export: boot reports and agent heartbeats. Resources that
// carry neither (an application's own metrics sent to the same endpoint) are accepted and ignored.
// A boot that does not rebuild into a report that keeps the contract (shared/boot-report.ts) is
// rejected as a whole (its data points are counted in rejectedDataPoints, and a message names the
// instance and the problem): OTLP's partial success. Nothing here throws.
import type { BootReport } from '../../shared/boot-report.js';
import { MetricName, ResourceAttr } from '../../shared/conventions.js';
import { isPrintable } from '../../shared/text.js';
import type { Heartbeat } from '../model.js';
import { rebuildBoot, type BootMetrics, type RebuildContext } from './boot-rebuild.js';
import { extractHeartbeat } from './heartbeat-extract.js';
import { describe } from './resource-facts.js';
import type { AttributeMap, MetricsRequest, OtlpMetric, OtlpResource } from './otlp-model.js';

export interface BootExtraction {
  boots: BootReport[];
  heartbeats: Heartbeat[];
  /** Data points of this request that were rejected (OTLP partial success rejected_data_points). */
  rejectedDataPoints: number;
  /** One message per rejected boot, heartbeat or phase point. */
  errors: string[];
  /** One message per boot or heartbeat stored otherwise than sent (a version `other`). */
  warnings: string[];
}

export function extractBoots(req: MetricsRequest, context: RebuildContext): BootExtraction {
  const out: BootExtraction = {
    boots: [],
    heartbeats: [],
    rejectedDataPoints: 0,
    errors: [],
    warnings: [],
  };
  for (const resource of req.resources) extractResource(resource, context, out);
  return out;
}

function extractResource(
  resource: OtlpResource,
  context: RebuildContext,
  out: BootExtraction,
): void {
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
  if (recorded) extractBoot(resource.attributes, boot, bootPoints, context, out);
  if (beats.length > 0) addHeartbeat(resource.attributes, beats, context, out);
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
  context: RebuildContext,
  out: BootExtraction,
): void {
  const { report, problems, rejectedPhases, warnings } = rebuildBoot(attrs, metrics, context);
  if (warnings.length > 0) {
    out.warnings.push(`boot report of ${instanceLabel(attrs)}: ${warnings.join('; ')}`);
  }
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

function addHeartbeat(
  attrs: AttributeMap,
  metrics: OtlpMetric[],
  context: RebuildContext,
  out: BootExtraction,
): void {
  const extracted = extractHeartbeat(attrs, metrics, context);
  if (extracted.points === 0) return;
  const what = `${MetricName.heartbeat} of ${instanceLabel(attrs)}`;
  if (extracted.heartbeat === null) {
    out.rejectedDataPoints += extracted.points;
    out.errors.push(
      `${what} rejected (${extracted.points} data points): ${extracted.problems.join('; ')}`,
    );
    return;
  }
  out.heartbeats.push(extracted.heartbeat);
  if (extracted.warnings.length > 0) out.warnings.push(`${what}: ${extracted.warnings.join('; ')}`);
}

/** An id as a message shows it: as it is, or quoted and cut when it is not a plain id. */
function text(attrs: AttributeMap, key: string): string | undefined {
  const v = attrs[key];
  if (typeof v !== 'string' || v === '') return undefined;
  return v.length <= 64 && isPrintable(v) ? v : describe(v);
}

function instanceLabel(attrs: AttributeMap): string {
  const id = text(attrs, ResourceAttr.hostId);
  const boot = text(attrs, ResourceAttr.bootId);
  const who = id === undefined ? `an instance without ${ResourceAttr.hostId}` : `instance ${id}`;
  return boot === undefined ? who : `${who} (boot ${boot})`;
}
