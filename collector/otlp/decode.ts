// POST /v1/metrics body -> MetricsRequest, by Content-Type (OTLP/HTTP: "application/x-protobuf"
// or "application/json"; parameters such as "; charset=utf-8" do not matter).
import { BootwatchError } from '../../shared/errors.js';
import { decodeJsonRequest } from './otlp-json.js';
import type { MetricsRequest } from './otlp-model.js';
import { decodeProtobufRequest } from './otlp-proto.js';

export type OtlpEncoding = 'json' | 'protobuf';

/**
 * The OTLP encoding a Content-Type names, or undefined for any other. OTLP senders use
 * `application/x-protobuf`; `application/protobuf`, the name being registered for protobuf at the
 * IETF, is accepted too.
 */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  if (contentType === undefined) return undefined;
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon))
    .trim()
    .toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') {
    return 'protobuf';
  }
  return mediaType === 'application/json' ? 'json' : undefined;
}

/** Decodes an ExportMetricsServiceRequest; the body is already decompressed (body.ts). */
export function decodeMetricsRequest(
  body: Buffer,
  contentType: string | undefined,
): MetricsRequest {
  const encoding = otlpEncodingOf(contentType);
  if (encoding === undefined) {
    throw new BootwatchError(
      'BW_UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${JSON.stringify(contentType ?? '')} is not OTLP; send application/x-protobuf or application/json`,
    );
  }
  return encoding === 'json' ? decodeJsonRequest(body) : decodeProtobufRequest(body);
}
