// An OTLP metrics export request as plain data: what decode.ts makes of a JSON or protobuf body.
// Scopes are flattened into their resource (bootwatch does not care which library recorded a
// metric), 64-bit integers become numbers, timestamps become epoch milliseconds.

/** An OTLP AnyValue. bytesValue becomes a Uint8Array; an AnyValue with no value set, null. */
export type AttributeValue =
  string | number | boolean | Uint8Array | null | AttributeValue[] | AttributeMap;

/** Attributes by key; a repeated key keeps its last value. Null prototype: keys are sender data. */
export interface AttributeMap {
  [key: string]: AttributeValue;
}

export type MetricType = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

export type Temporality = 'delta' | 'cumulative' | 'unspecified';

export interface PointBase {
  attributes: AttributeMap;
  /** Epoch ms, rounded to the nearest millisecond; 0 when the sender left it unset. */
  startTimeMs: number;
  timeMs: number;
  flags: number;
}

export interface NumberPoint extends PointBase {
  /** asDouble or asInt; null when neither is set (the spec calls such a point invalid). */
  value: number | null;
}

export interface HistogramPoint extends PointBase {
  count: number;
  sum: number | undefined;
  /** One more than explicitBounds when present; both empty when the sender sent no buckets. */
  bucketCounts: number[];
  explicitBounds: number[];
  min: number | undefined;
  max: number | undefined;
}

export interface ExponentialBuckets {
  offset: number;
  bucketCounts: number[];
}

export interface ExponentialHistogramPoint extends PointBase {
  count: number;
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
}

export interface SummaryPoint extends PointBase {
  count: number;
  sum: number;
  quantiles: { quantile: number; value: number }[];
}

interface MetricBase {
  name: string;
  description: string;
  unit: string;
  /** Name of the instrumentation scope that produced it ('' when unknown). */
  scope: string;
}

export type OtlpMetric =
  | (MetricBase & { type: 'gauge'; points: NumberPoint[] })
  | (MetricBase & {
      type: 'sum';
      temporality: Temporality;
      isMonotonic: boolean;
      points: NumberPoint[];
    })
  | (MetricBase & { type: 'histogram'; temporality: Temporality; points: HistogramPoint[] })
  | (MetricBase & {
      type: 'exponential_histogram';
      temporality: Temporality;
      points: ExponentialHistogramPoint[];
    })
  | (MetricBase & { type: 'summary'; points: SummaryPoint[] });

export interface OtlpResource {
  attributes: AttributeMap;
  /** Every metric of every scope of this resource. A metric with no data type set is dropped. */
  metrics: OtlpMetric[];
  dataPointCount: number;
}

export interface MetricsRequest {
  encoding: 'json' | 'protobuf';
  resources: OtlpResource[];
  /** Data points in the whole request: the unit of OTLP's rejectedDataPoints. */
  dataPointCount: number;
}
