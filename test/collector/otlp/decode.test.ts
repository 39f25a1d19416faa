import { readFileSync } from 'node:fs';
import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, AggregationType } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMetricsRequest, otlpEncodingOf } from '../../../collector/otlp/decode.js';
import type { MetricsRequest } from '../../../collector/otlp/otlp-model.js';
import { ExportMetricsServiceRequest } from '../../../collector/otlp/otlp-proto-schema.js';
import { BootwatchError } from '../../../shared/errors.js';
import { asJson, asProtobuf, exportBoot, sdkSource, successfulBoot } from './sdk-export.js';

const JSON_TYPE = 'application/json';
const PROTOBUF_TYPE = 'application/x-protobuf';
const fixture = readFileSync(new URL('../../fixtures/real/otlp/metrics.json', import.meta.url));

/** The same request in protobuf, encoded with our schema from its OTLP/JSON object form. */
const protobufOf = (request: unknown): Buffer =>
  Buffer.from(
    ExportMetricsServiceRequest.encode(
      ExportMetricsServiceRequest.fromObject(request as Record<string, unknown>),
    ).finish(),
  );
const jsonOf = (request: unknown): Buffer => Buffer.from(JSON.stringify(request));
const withoutEncoding = ({ encoding: _, ...rest }: MetricsRequest) => rest;

function decodeError(body: Buffer, type = JSON_TYPE): BootwatchError {
  try {
    decodeMetricsRequest(body, type);
  } catch (e) {
    if (e instanceof BootwatchError) return e;
    throw e;
  }
  throw new Error('expected the body not to decode');
}

describe('content types', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['Application/JSON ;charset=UTF-8', 'json'],
    ['application/x-protobuf', 'protobuf'],
    ['application/protobuf', 'protobuf'],
    ['text/plain', undefined],
    ['application/jsonl', undefined],
    [undefined, undefined],
  ])('%s is %s', (type, encoding) => {
    expect(otlpEncodingOf(type)).toBe(encoding);
  });

  it('answers 415 to any other content type', () => {
    const e = decodeError(fixture, 'text/plain; charset=utf-8');
    expect(e.code).toBe('BW_UNSUPPORTED_MEDIA_TYPE');
    expect(e.statusCode).toBe(415);
    expect(e.message).toBe(
      'Content-Type "text/plain; charset=utf-8" is not OTLP; send application/x-protobuf or application/json',
    );
  });
});

