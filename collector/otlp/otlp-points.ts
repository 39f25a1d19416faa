// OTLP data points (metrics.proto NumberDataPoint, HistogramDataPoint,
// ExponentialHistogramDataPoint, SummaryDataPoint) as plain data. Exemplars are not read.
import { readAttributes } from './otlp-attributes.js';
import { isSet, type Cursor, type Obj } from './otlp-cursor.js';
import type {
  ExponentialBuckets,
  ExponentialHistogramPoint,
  HistogramPoint,
  NumberPoint,
  PointBase,
  SummaryPoint,
} from './otlp-model.js';

export type PointReader<T> = (c: Cursor, p: Obj) => T;

/** The `dataPoints` of a Gauge, Sum, Histogram, ExponentialHistogram or Summary message. */
export function readPoints<T>(c: Cursor, data: Obj, read: PointReader<T>): T[] {
  const list = c.array(data.dataPoints, 'dataPoints');
  const out = new Array<T>(list.length);
  c.enter('dataPoints');
  for (let i = 0; i < list.length; i++) {
    const p = c.element(list[i], i);
    c.enter(i);
    out[i] = read(c, p);
    c.leave();
  }
  c.leave();
  return out;
}

/**
 * The fields every data point has (PointBase), in an object the point readers extend in place:
 * properties added in the same order give every point of a kind the same hidden class, where
 * spreading a base object into a new literal made decoding three times slower.
 */
function pointBase(c: Cursor, p: Obj): PointBase {
  return {
    attributes: readAttributes(c, p, 'attributes'),
    startTimeMs: c.nanosToMs(p.startTimeUnixNano, 'startTimeUnixNano'),
    timeMs: c.nanosToMs(p.timeUnixNano, 'timeUnixNano'),
    flags: c.int32(p.flags, 'flags'),
  };
}

export const readNumberPoint: PointReader<NumberPoint> = (c, p) => {
  const point = pointBase(c, p) as NumberPoint;
  point.value = isSet(p, 'asDouble')
    ? c.double(p.asDouble, 'asDouble')
    : isSet(p, 'asInt')
      ? c.int64(p.asInt, 'asInt')
      : null;
  return point;
};

/** The fields both histogram kinds share (OTLP gives them the same numbers and meaning). */
function histogramBase<T extends HistogramPoint | ExponentialHistogramPoint>(c: Cursor, p: Obj): T {
  const point = pointBase(c, p) as T;
  point.count = c.int64(p.count, 'count');
  point.sum = optionalDouble(c, p, 'sum');
  point.min = optionalDouble(c, p, 'min');
  point.max = optionalDouble(c, p, 'max');
  return point;
}

export const readHistogramPoint: PointReader<HistogramPoint> = (c, p) => {
  const point = histogramBase<HistogramPoint>(c, p);
  point.bucketCounts = int64List(c, p.bucketCounts, 'bucketCounts');
  point.explicitBounds = doubleList(c, p.explicitBounds, 'explicitBounds');
  return point;
};

export const readExponentialHistogramPoint: PointReader<ExponentialHistogramPoint> = (c, p) => {
  const point = histogramBase<ExponentialHistogramPoint>(c, p);
  point.scale = c.int32(p.scale, 'scale');
  point.zeroCount = c.int64(p.zeroCount, 'zeroCount');
  point.zeroThreshold = c.double(p.zeroThreshold, 'zeroThreshold');
  point.positive = readBuckets(c, p.positive, 'positive');
  point.negative = readBuckets(c, p.negative, 'negative');
  return point;
};

export const readSummaryPoint: PointReader<SummaryPoint> = (c, p) => {
  const list = c.array(p.quantileValues, 'quantileValues');
  const quantiles = new Array<{ quantile: number; value: number }>(list.length);
  c.enter('quantileValues');
  for (let i = 0; i < list.length; i++) {
    const q = c.element(list[i], i);
    c.enter(i);
    quantiles[i] = {
      quantile: c.double(q.quantile, 'quantile'),
      value: c.double(q.value, 'value'),
    };
    c.leave();
  }
  c.leave();
  const point = pointBase(c, p) as SummaryPoint;
  point.count = c.int64(p.count, 'count');
  point.sum = c.double(p.sum, 'sum');
  point.quantiles = quantiles;
  return point;
};

function optionalDouble(c: Cursor, p: Obj, key: string): number | undefined {
  return isSet(p, key) ? c.double(p[key], key) : undefined;
}

function readBuckets(c: Cursor, v: unknown, key: string): ExponentialBuckets {
  const b = c.object(v, key);
  if (b === undefined) return { offset: 0, bucketCounts: [] };
  c.enter(key);
  const out = {
    offset: c.int32(b.offset, 'offset'),
    bucketCounts: int64List(c, b.bucketCounts, 'bucketCounts'),
  };
  c.leave();
  return out;
}

/** A list of numbers read one element at a time (int64 or double), its path tracked for errors. */
function numberList(
  c: Cursor,
  v: unknown,
  key: string,
  read: (value: unknown, index: number) => number,
): number[] {
  const list = c.array(v, key);
  const out = new Array<number>(list.length);
  c.enter(key);
  for (let i = 0; i < list.length; i++) out[i] = read(list[i], i);
  c.leave();
  return out;
}

function int64List(c: Cursor, v: unknown, key: string): number[] {
  return numberList(c, v, key, (value, i) => c.int64(value, i));
}

function doubleList(c: Cursor, v: unknown, key: string): number[] {
  return numberList(c, v, key, (value, i) => c.double(value, i));
}
