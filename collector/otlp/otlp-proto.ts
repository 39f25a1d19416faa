// OTLP/protobuf: the binary ExportMetricsServiceRequest.
import { BootwatchError, errorMessage } from '../../shared/errors.js';
import { Cursor } from './otlp-cursor.js';
import type { MetricsRequest } from './otlp-model.js';
import { ExportMetricsServiceRequest } from './otlp-proto-schema.js';
import { walkMetricsRequest } from './otlp-walk.js';

export function decodeProtobufRequest(body: Buffer): MetricsRequest {
  let message: unknown;
  try {
    message = ExportMetricsServiceRequest.decode(body);
  } catch (e) {
    // protobufjs reads past the end as a RangeError "index out of range: <pos> + <len> > <size>".
    const cause =
      e instanceof RangeError && /index out of range/.test(e.message) ? 'truncated, ' : '';
    throw new BootwatchError(
      'BW_OTLP_DECODE',
      `OTLP/protobuf body of ${body.length} bytes does not decode as ExportMetricsServiceRequest: ${cause}${errorMessage(e)}`,
      { cause: e },
    );
  }
  return walkMetricsRequest(new Cursor('OTLP/protobuf'), message);
}
