// One closed-loop load run: autocannon keeps `connections` requests in flight against a server's
// /v1/metrics for `seconds`, each request a body from the factory (body number `next()`).
import autocannon from 'autocannon';
import type { BodyFactory } from './otlp-bodies.js';

export interface LoadResult {
  rps: number;
  p99Ms: number;
  /** 2xx answers: what the server acknowledged. */
  ok: number;
  non2xx: number;
  errors: number;
}

export async function load(
  url: string,
  bodies: BodyFactory,
  seconds: number,
  connections: number,
  next: () => number,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/v1/metrics`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': bodies.contentType },
        setupRequest: (req) => ({ ...req, body: bodies.body(next()) }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/**
 * A baseline server (the echo, the decode-only server) must answer every request with a 2xx: one
 * that fails fast does less work than a collector and would make every ratio against it wrong.
 */
export function requireAllOk(server: string, results: readonly LoadResult[]): void {
  const failed = results.reduce((n, r) => n + r.non2xx + r.errors, 0);
  if (failed > 0) {
    throw new Error(`the ${server} server failed ${failed} requests: its figures are no baseline`);
  }
}
