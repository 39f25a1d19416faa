// Sends spooled reports to the collector through the OTLP/HTTP exporter and removes each one only
// after the collector kept it. The exporter itself retries 429/502/503/504 and refused connections
// a few times within its timeout and honours Retry-After; around it, this loop backs off (capped,
// exponential, with jitter) on whatever the collector may still take later (connection errors,
// timeouts, 5xx) until the run's budget is spent, and leaves what was not acknowledged in the spool
// for the next run. What the collector refused outright (a 400, or a partial success that rejected
// the boot) goes to rejected/ with its answer: sending the same bytes again would change nothing.
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Clock } from '../shared/clock.js';
import { IdentityHeader } from '../shared/conventions.js';
import { backoffDelayMs } from './backoff.js';
import {
  bootRejected,
  classifyExportError,
  isRetryable,
  partialSuccessOf,
  type ExportFailure,
  type PartialSuccess,
} from './export-answer.js';
import { bootPointCounts, collectBootMetrics } from './otlp-report.js';
import { createMetricsExporter } from './otlp-exporter.js';
import type { Rejection, Spool, SpooledIdentity, SpoolEntry } from './spool.js';

export interface SendTarget {
  /** Collector base URL; /v1/metrics is appended. */
  collectorUrl: string;
  token: string | null;
  timeoutMs: number;
}

export type SendResult =
  | { ok: true; partial: PartialSuccess | null }
  | { ok: false; failure: ExportFailure; retryable: boolean; message: string };

export function metricsUrl(collectorUrl: string): string {
  return `${collectorUrl.replace(/\/+$/, '')}/v1/metrics`;
}

export function requestHeaders(
  token: string | null,
  identity: SpooledIdentity | null,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (identity) {
    headers[IdentityHeader.document] = identity.documentB64;
    if (identity.signatureB64) headers[IdentityHeader.signature] = identity.signatureB64;
    if (identity.pkcs7B64) headers[IdentityHeader.pkcs7] = identity.pkcs7B64;
  }
  return headers;
}

/** One export through the OTLP/HTTP JSON exporter; resolves, never rejects. */
export function sendMetrics(
  metrics: ResourceMetrics,
  target: SendTarget,
  identity: SpooledIdentity | null,
): Promise<SendResult> {
  const { exporter, lastAnswer } = createMetricsExporter({
    url: metricsUrl(target.collectorUrl),
    headers: requestHeaders(target.token, identity),
    timeoutMillis: target.timeoutMs,
  });
  return new Promise<SendResult>((resolve) => {
    exporter.export(metrics, (result) => {
      if (result.code === 0) return resolve({ ok: true, partial: partialSuccessOf(lastAnswer()) });
      const failure = classifyExportError(result.error);
      resolve({ ok: false, failure, retryable: isRetryable(failure), message: failure.message });
    });
  }).finally(() => exporter.shutdown().catch(() => {}));
}

export interface DeliveryOptions extends SendTarget {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Stop retrying after this long (ms); what is left stays in the spool. */
  budgetMs: number;
  /** Attempts per report in this run; 0 for no limit (the budget still ends the run). */
  maxAttempts?: number;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  log: (msg: string, level?: LogLevel) => void;
  random?: () => number;
}

/** How much a log line matters; plain lines are information. */
export type LogLevel = 'warning' | 'error';

export interface DeliveryOutcome {
  sent: string[];
  left: string[];
  /** Refused by the collector; moved to rejected/ and not sent again. */
  rejected: string[];
}

type Delivered = 'sent' | 'left' | 'rejected';

async function deliverOne(
  entry: SpoolEntry,
  spool: Spool,
  o: DeliveryOptions,
  stopAt: number,
): Promise<Delivered> {
  const bootId = entry.report.bootId;
  const metrics = await collectBootMetrics(entry.report, entry.resource);
  for (let attempt = 0; ; attempt++) {
    const result = await sendMetrics(metrics, o, entry.identity);
    if (result.ok) return acknowledged(entry, spool, o, result.partial, metrics);
    if (result.failure.kind === 'rejected') {
      const { status, message } = result.failure;
      return refuse(entry, spool, o, { message, status }, message);
    }
    o.log(`report of boot ${bootId} not acknowledged: ${result.message}`, 'warning');
    if (!result.retryable) return 'left';
    if (o.maxAttempts && attempt + 1 >= o.maxAttempts) return 'left';
    const wait = backoffDelayMs(
      attempt,
      o.initialBackoffMs,
      o.maxBackoffMs,
      o.random ?? Math.random,
    );
    if (o.clock.now() + wait >= stopAt) return 'left';
    await o.sleep(wait);
  }
}

/** A 2xx: the boot is kept unless its partial success rejected it. */
function acknowledged(
  entry: SpoolEntry,
  spool: Spool,
  o: DeliveryOptions,
  partial: PartialSuccess | null,
  metrics: ResourceMetrics,
): Delivered {
  const { bootId, outcome, reason } = entry.report;
  const points = bootPointCounts(metrics);
  if (partial && bootRejected(partial, points)) {
    const { rejectedDataPoints, errorMessage } = partial;
    const rejection = { message: errorMessage, rejectedDataPoints, sentDataPoints: points.total };
    const answer = `${rejectedDataPoints} of ${points.total} data points rejected: ${errorMessage}`;
    return refuse(entry, spool, o, rejection, answer);
  }
  spool.acknowledge(bootId);
  o.log(`boot ${bootId} reported (${outcome}, ${reason})`);
  if (partial) {
    const dropped = partial.rejectedDataPoints
      ? `, without ${partial.rejectedDataPoints} of its ${points.total} data points`
      : '';
    const why = partial.errorMessage || '(no message)';
    o.log(`the collector kept boot ${bootId}${dropped}: ${why}`, 'warning');
  }
  return 'sent';
}

/** The collector refused the report: keep it under rejected/ and say so as an error. */
function refuse(
  entry: SpoolEntry,
  spool: Spool,
  o: DeliveryOptions,
  rejection: Omit<Rejection, 'atMs'>,
  answer: string,
): Delivered {
  const path = spool.reject(entry, { atMs: o.clock.now(), ...rejection });
  o.log(
    `BW_REPORT_REJECTED: the collector refused the report of boot ${entry.report.bootId}: ` +
      `${answer}; kept in ${path}, not sent again (move it to pending/ to resend once the cause ` +
      'is fixed)',
    'error',
  );
  return 'rejected';
}

/** Sends every pending report, oldest first. */
export async function deliverPending(spool: Spool, o: DeliveryOptions): Promise<DeliveryOutcome> {
  const stopAt = o.clock.now() + o.budgetMs;
  const outcome: DeliveryOutcome = { sent: [], left: [], rejected: [] };
  for (const entry of spool.pending(o.log)) {
    const done = o.clock.now() < stopAt ? await deliverOne(entry, spool, o, stopAt) : 'left';
    outcome[done].push(entry.report.bootId);
  }
  return outcome;
}
