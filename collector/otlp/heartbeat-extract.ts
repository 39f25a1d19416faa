// bootwatch.agent.heartbeat: one heartbeat per resource, at the latest point time (or the gauge's
// value, unix seconds, when a point has no time). Held to the boot report's rules: the same text
// fields, printable and bounded alike, and a time within ReportTimeBounds of the moment it was
// received. Without them a gauge of 1e308 reached the store as a time it cannot hold (a 5xx the
// exporter retried forever) and one dated year 5138 was stored. Pure; never throws.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Type } from '@sinclair/typebox';
import { BootReportSchema, instantProblem } from '../../shared/boot-report.js';
import { ResourceAttr } from '../../shared/conventions.js';
import { TextFormat } from '../../shared/text.js';
import type { Heartbeat } from '../model.js';
import type { RebuildContext } from './boot-rebuild.js';
import type { AttributeMap, OtlpMetric } from './otlp-model.js';
import { factField, fieldProblem, textField } from './resource-facts.js';

const Fields = BootReportSchema.properties;
const HeartbeatSchema = Type.Object({
  instanceId: Fields.instanceId,
  amiId: Fields.amiId,
  amiVersion: Fields.amiVersion,
  region: Fields.region,
  asg: Type.String({ maxLength: 256, format: TextFormat.printable }),
  atMs: Type.Integer(),
});
const validHeartbeat = TypeCompiler.Compile(HeartbeatSchema);

export type HeartbeatExtraction =
  | { heartbeat: Heartbeat; points: number; warnings: string[] }
  | { heartbeat: null; points: number; problems: string[] };

export function extractHeartbeat(
  attrs: AttributeMap,
  metrics: OtlpMetric[],
  context: RebuildContext,
): HeartbeatExtraction {
  const problems: string[] = [];
  const warnings: string[] = [];
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
  const instanceId = textField(attrs, 'instanceId', problems);
  if (instanceId === undefined)
    problems.push(`resource attribute ${ResourceAttr.hostId} is missing`);
  const heartbeat: Heartbeat = {
    instanceId: instanceId ?? '',
    amiId: factField(attrs, 'amiId', context.known, problems, warnings),
    amiVersion: factField(attrs, 'amiVersion', context.known, problems, warnings),
    region: factField(attrs, 'region', context.known, problems, warnings),
    asg: textField(attrs, 'asg', problems) ?? '',
    atMs,
  };
  if (!(atMs > 0)) {
    problems.push('no data point carries a time');
  } else {
    const problem = instantProblem('the time', atMs, context.receivedAtMs);
    if (problem !== null) problems.push(problem);
  }
  if (problems.length === 0 && !validHeartbeat.Check(heartbeat)) {
    for (const e of validHeartbeat.Errors(heartbeat)) {
      problems.push(fieldProblem(e.path.slice(1), '', e.message, e.value));
    }
  }
  return problems.length > 0
    ? { heartbeat: null, points, problems }
    : { heartbeat, points, warnings };
}
