// OTLP/JSON: the proto3 JSON mapping of ExportMetricsServiceRequest, with OTLP's deviations
// (lowerCamelCase keys only, enums as integers, trace and span ids as hex). 64-bit integers come
// as decimal strings or as numbers; both are accepted, as the protobuf JSON mapping requires.
import { BootwatchError, errorMessage } from '../../shared/errors.js';
import { Cursor } from './otlp-cursor.js';
import type { MetricsRequest } from './otlp-model.js';
import { walkMetricsRequest } from './otlp-walk.js';

export function decodeJsonRequest(body: Buffer): MetricsRequest {
  let root: unknown;
  try {
    // A UTF-8 byte order mark is not JSON, but some HTTP clients write one.
    const hasBom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
    root = JSON.parse(body.toString('utf8', hasBom ? 3 : 0));
  } catch (e) {
    throw new BootwatchError(
      'BW_OTLP_DECODE',
      `OTLP/JSON body of ${body.length} bytes is not valid JSON: ${errorMessage(e)}`,
      { cause: e },
    );
  }
  return walkMetricsRequest(new Cursor('OTLP/JSON'), root);
}
