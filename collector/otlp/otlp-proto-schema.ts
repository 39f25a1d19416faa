// The protobuf messages of OTLP/HTTP metrics, written from the field numbers of
// opentelemetry-proto (common/v1/common.proto, resource/v1/resource.proto,
// metrics/v1/metrics.proto, collector/metrics/v1/metrics_service.proto) and google/rpc/status.proto.
// Only the wire format is a contract: field numbers and types. The names are ours, chosen to be
// the OTLP/JSON names (lowerCamelCase), so that a decoded message and a parsed JSON body have the
// same shape and one walker (otlp-walk.ts) reads both. Built once, at module load.
import protobuf from 'protobufjs';

/** A oneof, or a proto3 `optional` field (a synthetic oneof): members read null when absent. */
const oneof = (...members: string[]) => ({ oneof: members });

const messages = {
  // common/v1/common.proto
  AnyValue: {
    oneofs: {
      kind: oneof(
        'stringValue',
        'boolValue',
        'intValue',
        'doubleValue',
        'arrayValue',
        'kvlistValue',
        'bytesValue',
      ),
    },
    fields: {
      stringValue: { type: 'string', id: 1 },
      boolValue: { type: 'bool', id: 2 },
      intValue: { type: 'int64', id: 3 },
      doubleValue: { type: 'double', id: 4 },
      arrayValue: { type: 'ArrayValue', id: 5 },
      kvlistValue: { type: 'KeyValueList', id: 6 },
      bytesValue: { type: 'bytes', id: 7 },
    },
  },
  ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
  KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
  KeyValue: {
    fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } },
  },
  InstrumentationScope: {
    fields: {
      name: { type: 'string', id: 1 },
      version: { type: 'string', id: 2 },
      attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
      droppedAttributesCount: { type: 'uint32', id: 4 },
    },
  },

  // resource/v1/resource.proto
  Resource: {
    fields: {
      attributes: { rule: 'repeated', type: 'KeyValue', id: 1 },
      droppedAttributesCount: { type: 'uint32', id: 2 },
    },
  },

  // metrics/v1/metrics.proto
  ResourceMetrics: {
    fields: {
      resource: { type: 'Resource', id: 1 },
      scopeMetrics: { rule: 'repeated', type: 'ScopeMetrics', id: 2 },
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  ScopeMetrics: {
    fields: {
      scope: { type: 'InstrumentationScope', id: 1 },
      metrics: { rule: 'repeated', type: 'Metric', id: 2 },
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  Metric: {
    oneofs: { data: oneof('gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary') },
    fields: {
      name: { type: 'string', id: 1 },
      description: { type: 'string', id: 2 },
      unit: { type: 'string', id: 3 },
      gauge: { type: 'Gauge', id: 5 },
      sum: { type: 'Sum', id: 7 },
      histogram: { type: 'Histogram', id: 9 },
      exponentialHistogram: { type: 'ExponentialHistogram', id: 10 },
      summary: { type: 'Summary', id: 11 },
      metadata: { rule: 'repeated', type: 'KeyValue', id: 12 },
    },
  },
  Gauge: { fields: { dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 } } },
  Sum: {
    fields: {
      dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 },
      aggregationTemporality: { type: 'int32', id: 2 },
      isMonotonic: { type: 'bool', id: 3 },
    },
  },
  Histogram: {
    fields: {
      dataPoints: { rule: 'repeated', type: 'HistogramDataPoint', id: 1 },
      aggregationTemporality: { type: 'int32', id: 2 },
    },
  },
  ExponentialHistogram: {
    fields: {
      dataPoints: { rule: 'repeated', type: 'ExponentialHistogramDataPoint', id: 1 },
      aggregationTemporality: { type: 'int32', id: 2 },
    },
  },
  Summary: { fields: { dataPoints: { rule: 'repeated', type: 'SummaryDataPoint', id: 1 } } },
  NumberDataPoint: {
    oneofs: { value: oneof('asDouble', 'asInt') },
    fields: {
      startTimeUnixNano: { type: 'fixed64', id: 2 },
      timeUnixNano: { type: 'fixed64', id: 3 },
      asDouble: { type: 'double', id: 4 },
      asInt: { type: 'sfixed64', id: 6 },
      attributes: { rule: 'repeated', type: 'KeyValue', id: 7 },
      flags: { type: 'uint32', id: 8 },
    },
  },
  HistogramDataPoint: {
    oneofs: { _sum: oneof('sum'), _min: oneof('min'), _max: oneof('max') },
    fields: {
      startTimeUnixNano: { type: 'fixed64', id: 2 },
      timeUnixNano: { type: 'fixed64', id: 3 },
      count: { type: 'fixed64', id: 4 },
      sum: { type: 'double', id: 5 },
      bucketCounts: { rule: 'repeated', type: 'fixed64', id: 6 },
      explicitBounds: { rule: 'repeated', type: 'double', id: 7 },
      attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
      flags: { type: 'uint32', id: 10 },
      min: { type: 'double', id: 11 },
      max: { type: 'double', id: 12 },
    },
  },
  ExponentialHistogramDataPoint: {
    oneofs: { _sum: oneof('sum'), _min: oneof('min'), _max: oneof('max') },
    fields: {
      attributes: { rule: 'repeated', type: 'KeyValue', id: 1 },
      startTimeUnixNano: { type: 'fixed64', id: 2 },
      timeUnixNano: { type: 'fixed64', id: 3 },
      count: { type: 'fixed64', id: 4 },
      sum: { type: 'double', id: 5 },
      scale: { type: 'sint32', id: 6 },
      zeroCount: { type: 'fixed64', id: 7 },
      positive: { type: 'Buckets', id: 8 },
      negative: { type: 'Buckets', id: 9 },
      flags: { type: 'uint32', id: 10 },
      min: { type: 'double', id: 12 },
      max: { type: 'double', id: 13 },
      zeroThreshold: { type: 'double', id: 14 },
    },
  },
  // ExponentialHistogramDataPoint.Buckets (bucket counts are uint64 varints here, not fixed64)
  Buckets: {
    fields: {
      offset: { type: 'sint32', id: 1 },
      bucketCounts: { rule: 'repeated', type: 'uint64', id: 2 },
    },
  },
  SummaryDataPoint: {
    fields: {
      startTimeUnixNano: { type: 'fixed64', id: 2 },
      timeUnixNano: { type: 'fixed64', id: 3 },
      count: { type: 'fixed64', id: 4 },
      sum: { type: 'double', id: 5 },
      quantileValues: { rule: 'repeated', type: 'ValueAtQuantile', id: 6 },
      attributes: { rule: 'repeated', type: 'KeyValue', id: 7 },
      flags: { type: 'uint32', id: 8 },
    },
  },
  ValueAtQuantile: {
    fields: { quantile: { type: 'double', id: 1 }, value: { type: 'double', id: 2 } },
  },
  // Exemplars (NumberDataPoint 5, HistogramDataPoint 8, ExponentialHistogramDataPoint 11) are not
  // declared: protobufjs skips undeclared fields, as every protobuf decoder skips unknown ones.

  // collector/metrics/v1/metrics_service.proto
  ExportMetricsServiceRequest: {
    fields: { resourceMetrics: { rule: 'repeated', type: 'ResourceMetrics', id: 1 } },
  },
  ExportMetricsServiceResponse: {
    fields: { partialSuccess: { type: 'ExportMetricsPartialSuccess', id: 1 } },
  },
  ExportMetricsPartialSuccess: {
    fields: {
      rejectedDataPoints: { type: 'int64', id: 1 },
      errorMessage: { type: 'string', id: 2 },
    },
  },

  // google/rpc/status.proto (details are google.protobuf.Any: type_url 1, value 2)
  Status: {
    fields: {
      code: { type: 'int32', id: 1 },
      message: { type: 'string', id: 2 },
      details: { rule: 'repeated', type: 'Any', id: 3 },
    },
  },
  Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
};

const root = protobuf.Root.fromJSON({ nested: { otlp: { nested: messages } } });

/** Aggregation temporality enum values (metrics.proto AggregationTemporality). */
export const AggregationTemporalityValue = { unspecified: 0, delta: 1, cumulative: 2 } as const;

export const ExportMetricsServiceRequest = root.lookupType('otlp.ExportMetricsServiceRequest');
export const ExportMetricsServiceResponse = root.lookupType('otlp.ExportMetricsServiceResponse');
export const RpcStatus = root.lookupType('otlp.Status');
