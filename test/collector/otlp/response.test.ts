import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import {
  ExportMetricsServiceResponse,
  RpcStatus,
} from '../../../collector/otlp/otlp-proto-schema.js';
import {
  encodeExportResponse,
  encodeStatus,
  GrpcCode,
  grpcCodeForHttpStatus,
} from '../../../collector/otlp/response.js';

const toObject = (type: typeof RpcStatus, body: Buffer | string) =>
  type.toObject(type.decode(body as Buffer), { longs: Number, defaults: false });

describe('encodeExportResponse', () => {
  it('is an empty message on full success', () => {
    expect(encodeExportResponse('json')).toEqual({ body: '{}', contentType: 'application/json' });
    const pb = encodeExportResponse('protobuf', { rejectedDataPoints: 0, errorMessage: '' });
    expect(pb.contentType).toBe('application/x-protobuf');
    expect(pb.body).toHaveLength(0);
  });

  it('carries partial success in JSON (int64 as a decimal string)', () => {
    const r = encodeExportResponse('json', {
      rejectedDataPoints: 10,
      errorMessage: 'boot of i-1 rejected',
    });
    expect(r.contentType).toBe('application/json');
    expect(JSON.parse(r.body as string)).toEqual({
      partialSuccess: { rejectedDataPoints: '10', errorMessage: 'boot of i-1 rejected' },
    });
  });

  it('carries partial success in protobuf, readable by our schema and by the OpenTelemetry exporter', () => {
    const partial = { rejectedDataPoints: 3, errorMessage: 'phase grub rejected' };
    const r = encodeExportResponse('protobuf', partial);
    expect(r.contentType).toBe('application/x-protobuf');
    expect(toObject(ExportMetricsServiceResponse, r.body)).toEqual({ partialSuccess: partial });
    const seen = ProtobufMetricsSerializer.deserializeResponse(r.body as Buffer);
    expect(Number(seen.partialSuccess?.rejectedDataPoints)).toBe(3);
    expect(seen.partialSuccess?.errorMessage).toBe('phase grub rejected');
  });

  it('sends a warning (0 rejected, a message) as a partial success', () => {
    const r = encodeExportResponse('json', {
      rejectedDataPoints: 0,
      errorMessage: 'heartbeat ignored',
    });
    expect(JSON.parse(r.body as string)).toEqual({
      partialSuccess: { rejectedDataPoints: '0', errorMessage: 'heartbeat ignored' },
    });
  });
});

describe('encodeStatus', () => {
  it('is a google.rpc.Status in JSON', () => {
    const r = encodeStatus('json', GrpcCode.invalidArgument, 'OTLP/JSON body: bad');
    expect(r.contentType).toBe('application/json');
    expect(JSON.parse(r.body as string)).toEqual({ code: 3, message: 'OTLP/JSON body: bad' });
  });

  it('is a google.rpc.Status in protobuf (code 1, message 2)', () => {
    const r = encodeStatus('protobuf', GrpcCode.unavailable, 'overloaded, retry in 5s');
    expect(r.contentType).toBe('application/x-protobuf');
    // field 1 varint 14, field 2 length-delimited: the bytes as status.proto numbers them
    expect((r.body as Buffer).subarray(0, 4)).toEqual(Buffer.from([0x08, 14, 0x12, 23]));
    expect(toObject(RpcStatus, r.body)).toEqual({ code: 14, message: 'overloaded, retry in 5s' });
  });

  it.each([
    [400, 3],
    [401, 16],
    [403, 7],
    [404, 5],
    [413, 8],
    [415, 3],
    [429, 8],
    [500, 13],
    [503, 14],
  ])('maps HTTP %i to gRPC code %i', (status, code) => {
    expect(grpcCodeForHttpStatus(status)).toBe(code);
  });
});
