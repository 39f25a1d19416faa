// ExportMetricsServiceRequest -> MetricsRequest. One walk for both encodings: a parsed OTLP/JSON
// body and a protobufjs-decoded message have the same field names (see otlp-proto-schema.ts), and
// the Cursor reads each field in whichever representation it comes. Unknown fields are ignored,
// as the OTLP specification requires of JSON receivers and protobuf decoders do anyway.
import { readAttributes } from './otlp-attributes.js';
import type { Cursor, Obj } from './otlp-cursor.js';
import type {
  AttributeMap,
  MetricsRequest,
  OtlpMetric,
  OtlpResource,
  Temporality,
} from './otlp-model.js';
import {
  readExponentialHistogramPoint,
  readHistogramPoint,
  readNumberPoint,
  readPoints,
  readSummaryPoint,
} from './otlp-points.js';

export function walkMetricsRequest(c: Cursor, root: unknown): MetricsRequest {
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    c.fail(undefined, 'an ExportMetricsServiceRequest object', root);
  }
  const list = c.array((root as Obj).resourceMetrics, 'resourceMetrics');
  const resources = new Array<OtlpResource>(list.length);
  let dataPointCount = 0;
  c.enter('resourceMetrics');
  for (let i = 0; i < list.length; i++) {
    const rm = c.element(list[i], i);
    c.enter(i);
    const resource = readResourceMetrics(c, rm);
    c.leave();
    resources[i] = resource;
    dataPointCount += resource.dataPointCount;
  }
  c.leave();
  return {
    encoding: c.format === 'OTLP/JSON' ? 'json' : 'protobuf',
    resources,
    dataPointCount,
  };
}

function readResourceMetrics(c: Cursor, rm: Obj): OtlpResource {
  let attributes: AttributeMap;
  const resource = c.object(rm.resource, 'resource');
  if (resource === undefined) {
    attributes = Object.create(null) as AttributeMap;
  } else {
    c.enter('resource');
    attributes = readAttributes(c, resource, 'attributes');
    c.leave();
  }

  const metrics: OtlpMetric[] = [];
  let dataPointCount = 0;
  const scopes = c.array(rm.scopeMetrics, 'scopeMetrics');
  c.enter('scopeMetrics');
  for (let i = 0; i < scopes.length; i++) {
    const sm = c.element(scopes[i], i);
    c.enter(i);
    const scope = c.object(sm.scope, 'scope');
    c.enter('scope');
    const scopeName = scope === undefined ? '' : c.string(scope.name, 'name');
    c.leave();
    const list = c.array(sm.metrics, 'metrics');
    c.enter('metrics');
    for (let j = 0; j < list.length; j++) {
      const m = c.element(list[j], j);
      c.enter(j);
      const metric = readMetric(c, m, scopeName);
      c.leave();
      if (metric !== undefined) {
        metrics.push(metric);
        dataPointCount += metric.points.length;
      }
    }
    c.leave();
    c.leave();
  }
  c.leave();
  return { attributes, metrics, dataPointCount };
}

/** A metric; undefined when no data type is set (nothing to read, nothing to reject). */
function readMetric(c: Cursor, m: Obj, scope: string): OtlpMetric | undefined {
  const name = c.string(m.name, 'name');
  const description = c.string(m.description, 'description');
  const unit = c.string(m.unit, 'unit');

  let data = c.object(m.gauge, 'gauge');
  if (data !== undefined) {
    c.enter('gauge');
    const points = readPoints(c, data, readNumberPoint);
    c.leave();
    return { name, description, unit, scope, type: 'gauge', points };
  }
  data = c.object(m.sum, 'sum');
  if (data !== undefined) {
    c.enter('sum');
    const temporality = readTemporality(c, data);
    const isMonotonic = c.bool(data.isMonotonic, 'isMonotonic');
    const points = readPoints(c, data, readNumberPoint);
    c.leave();
    return { name, description, unit, scope, type: 'sum', temporality, isMonotonic, points };
  }
  data = c.object(m.histogram, 'histogram');
  if (data !== undefined) {
    c.enter('histogram');
    const temporality = readTemporality(c, data);
    const points = readPoints(c, data, readHistogramPoint);
    c.leave();
    return { name, description, unit, scope, type: 'histogram', temporality, points };
  }
  data = c.object(m.exponentialHistogram, 'exponentialHistogram');
  if (data !== undefined) {
    c.enter('exponentialHistogram');
    const temporality = readTemporality(c, data);
    const points = readPoints(c, data, readExponentialHistogramPoint);
    c.leave();
    return { name, description, unit, scope, type: 'exponential_histogram', temporality, points };
  }
  data = c.object(m.summary, 'summary');
  if (data !== undefined) {
    c.enter('summary');
    const points = readPoints(c, data, readSummaryPoint);
    c.leave();
    return { name, description, unit, scope, type: 'summary', points };
  }
  return undefined;
}

/** Enum names are tolerated though OTLP/JSON senders MUST send the integer. */
const TemporalityNames = new Map<unknown, Temporality>([
  ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'unspecified'],
  ['AGGREGATION_TEMPORALITY_DELTA', 'delta'],
  ['AGGREGATION_TEMPORALITY_CUMULATIVE', 'cumulative'],
]);

function readTemporality(c: Cursor, data: Obj): Temporality {
  const v = data.aggregationTemporality;
  const named = TemporalityNames.get(v);
  if (named !== undefined) return named;
  const n = c.int32(v, 'aggregationTemporality');
  return n === 1 ? 'delta' : n === 2 ? 'cumulative' : 'unspecified';
}
