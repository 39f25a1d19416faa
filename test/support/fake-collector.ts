// A fake collector on 127.0.0.1 that captures what agents send to /v1/metrics: the decoded OTLP
// JSON body and the headers. Tests script its answers (a status and optionally a body, per
// request) to exercise retries and partial successes, and can keep it from listening until told
// (a collector that is down: connections are refused on its port).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface ScriptedAnswer {
  status: number;
  /** Retry-After, seconds. */
  retryAfter?: number;
  /** The JSON body; default `{}` for a 2xx, a google.rpc.Status for an error. */
  body?: string;
}

export interface FakeCollector {
  url: string;
  requests: CapturedRequest[];
  /** Answers for the next requests, in order; then 200. */
  script(...answers: ScriptedAnswer[]): void;
  /** Starts listening on the collector's port (after `deferListen`); idempotent. */
  listen(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeCollector(
  options: { deferListen?: boolean } = {},
): Promise<FakeCollector> {
  const requests: CapturedRequest[] = [];
  const answers: ScriptedAnswer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the raw text: a test asserting JSON will fail on it
      }
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      const answer = answers.shift() ?? { status: 200 };
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (answer.retryAfter !== undefined) headers['retry-after'] = String(answer.retryAfter);
      res
        .writeHead(answer.status, headers)
        .end(answer.body ?? (answer.status < 300 ? '{}' : '{"code":14,"message":"unavailable"}'));
    });
  });
  const listenOn = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  // Deferred: take a free port and let it go, so that connections are refused until listen().
  await listenOn(0);
  const { port } = server.address() as AddressInfo;
  let listening: Promise<void> | null = Promise.resolve();
  if (options.deferListen) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    listening = null;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...a) => void answers.push(...a),
    listen: () => (listening ??= listenOn(port)),
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type OtlpAttr = { key: string; value: Record<string, unknown> };

/** Resource attributes of the first resource of an OTLP JSON body, as a plain map. */
export function resourceAttributes(body: unknown): Record<string, unknown> {
  const rm = (body as { resourceMetrics: { resource: { attributes: OtlpAttr[] } }[] })
    .resourceMetrics[0]!;
  return Object.fromEntries(rm.resource.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
}

/** Data points of one metric in an OTLP JSON body. */
export function metricPoints(body: unknown, name: string): Record<string, unknown>[] {
  const rms = (
    body as { resourceMetrics: { scopeMetrics: { metrics: Record<string, unknown>[] }[] }[] }
  ).resourceMetrics;
  for (const rm of rms)
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics) {
        if (m.name !== name) continue;
        const data = (m.histogram ?? m.sum ?? m.gauge) as { dataPoints: Record<string, unknown>[] };
        return data.dataPoints;
      }
  return [];
}
