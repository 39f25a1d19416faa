// Sends spooled reports to the collector through the OTLP/HTTP exporter and removes each one only
// after a 2xx. The exporter itself retries 429/502/503/504 a few times within its timeout and
// honours Retry-After; around it, this loop backs off (capped, exponential, with jitter) until the
// run's budget is spent, and leaves whatever was not acknowledged in the spool for the next run.
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Clock } from '../shared/clock.js';
import { IdentityHeader } from '../shared/conventions.js';
import { errorMessage } from '../shared/errors.js';
import { collectBootMetrics } from './otlp-report.js';
import type { Spool, SpooledIdentity, SpoolEntry } from './spool.js';

export interface SendTarget {
  /** Collector base URL; /v1/metrics is appended. */
  collectorUrl: string;
  token: string | null;
  timeoutMs: number;
}

export type SendResult =
  { ok: true } | { ok: false; status: number | null; retryable: boolean; message: string };

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
  const exporter = new OTLPMetricExporter({
    url: metricsUrl(target.collectorUrl),
    headers: requestHeaders(target.token, identity),
    timeoutMillis: target.timeoutMs,
  });
  return new Promise<SendResult>((resolve) => {
    exporter.export(metrics, (result) => {
      if (result.code === 0) return resolve({ ok: true });
      const status = (result.error as { code?: number } | undefined)?.code ?? null;
      // 4xx other than 408 and 429 will not get better by sending the same bytes again.
      const retryable = status === null || status === 408 || status === 429 || status >= 500;
      resolve({
        ok: false,
        status,
        retryable,
        message: errorMessage(result.error ?? 'export failed'),
      });
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
  log: (msg: string) => void;
  random?: () => number;
}

export interface DeliveryOutcome {
  sent: string[];
  left: string[];
}

/** Capped exponential backoff with full jitter on the upper half: attempt 0 -> ~initial. */
export function backoffMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

async function deliverOne(
  entry: SpoolEntry,
  spool: Spool,
  o: DeliveryOptions,
  stopAt: number,
): Promise<boolean> {
  const metrics = await collectBootMetrics(entry.report, entry.resource);
  for (let attempt = 0; ; attempt++) {
    const result = await sendMetrics(metrics, o, entry.identity);
    if (result.ok) {
      spool.acknowledge(entry.report.bootId);
      o.log(
        `boot ${entry.report.bootId} reported (${entry.report.outcome}, ${entry.report.reason})`,
      );
      return true;
    }
    o.log(`report of boot ${entry.report.bootId} not acknowledged: ${result.message}`);
    if (!result.retryable) return false;
    if (o.maxAttempts && attempt + 1 >= o.maxAttempts) return false;
    const wait = backoffMs(attempt, o.initialBackoffMs, o.maxBackoffMs, o.random ?? Math.random);
    if (o.clock.now() + wait >= stopAt) return false;
    await o.sleep(wait);
  }
}

/** Sends every pending report, oldest first. */
export async function deliverPending(spool: Spool, o: DeliveryOptions): Promise<DeliveryOutcome> {
  const stopAt = o.clock.now() + o.budgetMs;
  const outcome: DeliveryOutcome = { sent: [], left: [] };
  for (const entry of spool.pending(o.log)) {
    const done = o.clock.now() < stopAt && (await deliverOne(entry, spool, o, stopAt));
    (done ? outcome.sent : outcome.left).push(entry.report.bootId);
  }
  return outcome;
}
