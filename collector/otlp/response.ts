// OTLP/HTTP response bodies, in the encoding of the request (the spec: "The server MUST use the
// same Content-Type in the response as it received in the request"). Success and partial success
// are an ExportMetricsServiceResponse; a 4xx/5xx body is a google.rpc.Status.
import type { OtlpEncoding } from './decode.js';
import { ExportMetricsServiceResponse, RpcStatus } from './otlp-proto-schema.js';

export interface EncodedResponse {
  body: Buffer | string;
  contentType: 'application/json' | 'application/x-protobuf';
}

export interface PartialSuccess {
  rejectedDataPoints: number;
  errorMessage: string;
}

/** gRPC status codes (google.rpc.Code) used in Status bodies. */
export const GrpcCode = {
  invalidArgument: 3,
  notFound: 5,
  permissionDenied: 7,
  resourceExhausted: 8,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
} as const;

/** The gRPC code that matches an HTTP error status, for the Status body of that response. */
export function grpcCodeForHttpStatus(status: number): number {
  switch (status) {
    case 401:
      return GrpcCode.unauthenticated;
    case 403:
      return GrpcCode.permissionDenied;
    case 404:
      return GrpcCode.notFound;
    case 413:
    case 429:
      return GrpcCode.resourceExhausted;
    case 503:
      return GrpcCode.unavailable;
    default:
      return status >= 500 ? GrpcCode.internal : GrpcCode.invalidArgument;
  }
}

const EmptyProtobuf = Buffer.alloc(0);

/**
 * ExportMetricsServiceResponse. Full success leaves partial_success unset: `{}`, or zero bytes in
 * protobuf. A partial success with 0 rejected and a message is how the spec conveys a warning.
 */
export function encodeExportResponse(
  kind: OtlpEncoding,
  partial?: PartialSuccess,
): EncodedResponse {
  const set =
    partial !== undefined && (partial.rejectedDataPoints > 0 || partial.errorMessage !== '');
  if (kind === 'json') {
    // int64 as a decimal string, as the protobuf JSON mapping writes 64-bit integers.
    const body = set
      ? JSON.stringify({
          partialSuccess: {
            rejectedDataPoints: String(partial.rejectedDataPoints),
            errorMessage: partial.errorMessage,
          },
        })
      : '{}';
    return { body, contentType: 'application/json' };
  }
  if (!set) return { body: EmptyProtobuf, contentType: 'application/x-protobuf' };
  const message = ExportMetricsServiceResponse.fromObject({
    partialSuccess: {
      rejectedDataPoints: partial.rejectedDataPoints,
      errorMessage: partial.errorMessage,
    },
  });
  return {
    body: Buffer.from(ExportMetricsServiceResponse.encode(message).finish()),
    contentType: 'application/x-protobuf',
  };
}

/** google.rpc.Status {code, message} for an error response (no details). */
export function encodeStatus(kind: OtlpEncoding, code: number, message: string): EncodedResponse {
  if (kind === 'json') {
    return { body: JSON.stringify({ code, message }), contentType: 'application/json' };
  }
  const status = RpcStatus.fromObject({ code, message });
  return {
    body: Buffer.from(RpcStatus.encode(status).finish()),
    contentType: 'application/x-protobuf',
  };
}
