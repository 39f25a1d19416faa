// What the collector's answer to one export means for the report it carried. Pure: the exporter's
// error, or the decoded body of a 2xx, comes in; a decision comes out.
//
// Two things the OTLP exporter leaves to us:
// - Which failures are worth another try. The exporter hands back an HTTP error as an
//   OTLPExporterError whose `code` is the status (a number), a network error as the Node.js error
//   itself, whose `code` is a string ('ECONNREFUSED'), and its own request timeout as a plain
//   Error. A failure is therefore classified by what it is; comparing whatever `code` holds with
//   500 once judged a refused connection "not retryable".
// - Whether a 2xx kept the boot. A 2xx may carry a partial success (OTLP/HTTP, "Partial Success"):
//   the collector took the request and rejected some of its data points, saying why.
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { connectionErrorCode, describeNetworkError } from './network-error.js';

export type ExportFailure =
  /** 400: the collector cannot use these bytes; OTLP says a client MUST NOT send them again. */
  | { kind: 'rejected'; status: number; message: string }
  /** Other 4xx (401, 403, 404, 413): the sender or its configuration is refused, not the data. */
  | { kind: 'refused'; status: number; message: string }
  /** 408, 429, 5xx, or the exporter's own retries of those ran out (it does not keep the status). */
  | { kind: 'unavailable'; status: number | null; message: string }
  /** The collector could not be reached: refused, reset, unreachable, no DNS answer yet. */
  | { kind: 'connection'; code: string; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'other'; message: string };

/** Whether the same bytes may succeed later in this run: all but what the collector refused. */
export function isRetryable(f: ExportFailure): boolean {
  return f.kind !== 'rejected' && f.kind !== 'refused';
}

/** What an exporter failure is. `error` is what the exporter's result callback carried. */
export function classifyExportError(error: unknown): ExportFailure {
  if (error instanceof OTLPExporterError) {
    const status = error.code;
    if (status === undefined) return { kind: 'unavailable', status: null, message: error.message };
    const message = `HTTP ${status}${error.message ? ` ${error.message}` : ''}${answerText(error.data)}`;
    if (status === 400) return { kind: 'rejected', status, message };
    if (status === 408 || status === 429 || status >= 500)
      return { kind: 'unavailable', status, message };
    return { kind: 'refused', status, message };
  }
  const code = connectionErrorCode(error);
  if (code !== null) return { kind: 'connection', code, message: describeNetworkError(error) };
  // The HTTP transport's own timeout: a plain Error, destroyed request (http-transport-utils.js).
  if (error instanceof Error && /timed? ?out/i.test(error.message))
    return { kind: 'timeout', message: error.message };
  return {
    kind: 'other',
    message: error === undefined ? 'export failed' : describeNetworkError(error),
  };
}

/** The collector's words from an error body (google.rpc.Status JSON), else the text itself. */
function answerText(data: string | undefined): string {
  if (!data) return '';
  let text = data;
  try {
    const status = JSON.parse(data) as { message?: unknown };
    if (typeof status.message === 'string') text = status.message;
  } catch {
    // not JSON: the raw text
  }
  return `: ${text.length > 512 ? `${text.slice(0, 509)}...` : text}`;
}

export interface PartialSuccess {
  rejectedDataPoints: number;
  errorMessage: string;
}

/**
 * The partial success of an ExportMetricsServiceResponse, decoded from JSON; null when there is
 * none. rejectedDataPoints is an int64, which the protobuf JSON mapping writes as a string ("10").
 */
export function partialSuccessOf(response: unknown): PartialSuccess | null {
  const p = (response as { partialSuccess?: unknown } | null)?.partialSuccess;
  if (p === null || typeof p !== 'object') return null;
  const { rejectedDataPoints, errorMessage } = p as Record<string, unknown>;
  const rejected = Number(rejectedDataPoints ?? 0);
  const out: PartialSuccess = {
    rejectedDataPoints: Number.isFinite(rejected) && rejected > 0 ? rejected : 0,
    errorMessage: typeof errorMessage === 'string' ? errorMessage : '',
  };
  return out.rejectedDataPoints > 0 || out.errorMessage !== '' ? out : null;
}

/** Data points of one boot export: all of them, and those a collector may drop alone (phases). */
export interface BootPoints {
  total: number;
  phases: number;
}

/**
 * Whether a partial success lost the boot. A boot record rests on its time_to_ready and outcome
 * points; a collector may drop a phase point it cannot use and still keep the boot. So the boot
 * is lost when more points were rejected than the phases account for.
 *
 * Worked example: a boot sent as 1 time_to_ready + 1 outcome + 8 phase points = 10. The collector
 * answers rejectedDataPoints 10 (the whole boot, e.g. no host.image.id): lost. It answers 1 (one
 * phase of 1e308 s): the boot is stored without that phase, a warning. 9 would mean at least one of
 * the two defining points went: lost.
 */
export function bootRejected(partial: PartialSuccess, points: BootPoints): boolean {
  return partial.rejectedDataPoints > points.phases;
}