describe('OTLP/JSON', () => {
  const counterPoint = { 'my.counter.attr': 'some value' };
  const expected = {
    encoding: 'json',
    dataPointCount: 3,
    resources: [
      {
        attributes: { 'service.name': 'my.service' },
        dataPointCount: 3,
        metrics: [
          {
            name: 'my.counter',
            description: 'I`m a Counter',
            unit: '1',
            scope: 'my.library',
            type: 'sum',
            temporality: 'delta',
            isMonotonic: true,
            points: [
              {
                attributes: counterPoint,
                startTimeMs: 1544712660300,
                timeMs: 1544712660300,
                flags: 0,
                value: 5,
              },
            ],
          },
          {
            name: 'my.gauge',
            description: 'I`m a Gauge',
            unit: '1',
            scope: 'my.library',
            type: 'gauge',
            points: [
              {
                attributes: { 'my.gauge.attr': 'some value' },
                startTimeMs: 0,
                timeMs: 1544712660300,
                flags: 0,
                value: 10,
              },
            ],
          },
          {
            name: 'my.histogram',
            description: 'I`m a Histogram',
            unit: '1',
            scope: 'my.library',
            type: 'histogram',
            temporality: 'delta',
            points: [
              {
                attributes: { 'my.histogram.attr': 'some value' },
                startTimeMs: 1544712660300,
                timeMs: 1544712660300,
                flags: 0,
                count: 3,
                sum: 3,
                bucketCounts: [1, 1, 1],
                explicitBounds: [1],
                min: 1,
                max: 1,
              },
            ],
          },
        ],
      },
    ],
  };

  it('decodes the OTLP example request (64-bit integers as JSON numbers)', () => {
    expect(decodeMetricsRequest(fixture, 'application/json; charset=utf-8')).toEqual(expected);
  });

  it('decodes 64-bit integers sent as decimal strings the same', () => {
    const text = fixture
      .toString()
      .replace(/(UnixNano": )(\d+)/g, '$1"$2"')
      .replace('"count": 3', '"count": "3"')
      .replace('[1,1,1]', '["1","1","1"]')
      .replace('"asDouble": 5', '"asInt": "5"');
    expect(text).toContain('"timeUnixNano": "1544712660300000000"');
    expect(decodeMetricsRequest(Buffer.from(text), JSON_TYPE)).toEqual(expected);
  });

  it('ignores unknown fields and metrics without data, and accepts a byte order mark', () => {
    const body = {
      futureField: { anything: [1, 2] },
      resourceMetrics: [
        {
          resource: { attributes: [], entityRefs: [{}] },
          scopeMetrics: [{ metrics: [{ name: 'no.data' }] }],
        },
      ],
    };
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), jsonOf(body)]);
    expect(decodeMetricsRequest(bom, JSON_TYPE)).toEqual({
      encoding: 'json',
      dataPointCount: 0,
      resources: [{ attributes: {}, metrics: [], dataPointCount: 0 }],
    });
  });

  it.each([
    [
      'not JSON',
      '{"resourceMetrics": [',
      /^OTLP\/JSON body of 21 bytes is not valid JSON: Unexpected end of JSON input$/,
    ],
    [
      'an array',
      '[]',
      'OTLP/JSON body: (the top level): expected an ExportMetricsServiceRequest object, got an array',
    ],
    [
      'a string list',
      '{"resourceMetrics": "all of them"}',
      'OTLP/JSON body: resourceMetrics: expected an array, got the string "all of them"',
    ],
    [
      'a string where a data point is required',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":["7"]}}]}]}]}',
      'OTLP/JSON body: resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]: expected an object, got the string "7"',
    ],
    [
      'a bad integer',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","sum":{"dataPoints":[{"asInt":"12a"}]}}]}]}]}',
      'OTLP/JSON body: resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt: expected an integer (number or decimal string), got the string "12a"',
    ],
    [
      'a fractional timestamp',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"timeUnixNano":1.5}]}}]}]}]}',
      'OTLP/JSON body: resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano: expected a timestamp in nanoseconds (number or decimal string), got number 1.5',
    ],
    [
      'a number where a string attribute value is declared',
      '{"resourceMetrics":[{"resource":{"attributes":[{"key":"host.id","value":{"stringValue":5}}]}}]}',
      'OTLP/JSON body: resourceMetrics[0].resource.attributes[0].value.stringValue: expected a string, got number 5',
    ],
  ])('rejects %s with a message saying where', (_, body, message) => {
    const e = decodeError(Buffer.from(body));
    expect(e.code).toBe('BW_OTLP_DECODE');
    expect(e.statusCode).toBe(400);
    if (typeof message === 'string') expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
  });
});

