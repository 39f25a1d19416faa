// The OTLP/HTTP JSON metric exporter, assembled as @opentelemetry/exporter-metrics-otlp-http
// assembles its OTLPMetricExporter, with one difference: the collector's answer to a 2xx is kept.
//
// Why: in 0.223 the export delegate (otlp-exporter-base, otlp-export-delegate.js) decodes a 2xx
// body with the serializer, hands it to a fixed handler that only logs a partial success through
// diag.warn, and reports SUCCESS whatever the body said ("No matter the response, we can consider
// the export still successful"). That handler cannot be replaced; the serializer can, since
// createOtlpHttpExportDelegate takes it as an argument. So the exporter gets the JSON serializer it
// always uses, wrapped to remember the response it decoded. Everything else is the stock stack:
// the HTTP transport, its Retry-After-aware retries, headers, timeout, OTEL_EXPORTER_OTLP_* env.
import { OTLPMetricExporterBase } from '@opentelemetry/exporter-metrics-otlp-http';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  JsonMetricsSerializer,
  MetricsExporterMetricsHelper,
  type IExportMetricsServiceResponse,
  type ISerializer,
} from '@opentelemetry/otlp-transformer';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** What OTLPMetricExporter names its self-metrics (which stay off: no meter provider is given). */
const ComponentType = 'otlp_http_metric_exporter';

export interface AnsweredExporter {
  exporter: OTLPMetricExporterBase;
  /** The decoded body of the last 2xx answer; undefined before one, or when it had no body. */
  lastAnswer(): IExportMetricsServiceResponse | undefined;
}

export function createMetricsExporter(options: {
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
}): AnsweredExporter {
  let answer: IExportMetricsServiceResponse | undefined;
  const serializer: ISerializer<ResourceMetrics, IExportMetricsServiceResponse> = {
    serializeRequest: (metrics) => JsonMetricsSerializer.serializeRequest(metrics),
    deserializeResponse: (data) => (answer = JsonMetricsSerializer.deserializeResponse(data)),
  };
  const delegate = createOtlpHttpExportDelegate(
    convertLegacyHttpOptions(options, 'METRICS', 'v1/metrics', {
      'Content-Type': 'application/json',
    }),
    serializer,
    ComponentType,
    MetricsExporterMetricsHelper,
    undefined,
  );
  return { exporter: new OTLPMetricExporterBase(delegate, options), lastAnswer: () => answer };
}