describe('OTLP/protobuf', () => {
  it('decodes a real SDK export exactly like its JSON twin', async () => {
    const attrs = { 'host.id': 'i-1', up: true, cpus: 4, load: 0.75, tags: ['a', 'b'] };
    const views = [
      { instrumentName: 'exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
    ];
    const source = sdkSource(attrs, AggregationTemporality.CUMULATIVE, views);
    const m = source.meter;
    m.createCounter('ints', { valueType: ValueType.INT }).add(7, { k: 'v' });
    m.createUpDownCounter('updown').add(-2.5);
    m.createHistogram('hist', { advice: { explicitBucketBoundaries: [1, 10] } }).record(3);
    m.createHistogram('exp').record(12.5);
    m.createHistogram('exp').record(0);
    m.createGauge('gauge').record(0, { zero: 0 });
    const rm = await source.collect();
    await source.shutdown();

    const fromJson = decodeMetricsRequest(asJson(rm), JSON_TYPE);
    const fromProtobuf = decodeMetricsRequest(asProtobuf(rm), PROTOBUF_TYPE);
    expect(fromProtobuf.encoding).toBe('protobuf');
    expect(withoutEncoding(fromProtobuf)).toEqual(withoutEncoding(fromJson));

    const r = fromProtobuf.resources[0]!;
    expect(r.attributes).toMatchObject(attrs);
    expect(fromProtobuf.dataPointCount).toBe(5);
    const byName = Object.fromEntries(r.metrics.map((x) => [x.name, x]));
    expect(byName.ints).toMatchObject({
      type: 'sum',
      isMonotonic: true,
      temporality: 'cumulative',
    });
    expect(byName.ints?.points[0]).toMatchObject({ value: 7, attributes: { k: 'v' } });
    expect(byName.updown).toMatchObject({ type: 'sum', isMonotonic: false });
    expect(byName.updown?.points[0]).toMatchObject({ value: -2.5 });
    expect(byName.hist?.points[0]).toMatchObject({
      count: 1,
      sum: 3,
      min: 3,
      max: 3,
      bucketCounts: [0, 1, 0],
      explicitBounds: [1, 10],
    });
    expect(byName.exp).toMatchObject({ type: 'exponential_histogram' });
    expect(byName.exp?.points[0]).toMatchObject({
      count: 2,
      sum: 12.5,
      zeroCount: 1,
      min: 0,
      max: 12.5,
    });
    expect(byName.gauge?.points[0]).toMatchObject({ value: 0, attributes: { zero: 0 } });
  });

  it('accepts an empty body as a request with nothing in it', () => {
    expect(decodeMetricsRequest(Buffer.alloc(0), 'application/protobuf')).toEqual({
      encoding: 'protobuf',
      resources: [],
      dataPointCount: 0,
    });
  });

  it('rejects a truncated body', async () => {
    const { protobuf } = await exportBoot(successfulBoot);
    const cut = protobuf.subarray(0, protobuf.length - 9);
    const e = decodeError(cut, PROTOBUF_TYPE);
    expect(e.code).toBe('BW_OTLP_DECODE');
    expect(e.message).toMatch(
      new RegExp(
        `^OTLP/protobuf body of ${cut.length} bytes does not decode as ExportMetricsServiceRequest: truncated, index out of range`,
      ),
    );
  });

  it('rejects bytes that are not protobuf (a JSON body sent as protobuf)', () => {
    const e = decodeError(fixture, PROTOBUF_TYPE);
    expect(e.code).toBe('BW_OTLP_DECODE');
    expect(e.message).toMatch(
      /^OTLP\/protobuf body of 2974 bytes does not decode as ExportMetricsServiceRequest: /,
    );
  });
});

describe('both encodings', () => {
  const point = (value: object) => ({
    resourceMetrics: [{ resource: { attributes: [{ key: 'v', value }] } }],
  });

  it.each([
    ['an int sent as a string', { intValue: '-42' }, -42],
    ['a double', { doubleValue: 2.5 }, 2.5],
    ['a bool', { boolValue: false }, false],
    ['an empty string', { stringValue: '' }, ''],
    ['no value', {}, null],
    ['bytes', { bytesValue: 'AAEC' }, new Uint8Array([0, 1, 2])],
    [
      'an array',
      { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, {}] } },
      ['a', 1, null],
    ],
    [
      'a map',
      {
        kvlistValue: {
          values: [
            { key: 'x', value: { arrayValue: {} } },
            { key: 'y', value: { doubleValue: 'NaN' } },
          ],
        },
      },
      { x: [], y: NaN },
    ],
  ])('decode attribute values: %s', (_, value, expected) => {
    for (const [body, type] of [
      [jsonOf(point(value)), JSON_TYPE],
      [protobufOf(point(value)), PROTOBUF_TYPE],
    ] as const) {
      const attrs = decodeMetricsRequest(body, type).resources[0]!.attributes;
      expect(attrs.v instanceof Uint8Array ? new Uint8Array(attrs.v) : attrs.v).toEqual(expected);
    }
  });

  it('refuse attribute values nested deeper than 32 levels', () => {
    let value: object = { stringValue: 'bottom' };
    for (let i = 0; i < 40; i++) value = { arrayValue: { values: [value] } };
    for (const [body, type] of [
      [jsonOf(point(value)), JSON_TYPE],
      [protobufOf(point(value)), PROTOBUF_TYPE],
    ] as const) {
      const e = decodeError(body, type);
      expect(e.code).toBe('BW_OTLP_DECODE');
      expect(e.message).toContain('expected values nested at most 32 levels deep, got an object');
    }
  });

  it('refuse protobuf messages nested past the decoder limit (100, as protoc)', () => {
    // AnyValue{kvlistValue(6): KeyValueList{values(1): KeyValue{key(1): "k", value(2): AnyValue}}}
    const field = (n: number, bytes: Buffer) =>
      Buffer.concat([Buffer.from([(n << 3) | 2]), varint(bytes.length), bytes]);
    let anyValue = field(1, Buffer.from('bottom'));
    for (let i = 0; i < 60; i++) {
      anyValue = field(
        6,
        field(1, Buffer.concat([field(1, Buffer.from('k')), field(2, anyValue)])),
      );
    }
    const keyValue = Buffer.concat([field(1, Buffer.from('v')), field(2, anyValue)]);
    const body = field(1, field(1, field(1, keyValue)));
    const e = decodeError(body, PROTOBUF_TYPE);
    expect(e.code).toBe('BW_OTLP_DECODE');
    expect(e.message).toBe(
      `OTLP/protobuf body of ${body.length} bytes does not decode as ExportMetricsServiceRequest: max depth exceeded`,
    );
  });

  it('decode exponential histograms and summaries', () => {
    const request = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              scope: { name: 'lib' },
              metrics: [
                {
                  name: 'eh',
                  exponentialHistogram: {
                    aggregationTemporality: 1,
                    dataPoints: [
                      {
                        count: '6',
                        sum: -1.5,
                        scale: -2,
                        zeroCount: '1',
                        zeroThreshold: 0.001,
                        positive: { offset: -3, bucketCounts: ['2', '1'] },
                        negative: { offset: 4, bucketCounts: [2] },
                        timeUnixNano: '1700000000000499999',
                      },
                    ],
                  },
                },
                {
                  name: 'sm',
                  summary: {
                    dataPoints: [
                      {
                        count: 4,
                        sum: 10,
                        quantileValues: [
                          { quantile: 0.5, value: 2 },
                          { quantile: 1, value: 4 },
                        ],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    for (const [body, type] of [
      [jsonOf(request), JSON_TYPE],
      [protobufOf(request), PROTOBUF_TYPE],
    ] as const) {
      const [eh, sm] = decodeMetricsRequest(body, type).resources[0]!.metrics;
      expect(eh).toEqual({
        name: 'eh',
        description: '',
        unit: '',
        scope: 'lib',
        type: 'exponential_histogram',
        temporality: 'delta',
        points: [
          {
            attributes: {},
            startTimeMs: 0,
            timeMs: 1700000000000,
            flags: 0,
            count: 6,
            sum: -1.5,
            min: undefined,
            max: undefined,
            scale: -2,
            zeroCount: 1,
            zeroThreshold: 0.001,
            positive: { offset: -3, bucketCounts: [2, 1] },
            negative: { offset: 4, bucketCounts: [2] },
          },
        ],
      });
      expect(sm).toMatchObject({
        type: 'summary',
        points: [
          {
            count: 4,
            sum: 10,
            quantiles: [
              { quantile: 0.5, value: 2 },
              { quantile: 1, value: 4 },
            ],
          },
        ],
      });
    }
  });

  // Any fixed64, and values a hair either side of a half millisecond, where doubles round wrong.
  const nanos = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc
      .tuple(
        fc.bigInt({ min: 0n, max: (2n ** 64n - 1n) / 1_000_000n - 1n }),
        fc.constantFrom(0n, 1n, 499_999n, 500_000n, 500_001n, 999_999n),
      )
      .map(([ms, sub]) => ms * 1_000_000n + sub),
  );

  it('turn nanosecond timestamps into the nearest millisecond exactly, beyond 2^53', () => {
    fc.assert(
      fc.property(nanos, (ns) => {
        const request = {
          resourceMetrics: [
            {
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'g',
                      gauge: { dataPoints: [{ timeUnixNano: ns.toString(), asInt: 1 }] },
                    },
                  ],
                },
              ],
            },
          ],
        };
        const expected = Number((ns + 500_000n) / 1_000_000n);
        for (const [body, type] of [
          [jsonOf(request), JSON_TYPE],
          [protobufOf(request), PROTOBUF_TYPE],
        ] as const) {
          const m = decodeMetricsRequest(body, type).resources[0]!.metrics[0]!;
          expect(m.points[0]!.timeMs).toBe(expected);
        }
      }),
      { numRuns: 200 },
    );
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
